"""ipp-cluster's own module, in every image: the cluster's status and logs, from where you work.

    import ipp_cluster
    ipp_cluster.status()            # engines by group and pod, busy or idle, the queue, recent failures
    ipp_cluster.logs(pod="...")     # the last lines of a worker pod and its engines, also once it is gone
    ipp_cluster.logs(engine=3)      # those of one engine

Both ask the cluster's watcher (beside the controller), with the cluster's key, never the controller
itself. The key and the watcher's address come from the client file (the seed's path, or
IPP_CLIENT_FILE, or the `client_file` given) and IPP_WATCHER_URL when set.
"""
import json
import os
import urllib.parse
import urllib.request

from . import auth
from .view import Status

# The watcher's port for signed requests (the program's port table, lib/ports.ts, says the same).
WATCHER_PORT = 10121
CLIENT_FILE = os.path.join(os.path.expanduser("~"), ".ipython", "profile_default", "security", "ipcontroller-client.json")
TIMEOUT_SECONDS = 10


def _watcher(client_file=None):
    """(the watcher's base URL, the key) for this cluster."""
    path = client_file or os.environ.get("IPP_CLIENT_FILE") or CLIENT_FILE
    with open(path) as f:
        info = json.load(f)
    url = os.environ.get("IPP_WATCHER_URL") or f"http://{info['location']}:{WATCHER_PORT}"
    return url.rstrip("/"), info["key"].encode()


def _get(path, client_file=None):
    url, key = _watcher(client_file)
    request = urllib.request.Request(url + path, headers=auth.sign(key, "GET", path))
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
        return json.load(response)


def status(client_file=None):
    """The cluster as the watcher sees it: a table when printed, a richer one in JupyterLab."""
    return Status(_get("/status", client_file))


def logs(pod=None, engine=None, lines=100, client_file=None):
    """The last `lines` log lines of a worker pod (`pod`, its name) or of one engine (`engine`: its id,
    or its session id once it is gone), as text."""
    if pod is None and engine is None:
        raise ValueError("name a pod or an engine: ipp_cluster.logs(pod='...') or ipp_cluster.logs(engine=3)")
    query = {"lines": int(lines), **({"pod": pod} if pod else {}), **({"engine": engine} if engine is not None else {})}
    return "\n".join(_get("/logs?" + urllib.parse.urlencode(query), client_file)["lines"])
