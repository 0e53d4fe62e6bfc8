"""One turn of `npm run bench:hub`, in a container beside the controller: starts N stand-in engines
(ipp_worker.standin, PER_PROCESS to a process) at once, asks the hub how many it lists until all are
(or DEADLINE seconds pass, or the count stalls for STALL_SECONDS), then leaves them at rest for REST seconds and asks once more;
then asks the hub, one question after another, what a worker asks at each look: QUESTIONS["all"] times for
its whole list (a connection_request), then QUESTIONS["own"] times about one pod's OWN engines alone
(Hub.confirm): many of the cheap ones, so that their cost stands out of the controller's own at rest.

    python3 - ENGINE_FILE KEY_FILE N PER_PROCESS DEADLINE REST

Prints JSON lines: {"event": "progress", "t", "registered"} while they register; {"event": "registered",
"seconds" (null when not all were), "registered"}; {"event": "rest"} as the rest begins and
{"event": "rested"} as it ends (the bench reads the controller's counters at both); {"event": "ask-all"} and
{"event": "asked-all", "seconds", "answered"} around the whole-list questions, {"event": "ask-own"} and
{"event": "asked-own", ...} around the others (the counters again, PAUSE seconds after each line); then the result:
{"event": "result", "registered_end", "standins": [each process's last counts]}.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

from ipp_worker.hub import Hub

POLL_SECONDS = 1.0
STALL_SECONDS = 60.0  # no more registered for this long: the rest never will be (the deadline need not be waited for)
QUERY_MS = 60_000  # a hub busy with registrations answers late; late is not "none"
QUESTIONS = {"all": 500, "own": 3000}
OWN = 8  # engines of the pod that asks about its own
PAUSE = 1.0  # seconds between a line the bench reads counters at and what follows it


def say(**line):
    print(json.dumps(line), flush=True)


def start(engine_file, key_file, n, per_process, logs):
    processes = []
    for i, first in enumerate(range(0, n, per_process)):
        log = open(os.path.join(logs, f"standin-{i}.log"), "w")
        count = min(per_process, n - first)
        args = [sys.executable, "-m", "ipp_worker.standin", "--file", engine_file, "--key-file", key_file, "--count", str(count), "--name", f"p{i}"]
        processes.append((subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT), log))
    return processes


def last_counts(logs, processes):
    counts = []
    for i in range(len(processes)):
        lines = [line for line in open(os.path.join(logs, f"standin-{i}.log")) if line.startswith("{")]
        counts.append(json.loads(lines[-1]) if lines else None)
    return counts


def ask_questions(kind, ask):
    """QUESTIONS of one kind, one after another, between two lines the bench reads the controller's counters at."""
    say(event=f"ask-{kind}")
    time.sleep(PAUSE)
    started, answered = time.monotonic(), 0
    for _ in range(QUESTIONS[kind]):
        answer = ask()
        answered += answer is not None and not isinstance(answer, str)
    say(event=f"asked-{kind}", seconds=round(time.monotonic() - started, 3), answered=answered)
    time.sleep(PAUSE)


def main():
    engine_file, key_file, n, per_process, deadline, rest = sys.argv[1:7]
    n, per_process, deadline, rest = int(n), int(per_process), float(deadline), float(rest)
    hub = Hub(engine_file, key_file, timeout_ms=QUERY_MS)
    logs = tempfile.mkdtemp()
    started = time.monotonic()
    processes = start(engine_file, key_file, n, per_process, logs)
    registered, done, grew = 0, None, started
    while time.monotonic() - started < deadline and time.monotonic() - grew < STALL_SECONDS:
        answer = hub.registered()
        if answer and len(answer.registered) > registered:
            registered, grew = len(answer.registered), time.monotonic()
        say(event="progress", t=round(time.monotonic() - started, 2), registered=registered)
        if registered >= n:
            done = time.monotonic() - started
            break
        time.sleep(POLL_SECONDS)
    say(event="registered", seconds=done, registered=registered)
    say(event="rest")
    time.sleep(rest)
    say(event="rested")
    answer = hub.registered()
    if answer and answer.registered:
        own = dict(list(answer.registered.items())[:OWN])
        ask_questions("all", hub.registered)
        ask_questions("own", lambda: hub.confirm(own, answer.hub))
    for process, _log in processes:
        process.terminate()
    for process, log in processes:
        process.wait()
        log.close()
    say(event="result", registered_end=len(answer.registered) if answer else None, standins=last_counts(logs, processes))


if __name__ == "__main__":
    main()
