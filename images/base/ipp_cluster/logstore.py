"""The last log lines of every worker pod and its engines, kept by the watcher so that they outlive the
pods: bounded per pod (MAX_POD_BYTES) and in all (MAX_BYTES, the pods heard from longest ago dropped
first). A line counts its text and LINE_OVERHEAD bytes for what Python holds besides; a longer line
than MAX_LINE characters is cut."""
import collections
import threading

MAX_POD_BYTES = 256 * 1024
MAX_BYTES = 32 * 1024 * 1024
LINE_OVERHEAD = 64
MAX_LINE = 4096


class PodLog:
    """One pod's last lines, at most `limit` bytes of them."""

    def __init__(self, limit):
        self.lines = collections.deque()  # (source, text)
        self.size = 0
        self.limit = limit

    def add(self, source, text):
        text = text[:MAX_LINE]
        self.lines.append((source, text))
        self.size += len(text) + LINE_OVERHEAD
        while self.size > self.limit and self.lines:
            self.size -= len(self.lines.popleft()[1]) + LINE_OVERHEAD


class LogStore:
    """Lines by pod; a line's source is "worker" or an engine's session id."""

    def __init__(self, max_pod_bytes=MAX_POD_BYTES, max_bytes=MAX_BYTES):
        self.pods = collections.OrderedDict()  # pod -> PodLog, the most recently heard from last
        self.max_pod_bytes = max_pod_bytes
        self.max_bytes = max_bytes
        self.lock = threading.Lock()

    def add(self, pod, lines):
        """Adds `lines` ([source, text] pairs) of `pod`."""
        with self.lock:
            log = self.pods.pop(pod, None) or PodLog(self.max_pod_bytes)
            self.pods[pod] = log
            for source, text in lines:
                log.add(str(source), str(text))
            total = sum(p.size for p in self.pods.values())
            while total > self.max_bytes and len(self.pods) > 1:
                _, dropped = self.pods.popitem(last=False)
                total -= dropped.size

    def lines(self, pod, source=None, count=100):
        """The last `count` lines of `pod` (of one source only, when given)."""
        with self.lock:
            log = self.pods.get(pod)
            picked = [text for s, text in (log.lines if log else ()) if source is None or s == source]
        return picked[-count:] if count else picked
