"""Measurements taken by an ipyparallel client, inside the cluster's network.

    python3 - ready CLIENT_FILE N TIMEOUT        -> {"answered_at": unix time}  when N engines answer
    python3 - throughput CLIENT_FILE N TASKS     -> {"lb_tasks_per_s": ..., "direct_tasks_per_s": ..., "tasks_run": ..., "client_cpu_s": ...}
    python3 - pids CLIENT_FILE                   -> {"engine_pids": [...]}  the engines' process ids
    python3 - broadcast CLIENT_FILE N ROUNDS     -> {"direct_s": [...], "broadcast_s": [...]}  seconds per call to all
                                                    N engines, through each view, ROUNDS calls each, interleaved
    python3 - stream CLIENT_FILE N TASKS         -> {"tasks": ..., "ok": ..., "seconds": ...}  one load-balanced map of
                                                    TASKS trivial tasks, one task per message, all submitted at once

Prints one JSON line, the last. `ready` first prints a line READY, once it has imported ipyparallel
and made its first attempt to connect: launch the engines only then, and compare `answered_at` with
the launch time (same clock: the same kernel).
"""
import json
import os
import sys
import time

import ipyparallel as ipp


def greeting():
    return "Hello, World"


READY = "READY"


def announce():
    """Tells the caller that this poller is under way: everything from now on counts."""
    print(READY, flush=True)
    return True


def ready(path, n, timeout):
    deadline = time.time() + timeout
    client = None
    registered = 0  # as last seen, also when a later attempt failed
    polling = False
    while time.time() < deadline:
        try:
            if client is None:
                client = ipp.Client(path, timeout=max(1, deadline - time.time()))
            registered = len(client.ids)
            if not polling:
                polling = announce()
            if registered >= n:
                view = client[:]
                if view.apply_async(greeting).get(timeout=max(1, deadline - time.time())) == ["Hello, World"] * len(view):
                    return {"answered_at": time.time(), "engines": len(view)}
        except Exception:  # the controller or the engines are not there yet
            if client is not None:
                client.close()
            client = None
        if not polling:
            polling = announce()
        time.sleep(0.05)
    return {"error": f"fewer than {n} engines answered within {timeout:.0f} s", "registered": registered}


def noop(_=None):
    return None


def throughput(path, n, tasks, rounds=3):
    """The median of `rounds` runs of each kind: one machine's noise spreads single runs widely.
    Also counts the tasks run and this client's CPU seconds for them, to set against the
    controller's and the engines' CPU over the same span."""
    client = ipp.Client(path, timeout=30)
    client.wait_for_engines(n, timeout=60)
    lb = client.load_balanced_view()
    dv = client[:]
    lb.map_sync(noop, range(100))  # warm up
    cpu_at_start = sum(os.times()[:2])
    tasks_run = 0
    lb_rates, direct_rates = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        lb.map_sync(noop, range(tasks), chunksize=1)
        lb_rates.append(tasks / (time.perf_counter() - start))
        start = time.perf_counter()
        results = [dv.apply_async(noop) for _ in range(max(1, tasks // len(dv)))]
        for r in results:
            r.get()
        direct_rates.append(len(results) * len(dv) / (time.perf_counter() - start))
        tasks_run += tasks + len(results) * len(dv)
    def median(xs):
        return sorted(xs)[len(xs) // 2]

    return {
        "lb_tasks_per_s": median(lb_rates),
        "direct_tasks_per_s": median(direct_rates),
        "tasks_run": tasks_run,
        "client_cpu_s": sum(os.times()[:2]) - cpu_at_start,
    }


def stream(path, n, tasks):
    """One map of `tasks` trivial tasks, submitted at once as a user's `view.map` would: the controller
    queues what the engines have not taken yet."""
    client = ipp.Client(path, timeout=30)
    client.wait_for_engines(n, timeout=60)
    start = time.perf_counter()
    results = client.load_balanced_view().map_async(noop, range(tasks), chunksize=1).get()
    seconds = time.perf_counter() - start
    return {"tasks": len(results), "ok": results == [None] * tasks, "seconds": seconds}


def broadcast(path, n, rounds):
    """Seconds per call of a no-op on every engine, through the direct view (the client sends one
    message per engine, through the mux scheduler) and the broadcast view (one message, fanned out
    by the broadcast scheduler's tree), interleaved."""
    client = ipp.Client(path, timeout=30)
    client.wait_for_engines(n, timeout=120)
    views = {"direct_s": client[:], "broadcast_s": client.broadcast_view()}
    out = {name: [] for name in views}
    for view in views.values():
        view.apply_sync(noop)  # warm up
    for _ in range(rounds):
        for name, view in views.items():
            start = time.perf_counter()
            results = view.apply_sync(noop)
            out[name].append(time.perf_counter() - start)
            if len(results) != n:
                return {"error": f"{name}: {len(results)} results from {n} engines"}
    return out


def pids(path):
    client = ipp.Client(path, timeout=30)
    return {"engine_pids": client[:].apply_sync(os.getpid)}


if __name__ == "__main__":
    mode, path = sys.argv[1], sys.argv[2]
    if mode == "ready":
        out = ready(path, int(sys.argv[3]), float(sys.argv[4]))
    elif mode == "throughput":
        out = throughput(path, int(sys.argv[3]), int(sys.argv[4]))
    elif mode == "broadcast":
        out = broadcast(path, int(sys.argv[3]), int(sys.argv[4]))
    elif mode == "stream":
        out = stream(path, int(sys.argv[3]), int(sys.argv[4]))
    else:
        out = pids(path)
    print(json.dumps(out), flush=True)
