"""Waits until the cluster answers: exactly N engines, each returning the seed's greeting.

    python3 - CLIENT_FILE N TIMEOUT_SECONDS  < check_cluster.py

Prints one JSON line: {"ok": bool, "seconds": float, "ids": [...], "error": str}.
"""
import json
import sys
import time

import ipyparallel as ipp

path, n, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
start = time.monotonic()
ids, error = None, None
while time.monotonic() - start < timeout:
    client = None
    try:
        client = ipp.Client(path, timeout=min(5, max(1, timeout - (time.monotonic() - start))))
        ids = client.ids
        if len(ids) == n:
            greetings = client[:].apply_async(lambda: "Hello, World").get(timeout=5)
            if greetings == ["Hello, World"] * n:
                print(json.dumps({"ok": True, "seconds": time.monotonic() - start, "ids": ids}))
                sys.exit(0)
            error = f"greetings: {greetings}"
        else:
            error = f"{len(ids)} engines registered, {n} expected"
    except Exception as e:  # the controller may be away; try again
        error = f"{type(e).__name__}: {e}"
    finally:
        if client is not None:
            client.close()
    time.sleep(0.2)
print(json.dumps({"ok": False, "seconds": time.monotonic() - start, "ids": ids, "error": error}))
sys.exit(1)
