"""Measurements taken by an ipyparallel client, inside the cluster's network.

    python3 - ready CLIENT_FILE N TIMEOUT        -> {"answered_at": unix time}  when N engines answer
    python3 - throughput CLIENT_FILE N TASKS     -> {"lb_tasks_per_s": ..., "direct_tasks_per_s": ...}
    python3 - pids CLIENT_FILE                   -> {"engine_pids": [...]}  the engines' process ids

Prints one JSON line. `ready` starts polling at once, so start it before launching the engines and
compare `answered_at` with the launch time (same clock: the same kernel).
"""
import json
import os
import sys
import time

import ipyparallel as ipp


def greeting():
    return "Hello, World"


def ready(path, n, timeout):
    deadline = time.time() + timeout
    client = None
    while time.time() < deadline:
        try:
            if client is None:
                client = ipp.Client(path, timeout=max(1, deadline - time.time()))
            if len(client.ids) >= n:
                view = client[:]
                if view.apply_async(greeting).get(timeout=max(1, deadline - time.time())) == ["Hello, World"] * len(view):
                    return {"answered_at": time.time(), "engines": len(view)}
        except Exception:  # the controller or the engines are not there yet
            if client is not None:
                client.close()
            client = None
        time.sleep(0.05)
    registered = len(client.ids) if client is not None else 0
    return {"error": f"fewer than {n} engines answered within {timeout:.0f} s", "registered": registered}


def noop(_=None):
    return None


def throughput(path, n, tasks, rounds=3):
    """The median of `rounds` runs of each kind: one machine's noise spreads single runs widely."""
    client = ipp.Client(path, timeout=30)
    client.wait_for_engines(n, timeout=60)
    lb = client.load_balanced_view()
    dv = client[:]
    lb.map_sync(noop, range(100))  # warm up
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
    median = lambda xs: sorted(xs)[len(xs) // 2]
    return {"lb_tasks_per_s": median(lb_rates), "direct_tasks_per_s": median(direct_rates)}


def pids(path):
    client = ipp.Client(path, timeout=30)
    return {"engine_pids": client[:].apply_sync(os.getpid)}


if __name__ == "__main__":
    mode, path = sys.argv[1], sys.argv[2]
    if mode == "ready":
        out = ready(path, int(sys.argv[3]), float(sys.argv[4]))
    elif mode == "throughput":
        out = throughput(path, int(sys.argv[3]), int(sys.argv[4]))
    else:
        out = pids(path)
    print(json.dumps(out), flush=True)
