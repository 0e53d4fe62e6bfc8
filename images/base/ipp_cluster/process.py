"""What the cluster's own processes (ipp-watcher, ipp-scaler) share: their settings from the environment
and their log lines."""
import math
import os
import sys
import time


def logger(program):
    """A function that writes one log line of `program`, with the time."""

    def log(message):
        print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} [{program}] {message}", flush=True)

    return log


def required(program, name, parse=str):
    """The environment variable `name`, parsed; a positive number when `parse` gives numbers. Exits
    naming it when it is not set or not such a value."""
    value = os.environ.get(name, "")
    try:
        parsed = parse(value)
    except ValueError:
        parsed = None
    if value == "" or parsed is None or (isinstance(parsed, (int, float)) and not (math.isfinite(parsed) and parsed > 0)):
        sys.exit(f"{program}: environment variable {name} must be set (a {parse.__name__}), not {value!r}")
    return parsed
