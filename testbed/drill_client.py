"""A client for the failure drills, run inside the frontend.

    python3 - map CLIENT_FILE N TASKS SLEEP_S RETRIES TIMEOUT
        A load-balanced map of TASKS idempotent tasks (each sleeps SLEEP_S, then returns x * x) with
        view.retries = RETRIES. Prints STARTED once they are submitted, then
        {"ok": bool, "seconds": float, "tasks": int, "wrong": int, "error": str}.
    python3 - direct CLIENT_FILE N
        Picks one engine, prints "TARGET <its hostname>", starts a call on it that takes a minute,
        prints SUBMITTED, then waits for it: {"error": "<exception class>", "ename": "<remote class>",
        "failed_at": unix time, "message": str}.
    python3 - engines CLIENT_FILE
        {"engines": {id: the engine's session uuid}} as the hub has them.

The last line is always one JSON object.
"""
import json
import socket
import sys
import time

import ipyparallel as ipp


def square_after(x, seconds):
    import time

    time.sleep(seconds)
    return x * x


def run_map(path, n, tasks, seconds, retries, timeout):
    client = ipp.Client(path, timeout=30)
    client.wait_for_engines(n, timeout=60)
    view = client.load_balanced_view()
    view.retries = retries
    start = time.monotonic()
    ar = view.map_async(square_after, range(tasks), [seconds] * tasks, chunksize=1)
    print("STARTED", flush=True)
    try:
        results = ar.get(timeout=timeout)
    except Exception as e:  # a task lost for good, or the whole map out of time
        return {"ok": False, "seconds": time.monotonic() - start, "tasks": tasks, "wrong": -1, "error": f"{type(e).__name__}: {e}"}
    expected = [x * x for x in range(tasks)]
    wrong = sum(1 for got, want in zip(results, expected) if got != want) + abs(len(results) - tasks)
    return {"ok": wrong == 0, "seconds": time.monotonic() - start, "tasks": len(results), "wrong": wrong, "error": ""}


def run_direct(path, n):
    client = ipp.Client(path, timeout=30)
    client.wait_for_engines(n, timeout=60)
    target = client.ids[0]
    print(f"TARGET {client[target].apply_sync(socket.gethostname)}", flush=True)
    ar = client[target].apply_async(time.sleep, 60)
    print("SUBMITTED", flush=True)
    try:
        ar.get(timeout=120)
    except Exception as e:
        # A RemoteError carries the remote exception's class as its ename.
        return {"error": type(e).__name__, "ename": getattr(e, "ename", ""), "failed_at": time.time(), "message": str(e)[:300]}
    return {"error": "", "ename": "", "failed_at": time.time(), "message": "the call returned"}


def run_engines(path):
    client = ipp.Client(path, timeout=30)
    return {"engines": {str(k): v for k, v in client._engines.items()}}


if __name__ == "__main__":
    mode, path = sys.argv[1], sys.argv[2]
    if mode == "map":
        out = run_map(path, int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6]), float(sys.argv[7]))
    elif mode == "direct":
        out = run_direct(path, int(sys.argv[3]))
    else:
        out = run_engines(path)
    print(json.dumps(out), flush=True)
