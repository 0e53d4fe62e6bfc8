"""What `ipp-worker` does: `ipp-worker ipp-engine [flags...]` runs the worker (settings from the
environment, see settings); `ipp-worker --fork-server PROGRAM` runs its fork server."""
import os
import shutil
import signal
import sys

from . import log as worker_log
from . import settings
from .forkserver import FORK_SERVER_FD, ForkServer, serve_forks
from .hub import Hub
from .log import log
from .output import OutputPump
from .policy import Timing
from .procs import become_subreaper, raise_open_files_limit, set_process_name
from .supervisor import Worker, engine_env


def start_fork_server(program, env, count, fork):
    """(the fork server, whether this process is a subreaper): (None, False) when engines are to be
    started as new processes."""
    # One engine gains nothing from a fork server, which would import for it what it would import
    # itself, in a second interpreter (measured: 0.45 CPU-s more per pod of one engine).
    if not (fork and count > 1):
        return None, False
    if not become_subreaper():
        log("cannot become a subreaper: engines are started as new processes")
        return None, False
    return ForkServer(shutil.which(program) or program, env), True


def reporting(config):
    """(the output pump, the reporter) when the worker reports to the watcher, else (None, None)."""
    if not config.watcher_url:
        return None, None
    from .reporter import Reporter  # needs ipp_cluster, in the base image

    with open(config.key_file, "rb") as f:
        reporter = Reporter(config.watcher_url, f.read().strip(), config.pod, config.group)
    worker_log.SINKS.append(reporter.line)
    return OutputPump(reporter.line), reporter


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if len(argv) == 2 and argv[0] == "--fork-server":
        serve_forks(argv[1], int(settings.required_env(FORK_SERVER_FD)))
        return
    if not argv:
        sys.exit("usage: ipp-worker ipp-engine [flags...]")
    set_process_name("ipp-worker")
    config = settings.from_environ()
    log(f"open files: at most {raise_open_files_limit()}")
    hub = Hub(config.engine_file, config.key_file)
    # Beside the readiness file: a folder the worker may write to.
    nanny_socket = os.path.join(os.path.dirname(config.ready_file), f"ipp-nanny-{os.getpid()}.sock")
    forks, subreaper = start_fork_server(argv[0], engine_env(nanny_socket), config.engines, config.fork)
    output, reporter = reporting(config)
    worker = Worker(
        argv,
        hub=hub,
        ready_file=config.ready_file,
        count=config.engines,
        timing=Timing(check_seconds=config.check_seconds, registration_seconds=config.registration_seconds),
        nanny_socket=nanny_socket,
        forks=forks,
        subreaper=subreaper,
        output=output,
        reporter=reporter,
    )
    signal.signal(signal.SIGTERM, worker.request_stop)
    signal.signal(signal.SIGINT, worker.request_stop)
    worker.set_ready(False)
    worker.run()
    hub.close()
    if reporter is not None:
        output.drain(settings.REPORT_CLOSE_SECONDS / 3)
        reporter.close(settings.REPORT_CLOSE_SECONDS * 2 / 3)
