"""How the fake engines note what happened to them: LOG_DIR/<session>.json, written whole (a reader
never sees half a record), and LOG_DIR/<session>.<event> marker files."""
import json
import os
import time


def session_of(flags):
    """The session id among an engine's flags (--Session.session=...)."""
    return [f.split("=", 1)[1] for f in flags if f.startswith("--Session.session=")][0]


def about_this_process(**fields):
    """A record of this process: its pid, parent, name (/proc/self/comm) and the time, with `fields`."""
    with open("/proc/self/comm") as f:
        comm = f.read().strip()
    return {"pid": os.getpid(), "ppid": os.getppid(), "comm": comm, "time": time.time(), **fields}


def write_record(log_dir, record):
    path = os.path.join(log_dir, record["session"] + ".json")
    with open(path + ".tmp", "w") as f:
        json.dump(record, f)
    os.replace(path + ".tmp", path)


def mark(log_dir, session, event):
    open(os.path.join(log_dir, f"{session}.{event}"), "w").close()
