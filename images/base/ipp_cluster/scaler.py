"""`ipp-scaler`: sizes the worker groups that scale (container `scaler` of the frontend Pod on Kubernetes,
the only container with a Kubernetes token). It reads the cluster from the watcher, and changes a count
through the scale subresource of the group's Deployment:
  - up at once;
  - down only through idle pods: it asks the watcher to drain them (their workers unregister and stop
    their engines once none holds a task, see the worker's drain), marks the drained ones with the
    lowest pod-deletion-cost, lowers the count by as many, and checks that exactly those pods went.
    A count not reached (pods still busy) is tried again at every look.
Each group's target is, in this order: its adaptive policy (sizing.Adaptive), the count last asked
(`scale(n)`), or its count kept within its bounds (minWorkers, maxWorkers: the file IPP_SCALING_FILE,
from the stack's config, read again when it changes). Requests come through the watcher, signed with the
cluster's key, which this process checks again. Every change is a log line and a counted decision."""
import collections
import json
import os
import sys
import threading
import time

from . import client, process, sizing
from .kube import DELETION_COST, Kube, KubeError
from .scale_requests import handler, load_state
from .server import serve

DRAIN_SECONDS = 20.0  # how long a drain waits for the workers' word
GONE_SECONDS = 60.0  # how long a removed pod may take to go (the worker's stop within the grace period)
STALE_SECONDS = 10.0  # a pod that has not reported for this long is gone (workers report every 2 s)
DRAINED_COST = "-1000"  # the pod-deletion-cost of a drained pod: removed before any other
RECENT_DECISIONS = 50


log = process.logger("ipp-scaler")


def required(name, parse=str):
    return process.required("ipp-scaler", name, parse)


def load_bounds(path):
    """({group: sizing.Bounds}, the seconds a drained pod takes to be NotReady)."""
    with open(path) as f:
        data = json.load(f)
    bounds = {g: sizing.Bounds(b["deployment"], int(b["minimum"]), int(b["maximum"]), int(b["enginesPerPod"])) for g, b in data["groups"].items()}
    return bounds, float(data["notReadySeconds"])


def live_pods(snapshot, group, now):
    """{pod: its watcher entry} of the group's pods that report."""
    return {p: v for p, v in snapshot["pods"].items() if v["group"] == group and v["reported"] is not None and now - v["reported"] < STALE_SECONDS}


