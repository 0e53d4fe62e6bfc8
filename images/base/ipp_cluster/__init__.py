"""ipp-cluster's own module, in every image: see the cluster, and size it, from where you work.

    import ipp_cluster
    ipp_cluster.status()            # engines by group and pod, busy or idle, the queue, recent failures
    ipp_cluster.logs(pod="...")     # the last lines of a worker pod and its engines, also once it is gone
    ipp_cluster.logs(engine=3)      # those of one engine
    ipp_cluster.scale(4)            # 4 worker pods in the group "default"; returns once their engines answer
    ipp_cluster.adapt(1, 8)         # from 1 to 8 pods, following the work; adapt(False) stops it
    ipp_cluster.scaling()           # the groups' bounds, counts, adaptive settings and last decisions

All of it asks the cluster's watcher (beside the controller), with the cluster's key, never the controller
itself; scaling goes through the watcher to the scaler (Kubernetes only). The key and the watcher's address
come from the client file (the seed's path, or IPP_CLIENT_FILE, or the `client_file` given) and
IPP_WATCHER_URL when set.
"""
import urllib.parse

from .client import WATCHER_PORT, WatcherError, call
from .view import Scaling, Status

__all__ = ["WATCHER_PORT", "WatcherError", "adapt", "logs", "scale", "scaling", "status"]

# How long scale() waits for the engines by default, and what its request may take beyond that.
SCALE_TIMEOUT_SECONDS = 300
MARGIN_SECONDS = 60


def status(client_file=None):
    """The cluster as the watcher sees it: a table when printed, a richer one in JupyterLab."""
    return Status(call("GET", "/status", client_file=client_file))


def logs(pod=None, engine=None, lines=100, client_file=None):
    """The last `lines` log lines of a worker pod (`pod`, its name) or of one engine (`engine`: its id,
    or its session id once it is gone), as text; `lines=0`: all that are kept."""
    if pod is None and engine is None:
        raise ValueError("name a pod or an engine: ipp_cluster.logs(pod='...') or ipp_cluster.logs(engine=3)")
    query = {"lines": int(lines), **({"pod": pod} if pod else {}), **({"engine": engine} if engine is not None else {})}
    return "\n".join(call("GET", "/logs?" + urllib.parse.urlencode(query), client_file=client_file)["lines"])


def scale(workers, group="default", timeout=SCALE_TIMEOUT_SECONDS, client_file=None):
    """Scales the worker group to `workers` pods (within its minWorkers and maxWorkers). Pods go only once
    their engines are idle. Returns once every engine of the group answers, or after `timeout` seconds
    saying what is still pending. Stops the group's adaptive scaling, if it had any."""
    body = {"group": group, "workers": workers, "timeout": timeout}
    return Scaling(call("POST", "/scale", body, client_file, timeout + MARGIN_SECONDS))


def adapt(minimum=None, maximum=None, group="default", idle_seconds=60, client_file=None):
    """Lets the scaler size the group from `minimum` to `maximum` pods (the group's bounds when left out),
    following the work waiting and running; it scales down only after `idle_seconds` of less work, idle
    pods only. `adapt(False)` stops it (the group keeps its count)."""
    if minimum is False:
        body = {"group": group, "off": True}
    else:
        body = {"group": group, "minimum": minimum, "maximum": maximum, "idle_seconds": idle_seconds}
    return Scaling(call("POST", "/adapt", body, client_file))


def scaling(client_file=None):
    """Each scaling group: its bounds, its count, its adaptive settings, and the scaler's last decisions."""
    return Scaling(call("GET", "/scaling", client_file=client_file))
