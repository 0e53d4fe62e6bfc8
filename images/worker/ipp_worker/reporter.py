"""The worker's reports to the cluster's watcher (IPP_WATCHER_URL): its pod, its group, its engines'
session ids (so that the watcher can tell where each engine runs) and the log lines since the last
report, its own and its engines' (so that they outlive the pod). Sent from a thread of its own every
REPORT_SECONDS, at once when the engines change, and a last time on the way out; signed with the
cluster's key. While the watcher does not answer, at most MAX_LINES lines wait (the oldest dropped)."""
import json
import threading
import urllib.error
import urllib.request

from ipp_cluster import auth

from . import settings

MAX_LINES = 20000
MAX_LINE = 4096  # characters of a line that are reported (the watcher keeps no more)
REPORT_BYTES = 1024 * 1024  # about the most a report carries; the rest goes at once in the next
TIMEOUT_SECONDS = 5.0  # a report's wait for the watcher's answer


class Reporter:
    def __init__(self, url, key, pod, group, *, interval=settings.REPORT_SECONDS, say=print):
        self.url = url.rstrip("/") + "/report"
        self.key = key
        self.pod = pod
        self.group = group
        self.interval = interval
        self.say = say  # not the worker's log: its lines would come back here
        self.lines = []  # (source, text), oldest first
        self.lines_lock = threading.Lock()  # lines come from the worker's thread and the output's
        self.sessions = []
        self.changed = threading.Event()
        self.closing = threading.Event()
        self.stopped = False
        self.failing = False
        self.sending = threading.Lock()
        self.drain_wanted = False  # the watcher's word: the scaler wants this pod drained (see drain)
        self.drained = None  # the worker's drain state, reported
        self.on_drain = None  # called when drain_wanted changes
        self.thread = threading.Thread(target=self.run, name="reporter", daemon=True)
        self.thread.start()

    def line(self, source, text):
        """A log line of `source` ("worker", or an engine's session id)."""
        with self.lines_lock:
            self.lines.append((source, text[:MAX_LINE]))
            self.keep_last()

    def keep_last(self):
        if len(self.lines) > MAX_LINES:
            del self.lines[: len(self.lines) - MAX_LINES]

    def engines(self, sessions):
        """The session ids of the engines running now; reported at once when they change."""
        sessions = sorted(sessions)
        if sessions != self.sessions:
            self.sessions = sessions
            self.changed.set()

    def drain_state(self, state):
        """The worker's drain state (None, "busy" or "drained"): reported at once."""
        if state != self.drained:
            self.drained = state
            self.changed.set()

    def answered(self, answer):
        """The watcher's answer to a report: whether it wants this pod drained."""
        wanted = bool(answer.get("drain", False))
        if wanted != self.drain_wanted:
            self.drain_wanted = wanted
            if self.on_drain is not None:
                self.on_drain()

    def send(self, timeout=TIMEOUT_SECONDS):
        """One report; whether the watcher took it."""
        with self.sending:
            with self.lines_lock:
                count, size = 0, 0
                while count < len(self.lines) and (count == 0 or size < REPORT_BYTES):
                    size += len(self.lines[count][1]) + 64
                    count += 1
                lines, self.lines = self.lines[:count], self.lines[count:]
                if self.lines:
                    self.changed.set()
            body = json.dumps({"pod": self.pod, "group": self.group, "engines": self.sessions, "drain": self.drained, "lines": lines}).encode()
            path = "/report"
            headers = {"Content-Type": "application/json", **auth.sign(self.key, "POST", path, body)}
            try:
                with urllib.request.urlopen(urllib.request.Request(self.url, body, headers, method="POST"), timeout=timeout) as response:
                    text = response.read()
            except (OSError, urllib.error.URLError) as e:
                with self.lines_lock:  # sent again with the next report
                    self.lines[:0] = lines
                    self.keep_last()
                if not self.failing:
                    self.say(f"ipp-worker: the watcher at {self.url} did not take a report ({e}); trying again every {self.interval:g} s", flush=True)
                self.failing = True
                return False
            self.failing = False
            try:
                answer = json.loads(text)
            except ValueError:
                answer = None
            if isinstance(answer, dict):
                self.answered(answer)
            return True

    def run(self):
        while not self.stopped:
            self.changed.wait(self.interval)
            self.changed.clear()
            if not self.send():
                self.closing.wait(self.interval)

    def close(self, seconds=settings.REPORT_CLOSE_SECONDS):
        """The last report, with what the worker and its engines said on the way out, within `seconds`."""
        self.stopped = True
        self.closing.set()
        self.changed.set()
        self.thread.join(seconds / 2)
        self.send(timeout=seconds / 2)