class Scaler:
    def __init__(self, kube, watcher, bounds_file, *, clock=time.time, sleep=time.sleep):
        """`watcher(method, path, body)`: a signed request to the watcher, its answer."""
        self.kube, self.watcher = kube, watcher
        self.bounds_file, self.bounds_read = bounds_file, None
        self.clock, self.sleep = clock, sleep
        self.bounds, self.not_ready_seconds = {}, 0.0
        self.lock = threading.RLock()  # one change of a count at a time
        self.removing = set()  # pods drained by this scaler for a scale-down under way (the others are released)
        self.adaptive = {}  # group -> sizing.Adaptive
        self.wanted = {}  # group -> the count last asked for
        self.decisions = collections.deque(maxlen=RECENT_DECISIONS)
        self.state_file = None  # where what was asked is kept (see scale_requests.save_state)

    def reload(self):
        try:
            stamp = os.stat(self.bounds_file).st_mtime_ns
        except FileNotFoundError:  # not there yet: the ConfigMap comes after the Deployments it names
            return self.bounds
        if stamp != self.bounds_read:
            try:
                self.bounds, self.not_ready_seconds = load_bounds(self.bounds_file)
            except (OSError, ValueError, KeyError, TypeError) as e:
                log(f"the bounds file {self.bounds_file} is unreadable ({e}); keeping the bounds before it")
                return self.bounds
            self.bounds_read = stamp
            log("bounds: " + ", ".join(f"{g} {b.minimum} to {b.maximum}" for g, b in sorted(self.bounds.items())))
        return self.bounds

    def status(self):
        return self.watcher("GET", "/status", None)

    def decided(self, group, old, new, reason):
        direction = "up" if new > old else "down"
        log(f"group {group}: {old} -> {new} worker pods: {reason}")
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.clock()))
        self.decisions.append({"time": stamp, "group": group, "from": old, "to": new, "reason": reason})
        try:
            self.watcher("POST", "/decision", {"group": group, "direction": direction})
        except client.WatcherError as e:
            log(f"the watcher did not count the decision: {e}")

    def target(self, group, count, snapshot):
        """(the count the group should have, why)."""
        b = self.bounds[group]
        reason = "asked"
        if group in self.adaptive:  # within the bounds of now, which a pulumi up may have narrowed
            target, reason = self.adaptive[group].decide(self.clock(), count, sizing.demand(snapshot, group))
            if reason is None:
                target = count
        else:
            target = self.wanted.get(group, count)
        clamped = max(b.minimum, min(b.maximum, target))
        if clamped != target:
            return clamped, f"{target} is outside minWorkers {b.minimum} to maxWorkers {b.maximum}"
        return target, (reason if target != count else None)

    def apply(self, group, snapshot=None):
        """Moves the group toward its target, as far as it safely can now; the count it has then."""
        with self.lock:
            b = self.bounds[group]
            count = self.kube.replicas(b.deployment)
            target, reason = self.target(group, count, snapshot or self.status())
            if target > count:
                self.kube.scale(b.deployment, target)
                self.decided(group, count, target, reason)
            elif target < count:
                target = self.scale_down(group, b, count, target, reason)
            if group in self.adaptive and target != count:
                self.adaptive[group].moved(self.clock(), target)
            return target

    def scale_down(self, group, b, count, target, reason):
        """Removes up to count - target idle pods (drained first); the count it has then. Whatever goes
        wrong on the way, the pods it drained and did not remove are released."""
        snapshot = self.status()
        # Pods of an earlier scale-down still on their way out are neither counted nor chosen again.
        live = {p: v for p, v in live_pods(snapshot, group, self.clock()).items() if p not in self.removing}
        drained = sorted(p for p, v in live.items() if v["drain"] == "drained")[: count - target]
        avoid = set(drained) | self.removing
        chosen = drained + sizing.removable(snapshot, group, b.engines_per_pod, count - target - len(drained), avoid=avoid)
        if not chosen:
            return count
        self.removing |= set(chosen)
        ready = []
        try:
            self.watcher("POST", "/drain", {"pods": chosen, "drain": True})
            ready = self.wait_drained(chosen)
            if ready:
                self.sleep(self.not_ready_seconds)  # NotReady by now: the ReplicaSet takes NotReady pods first
                for pod in ready:
                    self.kube.annotate(pod, {DELETION_COST: DRAINED_COST})
                self.kube.scale(b.deployment, count - len(ready))
        except BaseException:
            ready = []
            raise
        finally:
            kept = [p for p in chosen if p not in ready]
            if kept:  # still busy, or silent, or the scale failed: they keep working
                log(f"group {group}: {', '.join(kept)} not removed (not drained within {DRAIN_SECONDS:g} s, or the scale failed); kept")
                self.release(kept)
        if not ready:
            return count
        self.decided(group, count, count - len(ready), f"{reason}; removing {', '.join(ready)} (drained)")
        threading.Thread(target=self.verify, args=(group, ready, set(live) - set(ready)), daemon=True).start()
        return count - len(ready)

    def wait_drained(self, chosen):
        """The pods among `chosen` whose workers report them drained, once all do or DRAIN_SECONDS have passed."""
        deadline = self.clock() + DRAIN_SECONDS
        while True:
            states = {p: v["drain"] for p, v in self.status()["pods"].items() if p in chosen}
            ready = [p for p in chosen if states.get(p) == "drained"]
            if len(ready) == len(chosen) or self.clock() > deadline:
                return ready
            self.sleep(0.5)

    def release(self, pods, marked=True):
        """Calls off the drain of `pods` (their engines start again) and, when they were marked, their deletion cost."""
        self.removing -= set(pods)
        self.watcher("POST", "/drain", {"pods": list(pods), "drain": False})
        for pod in pods if marked else ():
            try:
                self.kube.annotate(pod, {DELETION_COST: None})
            except KubeError as e:  # a pod that has gone meanwhile
                log(f"{pod}: its deletion cost stays ({e})")

    def verify(self, group, removed, others):
        """Checks that the pods removed are the drained ones: they go, and the others stay."""
        deadline = self.clock() + GONE_SECONDS
        while self.clock() < deadline:
            live = live_pods(self.status(), group, self.clock())
            if not set(removed) & set(live):
                break
            self.sleep(1.0)
        lost = sorted(others - set(live))
        stayed = sorted(set(removed) & set(live))
        if stayed:
            log(f"group {group}: {', '.join(stayed)} still there {GONE_SECONDS:g} s after the scale-down; released")
        elif lost:
            log(f"group {group}: removed {', '.join(removed)} as chosen, but {', '.join(lost)} went too")
        else:
            log(f"group {group}: removed exactly {', '.join(removed)}")
        with self.lock:
            self.release(stayed)
            self.release([p for p in removed if p not in stayed], marked=False)

    def look(self):
        """One look at every group that scales; drains no scale-down of this scaler is using (it restarted,
        or a step failed) are released first."""
        bounds = self.reload()
        snapshot = self.status()
        with self.lock:
            stale = sorted(p for p, v in snapshot["pods"].items() if v.get("draining") and p not in self.removing)
            if stale:
                log(f"releasing {', '.join(stale)}: drained for no scale-down under way")
                self.release(stale)
        for group in sorted(bounds):
            try:
                self.apply(group, snapshot)
            except (KubeError, client.WatcherError, OSError, ValueError) as e:
                log(f"group {group}: {e}")

    def run(self, interval):
        while True:
            try:
                self.look()
            except (OSError, ValueError, KeyError, client.WatcherError) as e:
                log(f"look failed: {e}")
            self.sleep(interval)


def main():
    client_file = required("IPP_CLIENT_FILE")
    with open(client_file) as f:
        key = json.load(f)["key"].encode()
    watcher_url = required("IPP_WATCHER_URL").rstrip("/")
    interval = required("IPP_WATCH_SECONDS", float)
    port = required("IPP_SCALER_PORT", int)
    scaler = Scaler(Kube(), lambda method, path, body: client.request(watcher_url, key, method, path, body), required("IPP_SCALING_FILE"))
    scaler.state_file = os.path.join(os.path.expanduser("~"), "scaler-state.json")
    load_state(scaler)
    serve(port, handler(scaler, key), host="127.0.0.1")
    log(f"scaling requests on 127.0.0.1:{port}, a look every {interval:g} s")
    scaler.run(interval)


if __name__ == "__main__":
    sys.exit(main())
