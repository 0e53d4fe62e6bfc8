"""Waits until the cluster answers: exactly N engines, each returning the seed's greeting.

    python3 - CLIENT_FILE N TIMEOUT_SECONDS  < check_cluster.py

Prints one JSON line: {"ok": bool, "seconds": float, "ids": [...], "error": str}. One client is kept
while it works (a new one per poll would take CPU from the engines it waits for).
"""
import json
import sys
import time

import ipyparallel as ipp

path, n, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
start = time.monotonic()
ids, error, client = None, None, None


def left():
    return max(1, timeout - (time.monotonic() - start))


while time.monotonic() - start < timeout:
    try:
        if client is None:
            client = ipp.Client(path, timeout=min(5, left()))
        ids = client.ids
        if len(ids) == n:
            greetings = client[:].apply_async(lambda: "Hello, World").get(timeout=min(5, left()))
            if greetings == ["Hello, World"] * n:
                print(json.dumps({"ok": True, "seconds": time.monotonic() - start, "ids": ids}))
                sys.exit(0)
            error = f"greetings: {greetings}"
        else:
            error = f"{len(ids)} engines registered, {n} expected"
    except Exception as e:  # the controller may be away, or an engine gone: start over with a new client
        error = f"{type(e).__name__}: {e}"
        if client is not None:
            client.close()
        client = None
    time.sleep(0.2)
print(json.dumps({"ok": False, "seconds": time.monotonic() - start, "ids": ids, "error": error}))
sys.exit(1)
