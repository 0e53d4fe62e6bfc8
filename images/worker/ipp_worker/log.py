"""The worker's log lines: a timestamp, the program's name, the message."""
import time


def log(message):
    now = time.strftime("%Y-%m-%d %H:%M:%S")
    print(f"{now} [ipp-worker] {message}", flush=True)
