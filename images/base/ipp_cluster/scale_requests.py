"""The scaler's requests (through the watcher, signed with the cluster's key): `POST /scale`,
`POST /adapt`, `GET /scaling`. A scale answers once the group's engines answer, or at its timeout with
what is still pending."""
import json
import os

from . import auth, client, sizing
from .kube import KubeError
from .server import Handler

MAX_TIMEOUT_SECONDS = 3600
MAX_BODY_BYTES = 64 * 1024


def save_state(scaler):
    """Keeps what was asked (the counts and the adaptive settings) in the scaler's file, when it has one:
    in its home, which outlives a restart of its container."""
    if not scaler.state_file:
        return
    adaptive = {g: {"minimum": a.minimum, "maximum": a.maximum, "idle_seconds": a.idle_seconds} for g, a in scaler.adaptive.items()}
    with open(scaler.state_file + ".tmp", "w") as f:
        json.dump({"wanted": scaler.wanted, "adaptive": adaptive}, f)
    os.replace(scaler.state_file + ".tmp", scaler.state_file)


def load_state(scaler):
    """What a scaler before this one was asked, from its file (none: nothing)."""
    try:
        with open(scaler.state_file) as f:
            state = json.load(f)
    except (OSError, ValueError):
        return
    bounds = scaler.reload()
    scaler.wanted.update({g: int(n) for g, n in state.get("wanted", {}).items()})
    for g, a in state.get("adaptive", {}).items():
        if g in bounds:
            scaler.adaptive[g] = sizing.Adaptive(a["minimum"], a["maximum"], a["idle_seconds"], bounds[g].engines_per_pod)


def describe(scaler):
    """Each scaling group's bounds, count and adaptive settings, and the last decisions."""
    groups = {}
    for group, b in sorted(scaler.reload().items()):
        adaptive = scaler.adaptive.get(group)
        groups[group] = {
            "minimum": b.minimum,
            "maximum": b.maximum,
            "workers": scaler.kube.replicas(b.deployment),
            "enginesPerPod": b.engines_per_pod,
            "adaptive": adaptive and {"minimum": adaptive.minimum, "maximum": adaptive.maximum, "idle_seconds": adaptive.idle_seconds},
        }
    return {"groups": groups, "decisions": list(scaler.decisions)}


def wait_for(scaler, group, workers, timeout):
    """Waits until the group has `workers` pods and their engines answer; what was reached."""
    b = scaler.bounds.get(group)
    if b is None:
        raise sizing.ScalingError(f"the group {group!r} no longer scales (its bounds were removed)")
    started = scaler.clock()
    while True:
        snapshot = scaler.status()
        engines = sum(1 for e in snapshot["engines"] if e["group"] == group)
        count = scaler.kube.replicas(b.deployment)
        wanted = workers * b.engines_per_pod
        done = count == workers and engines == wanted
        seconds = scaler.clock() - started
        if done or seconds >= timeout:
            break
        scaler.sleep(0.5)
        scaler.apply(group)  # a count not reached yet (pods still busy) is tried again
    pending = None
    if not done:
        pending = f"{count} of {workers} worker pods asked, {engines} of {wanted} engines answering"
        if count > workers:
            pending += " (pods go only once their engines are idle: the scaler keeps trying)"
    return {"group": group, "workers": workers, "engines": engines, "seconds": round(seconds, 2), "done": done, "pending": pending}


def scale(scaler, request):
    group, workers = request.get("group", "default"), request.get("workers")
    timeout = request.get("timeout", 300)
    sizing.check_request(group, workers, scaler.reload())
    if not isinstance(timeout, (int, float)) or not 0 <= timeout <= MAX_TIMEOUT_SECONDS:
        raise sizing.ScalingError(f"timeout: from 0 to {MAX_TIMEOUT_SECONDS} seconds; got {timeout!r}")
    with scaler.lock:
        scaler.adaptive.pop(group, None)
        scaler.wanted[group] = workers
        save_state(scaler)
    scaler.apply(group)
    return wait_for(scaler, group, workers, timeout)


def adapt(scaler, request):
    group = request.get("group", "default")
    bounds = scaler.reload()
    if group not in bounds:
        sizing.check_request(group, 0, bounds)  # raises: the group does not scale
    b = bounds[group]
    with scaler.lock:
        if request.get("off"):
            scaler.adaptive.pop(group, None)
            scaler.wanted[group] = scaler.kube.replicas(b.deployment)
            save_state(scaler)
            return describe(scaler)
        low = b.minimum if request.get("minimum") is None else request["minimum"]
        high = b.maximum if request.get("maximum") is None else request["maximum"]
        idle = request.get("idle_seconds", 60)
        for value in (low, high):
            sizing.check_request(group, value, bounds)
        if low > high:
            raise sizing.ScalingError(f"adapt: the minimum ({low}) is above the maximum ({high})")
        if isinstance(idle, bool) or not isinstance(idle, (int, float)) or not 1 <= idle <= MAX_TIMEOUT_SECONDS:
            raise sizing.ScalingError(f"idle_seconds: from 1 to {MAX_TIMEOUT_SECONDS}; got {idle!r}")
        scaler.adaptive[group] = sizing.Adaptive(low, high, idle, b.engines_per_pod)
        scaler.wanted.pop(group, None)
        save_state(scaler)
    scaler.apply(group)
    return describe(scaler)


def handler(scaler, key):
    class Requests(Handler):
        def answer(self, method, body=b""):
            if not auth.verify(key, self.command, self.path, self.headers, body):
                return self.send(403, {"error": "not signed with the cluster's key"})
            try:
                return self.send(200, method())
            except sizing.ScalingError as e:
                return self.send(400, {"error": str(e)})
            except KubeError as e:
                return self.send(502, {"error": f"the Kubernetes API refused: {e}"})
            except (client.WatcherError, OSError, ValueError, KeyError) as e:
                return self.send(502, {"error": f"the scaler could not carry it out: {type(e).__name__}: {e}"})

        def do_GET(self):
            if self.path != "/scaling":
                return self.send(404, {"error": f"no {self.path}"})
            return self.answer(lambda: describe(scaler))

        def do_POST(self):
            size = int(self.headers.get("Content-Length", 0))
            if size > MAX_BODY_BYTES:
                return self.send(413, {"error": f"a request is at most {MAX_BODY_BYTES} bytes"})
            body = self.rfile.read(size)
            route = {"/scale": scale, "/adapt": adapt}.get(self.path)
            if route is None:
                return self.send(404, {"error": f"no {self.path}"})
            try:
                request = json.loads(body or b"{}")
            except ValueError:
                return self.send(400, {"error": "the body is not JSON"})
            if not isinstance(request, dict):
                return self.send(400, {"error": "the body is not a JSON object"})
            return self.answer(lambda: route(scaler, request), body)

    return Requests
