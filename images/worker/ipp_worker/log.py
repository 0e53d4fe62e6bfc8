"""The worker's log lines: a timestamp, the program's name, the message. Each also goes to every
function in SINKS (the reporter's, when the worker reports to the watcher)."""
import time

SINKS = []  # functions of (source, text)


def log(message):
    now = time.strftime("%Y-%m-%d %H:%M:%S")
    line = f"{now} [ipp-worker] {message}"
    print(line, flush=True)
    for sink in SINKS:
        sink("worker", line)
