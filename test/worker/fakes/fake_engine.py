"""Stands in for `ipengine`: records how it was started (in LOG_DIR/<session>.json), then
  sleep            sleeps until it is killed;
  nanny            also starts a "nanny" child in a session of its own, then sleeps;
  exit:CODE        exits at once with CODE;
  exit-after:S     exits with 0 after S seconds;
  slow-stop:S      sleeps until it is killed, or exits S seconds after a SIGTERM;
  say:TEXT         writes "TEXT stdout <session>" to stdout and "TEXT stderr <session>" to stderr, then sleeps.

    python3 fake_engine.py MODE LOG_DIR [flags...]   (the flags include --Session.session=...)
"""
import os
import signal
import subprocess
import sys
import time

from records import session_of, write_record


def say(text, session):
    print(f"{text} stdout {session}", flush=True)
    print(f"{text} stderr {session}", file=sys.stderr, flush=True)


def main(mode, log_dir, flags):
    record = {"pid": os.getpid(), "session": session_of(flags), "flags": flags, "mode": mode, "time": time.time()}
    if mode == "nanny":
        nanny = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"], start_new_session=True)
        record["nanny"] = nanny.pid
    write_record(log_dir, record)
    if mode.startswith("exit:"):
        return int(mode.split(":")[1])
    if mode.startswith("exit-after:"):
        time.sleep(float(mode.split(":")[1]))
        return 0
    if mode.startswith("say:"):
        say(mode.split(":", 1)[1], record["session"])
    if mode.startswith("slow-stop:"):

        def stop(signum, frame):
            time.sleep(float(mode.split(":")[1]))
            sys.exit(0)

        signal.signal(signal.SIGTERM, stop)
    while True:
        time.sleep(300)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3:]))
