"""The worker's settings: the constants the TypeScript program must agree with, the timing defaults,
and the IPP_* environment the program sets (lib/runtime.ts, workerEnv), read and checked here.

Environment (all required; the program sets them, so the values have one source):
  IPP_ENGINES         how many engines to run (a whole number from 1 to MAX_ENGINES)
  IPP_ENGINE_FILE     the engine connection file (without the key)
  IPP_KEY_FILE        the file holding the session key
  IPP_READY_FILE      created while all the engines are registered, removed otherwise
  IPP_CHECK_SECONDS   how often to ask the hub once the engines are registered (seconds, > 0)
  IPP_REGISTRATION_SECONDS  how long the hub waits for a registering engine's first heartbeat
                      (the controller's --IPController.registration_timeout; seconds, > 0)
Optional:
  IPP_FORK_ENGINES    1: start the engines from the fork server when there are more than one;
                      0 or unset: each as a new process
  IPP_WATCHER_URL     the cluster's watcher: report the engines and send the log lines there (see
                      reporter); then IPP_POD_NAME and IPP_WORKER_GROUP are required too
"""
import math
import os
import sys
from typing import NamedTuple

# Agreed with the TypeScript program, whose unit test reads these lines: keep them literal.
MAX_ENGINES = 256  # the most engines one worker runs (IPP_ENGINES)
STOP_SECONDS = 7.0  # the whole shutdown's wait for engines stopped gracefully; well inside the pod's 15 s grace period
REPORT_CLOSE_SECONDS = 3.0  # then, at most, the engines' last output read and the last report to the watcher sent

QUERY_TIMEOUT_MS = 2000  # how long a question to the hub waits for its answer
WAIT_SECONDS = 1.0  # poll period while waiting for the hub or for registration
MISSES_TO_RESTART = 2  # consecutive "not registered" answers before restarting a registered engine
REGISTRATION_GRACE_SECONDS = 30.0  # beyond IPP_REGISTRATION_SECONDS before a registering engine is restarted
QUICK_EXIT_SECONDS = 30.0  # an engine that exits sooner than this counts as failing to start
BACKOFF_MIN_SECONDS = 1.0  # the pause before restarting an engine that failed; doubles while they keep failing
BACKOFF_MAX_SECONDS = 30.0
FORK_SECONDS = 60.0  # how long a start may wait for the fork server (the first waits for its imports)
REQUEST_SECONDS = 5.0  # how long an engine's nanny request may take to arrive whole
REPORT_SECONDS = 2.0  # how often the worker reports to the watcher (at once when its engines change)


def fail(message):
    """Exits with `message`, as the worker's refusals do (no traceback)."""
    sys.exit(f"ipp-worker: {message}")


def required_env(name):
    value = os.environ.get(name, "")
    if not value:
        fail(f"environment variable {name} must be set")
    return value


def required_seconds(name):
    value = required_env(name)
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        fail(f"environment variable {name} must be a positive number of seconds, not {value!r}")
    return seconds


def required_count(name, maximum):
    value = required_env(name)
    # Plain digits only: int() would also take " 3", "+3", "3_0" and other scripts' digits.
    count = int(value) if value.isascii() and value.isdigit() else 0
    if not 1 <= count <= maximum:
        fail(f"environment variable {name} must be a whole number from 1 to {maximum}, not {value!r}")
    return count


def optional_switch(name):
    """A 0-or-1 variable; unset is 0."""
    value = os.environ.get(name, "0")
    if value not in ("0", "1"):
        fail(f"environment variable {name} must be 0 or 1, not {value!r}")
    return value == "1"


class Settings(NamedTuple):
    engines: int
    ready_file: str
    check_seconds: float
    registration_seconds: float
    fork: bool
    engine_file: str
    key_file: str
    watcher_url: str  # "" for none
    pod: str
    group: str


def from_environ():
    """The worker's Settings from the environment; exits with a message naming the first problem."""
    # In this order, as ever: the first problem found is the one reported.
    engines = required_count("IPP_ENGINES", MAX_ENGINES)
    ready_file = required_env("IPP_READY_FILE")
    check_seconds = required_seconds("IPP_CHECK_SECONDS")
    registration_seconds = required_seconds("IPP_REGISTRATION_SECONDS")
    fork = optional_switch("IPP_FORK_ENGINES")
    engine_file = required_env("IPP_ENGINE_FILE")
    key_file = required_env("IPP_KEY_FILE")
    watcher_url = os.environ.get("IPP_WATCHER_URL", "")
    pod = required_env("IPP_POD_NAME") if watcher_url else ""
    group = required_env("IPP_WORKER_GROUP") if watcher_url else ""
    return Settings(engines, ready_file, check_seconds, registration_seconds, fork, engine_file, key_file, watcher_url, pod, group)
