"""The scaler's decisions, as pure functions of what the watcher sees: how many worker pods a group should
have (adaptive scaling), and which pods may go. No I/O here.

Adaptive scaling (`adapt(minimum, maximum, idle_seconds)`), per group, at each look:
  - the target is the work there is: the load-balanced tasks not yet assigned plus the tasks given to the
    group's engines, over the engines a pod has, rounded up, within the bounds;
  - up at once to the target;
  - down only when every target of the last `idle_seconds` is below the count (hysteresis: to the largest
    of them, as dask-gateway does), no sooner than `idle_seconds` after the last change (no flapping), and
    by at most DOWN_FRACTION of the pods at a time (one at least).
Only pods whose engines are all idle and registered may go (`removable`).
"""
import collections
import math
from typing import NamedTuple

DOWN_FRACTION = 0.5


class Bounds(NamedTuple):
    """A group's Deployment and how far it may scale (from the stack's settings)."""

    deployment: str
    minimum: int
    maximum: int
    engines_per_pod: int


class ScalingError(Exception):
    """A request the scaler refuses; its message says why and what is allowed."""


def check_request(group, workers, bounds):
    """Refuses a count outside the group's bounds (or a group that does not scale)."""
    b = bounds.get(group)
    if b is None:
        scaling = ", ".join(sorted(bounds)) or "none"
        raise ScalingError(f"the worker group {group!r} does not scale (groups that scale: {scaling}); give it minWorkers/maxWorkers and run pulumi up")
    if isinstance(workers, bool) or not isinstance(workers, int) or not b.minimum <= workers <= b.maximum:
        raise ScalingError(f"the group {group!r} scales from {b.minimum} to {b.maximum} worker pods (minWorkers, maxWorkers); got {workers!r}")


def pods_of(snapshot, group):
    """{pod: [engine, ...]} of the group's pods with registered engines, from the watcher's snapshot."""
    pods = collections.defaultdict(list)
    for e in snapshot["engines"]:
        if e["group"] == group:
            pods[e["pod"]].append(e)
    return dict(pods)


def demand(snapshot, group):
    """The tasks the group's engines could be running: those not assigned yet and those given to its engines."""
    return snapshot["unassigned"] + sum(e["queued"] for e in snapshot["engines"] if e["group"] == group)


def removable(snapshot, group, engines_per_pod, count, avoid=()):
    """Up to `count` pods of the group whose engines are all registered and idle (by name)."""
    pods = pods_of(snapshot, group).items()
    idle = [pod for pod, engines in pods if pod not in avoid and len(engines) >= engines_per_pod and not any(e["busy"] for e in engines)]
    return sorted(idle)[:count]


class Adaptive:
    """One group's adaptive scaling: `decide` at each look, given the count now."""

    def __init__(self, minimum, maximum, idle_seconds, engines_per_pod):
        self.minimum, self.maximum = minimum, maximum
        self.idle_seconds = idle_seconds
        self.engines_per_pod = engines_per_pod
        self.targets = collections.deque()  # (time, target) of the last idle_seconds
        self.changed_at = None  # when the count last changed (a scale of ours, or found changed)
        self.last_count = None

    def target(self, work):
        wanted = math.ceil(work / self.engines_per_pod) if work > 0 else 0
        return max(self.minimum, min(self.maximum, wanted))

    def decide(self, now, count, work):
        """(the count to scale to, the reason) or (count, None) to stay."""
        if count != self.last_count:
            self.changed_at, self.last_count = now, count
        target = self.target(work)
        self.targets.append((now, target))
        while self.targets and self.targets[0][0] < now - self.idle_seconds:
            self.targets.popleft()
        if count < self.minimum:
            return self.minimum, "below the minimum"
        if count > self.maximum:
            return self.maximum, "above the maximum"
        if target > count:
            return target, f"{work} tasks waiting or running for {count * self.engines_per_pod} engines"
        recent = max(t for _, t in self.targets)
        if recent < count and now - self.changed_at >= self.idle_seconds:
            step = max(1, math.floor(count * DOWN_FRACTION))
            return max(recent, count - step), f"at most {recent} pods needed for {self.idle_seconds:g} s"
        return count, None

    def moved(self, now, count):
        """The scaler changed the count."""
        self.changed_at, self.last_count = now, count
