"""Stands in for `ipp-engine` as a program the fork server loads (IPP_FORK_ENGINES=1), through a shim
(see helpers.fork_program): `preload()` notes the process it ran in (and leaves a file
LOG_DIR/preload-<pid>, LOG_DIR from the environment's FAKE_ENGINE_LOG); `main(argv)` records how the
engine was started (LOG_DIR/<session>.json), then
  sleep      sleeps until it is killed;
  orphan     leaves a process behind whose parent has exited (it exits itself 0.3 s later), then sleeps;
  say:TEXT   writes "TEXT stdout <session>" to stdout and "TEXT stderr <session>" to stderr, then sleeps.
Run as a script, the shim runs main(sys.argv[1:]) without preload().

FAKE_PRELOAD in the environment makes the fork server misbehave, then exit, before it serves:
  sleep:S    preload() takes S seconds (a start waits for it in vain);
  garbage    preload() writes a line that is no answer to the worker's connection.
"""
import os
import time

from fake_engine import say
from records import about_this_process, session_of, write_record

PRELOADED_IN = None


def misbehave(how):
    if how.startswith("sleep:"):
        time.sleep(float(how.split(":")[1]))
    elif how == "garbage":
        os.write(int(os.environ["IPP_FORK_SERVER_FD"]), b'{"pid": "not a pid"}\n')
    os._exit(0)


def preload():
    global PRELOADED_IN
    if os.environ.get("FAKE_PRELOAD"):
        misbehave(os.environ["FAKE_PRELOAD"])
    PRELOADED_IN = os.getpid()
    open(os.path.join(os.environ["FAKE_ENGINE_LOG"], f"preload-{os.getpid()}"), "w").close()


def leave_orphan():
    """Starts a process and exits its parent at once: the pid of the orphan."""
    read, write = os.pipe()
    middle = os.fork()
    if middle == 0:
        orphan = os.fork()
        if orphan == 0:
            time.sleep(0.3)
            os._exit(0)
        os.write(write, str(orphan).encode())
        os._exit(0)
    orphan = int(os.read(read, 64))
    os.waitpid(middle, 0)
    return orphan


def main(argv):
    mode, log_dir = argv[0], argv[1]
    flags = argv[2:]
    record = about_this_process(
        session=session_of(flags),
        flags=flags,
        mode=mode,
        preloaded_in=PRELOADED_IN,
        nanny_socket=os.environ.get("IPP_NANNY_SOCKET"),
    )
    if mode == "orphan":
        record["orphan"] = leave_orphan()
    write_record(log_dir, record)
    if mode.startswith("say:"):
        say(mode.split(":", 1)[1], record["session"])
    while True:
        time.sleep(300)
