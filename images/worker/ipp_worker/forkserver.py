"""The fork server, both ends: engines started by forking one process that has imported them.

The worker starts the server once (`ipp-worker --fork-server PROGRAM`, with one end of a socket pair
as IPP_FORK_SERVER_FD); the server loads PROGRAM (ipp-engine) as a module, runs its `preload()`, and
for each request (the engine's flags, a JSON line) forks an engine that runs the module's
`main(flags)`, answering with the engine's pid (a JSON line {"pid": N}). A request may come with a
file descriptor (SCM_RIGHTS): the engine's stdout and stderr then go there. The fork goes through an
intermediate process that exits at once; the worker being a child subreaper, each engine ends up the
worker's own child, to be waited for, signalled and killed as a started one would be.
"""
import gc
import importlib.machinery
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time

from . import settings
from .procs import set_process_name

FORK_SERVER_FD = "IPP_FORK_SERVER_FD"  # the fork server's end of its connection to the worker
# The worker's launcher, beside this package (in the image and in the source tree alike).
LAUNCHER = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "ipp-worker")
ADOPTION_SECONDS = 5.0  # how long a new engine waits for the worker to adopt it


class ForkedProcess:
    """An engine forked by the fork server, and the worker's child (a subreaper's): what the worker
    uses of subprocess.Popen."""

    def __init__(self, pid):
        self.pid = pid
        self.returncode = None

    def _wait(self, flags):
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, flags)
            except ChildProcessError:  # reaped elsewhere: its status is lost
                self.returncode = -1
            else:
                if pid:
                    self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def poll(self):
        return self._wait(os.WNOHANG)

    def wait(self):
        return self._wait(0)

    def terminate(self):
        if self.returncode is None:
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass


def read_pid(line):
    """The engine's pid in the server's answer; OSError for anything else."""
    if not line:
        raise OSError("the fork server has exited")
    try:
        pid = json.loads(line)["pid"]
    except (ValueError, KeyError, TypeError) as e:
        raise OSError(f"the fork server answered {line!r}") from e
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        raise OSError(f"the fork server answered {line!r}")
    return pid


class ForkServer:
    """The worker's end of the fork server: one request per engine."""

    def __init__(self, program, env, *, launcher=LAUNCHER, timeout=settings.FORK_SECONDS):
        ours, theirs = socket.socketpair()
        self.process = subprocess.Popen(
            [sys.executable, launcher, "--fork-server", program],
            env={**env, FORK_SERVER_FD: str(theirs.fileno())},
            pass_fds=[theirs.fileno()],
        )
        theirs.close()
        ours.settimeout(timeout)
        self.conn = ours
        self.replies = ours.makefile("rb")

    def start(self, argv, output=None):
        """Forks an engine with `argv`, its stdout and stderr to the file descriptor `output` when
        given; OSError (a timeout too) when the server cannot."""
        request = json.dumps(argv).encode() + b"\n"
        if output is None:
            self.conn.sendall(request)
        elif socket.send_fds(self.conn, [request], [output]) != len(request):
            raise OSError("the fork server took part of a request")
        return ForkedProcess(read_pid(self.replies.readline()))

    def close(self):
        """Ends the server (it exits when its connection closes; the engines stay)."""
        self.replies.close()
        self.conn.close()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def load_program(path):
    """The engine program at `path` (a script without .py) as a module."""
    loader = importlib.machinery.SourceFileLoader("ipp_engine_program", path)
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def read_argv(line):
    """A request's flags (a JSON list of strings); ValueError otherwise."""
    argv = json.loads(line)
    if not isinstance(argv, list) or not all(isinstance(a, str) for a in argv):
        raise ValueError(f"a request that is not a list of flags: {line!r}")
    return argv


def serve_forks(program, fd):
    """The fork server (`ipp-worker --fork-server PROGRAM`). Before each fork nothing is buffered, no
    thread runs and no socket but the connection is open; the engine closes that connection."""
    set_process_name("ipp-fork-server")
    module = load_program(program)
    if hasattr(module, "preload"):
        module.preload()
    # What the server holds is left out of the engines' garbage collections: collecting it would
    # write to every page of it, so that each engine would end up with a copy of its own.
    gc.freeze()
    conn = socket.socket(fileno=fd)
    for line, output in read_requests(conn):
        try:
            argv = read_argv(line)
        except ValueError as e:
            if output is not None:
                os.close(output)
            conn.sendall(json.dumps({"error": str(e)}).encode() + b"\n")
            continue
        sys.stdout.flush()
        sys.stderr.flush()
        pipe_r, pipe_w = os.pipe()
        middle = os.fork()
        if middle == 0:
            os.close(pipe_r)
            middle = os.getpid()
            engine = os.fork()
            if engine == 0:
                os.close(pipe_w)
                conn.close()
                if output is not None:
                    os.dup2(output, 1)
                    os.dup2(output, 2)
                    os.close(output)
                set_process_name("ipp-engine")
                wait_for_adoption(middle)
                sys.exit(module.main(argv))
            os.write(pipe_w, str(engine).encode())
            os._exit(0)  # the engine is orphaned at once: adopted by the worker, a subreaper
        os.close(pipe_w)
        if output is not None:
            os.close(output)
        engine_pid = int(os.read(pipe_r, 64))
        os.close(pipe_r)
        os.waitpid(middle, 0)  # once it is reaped, the engine is the worker's child
        conn.sendall(json.dumps({"pid": engine_pid}).encode() + b"\n")


def read_requests(conn):
    """(line, file descriptor or None) of each request on `conn`, until it closes. A descriptor comes
    with the first byte of its request."""
    buffer, fds = b"", []
    while True:
        data, new_fds, _flags, _addr = socket.recv_fds(conn, 65536, 4)
        if not data:
            return
        if new_fds:  # with the request that starts in this chunk
            fds.append((len(buffer), new_fds[0]))
            for extra in new_fds[1:]:
                os.close(extra)
        buffer += data
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            output = None
            if fds and fds[0][0] <= 0:
                output = fds.pop(0)[1]
            fds = [(at - len(line) - 1, fd) for at, fd in fds]
            yield line, output


def wait_for_adoption(middle):
    """In a new engine: waits until the intermediate process `middle` has gone and the worker is the
    engine's parent, so that the engine never starts as another's child (a few milliseconds)."""
    deadline = time.monotonic() + ADOPTION_SECONDS
    while os.getppid() == middle and time.monotonic() < deadline:
        time.sleep(0.001)
