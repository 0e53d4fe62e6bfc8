"""Signed requests to the cluster's watcher (and, through it, its scaler): the key and the watcher's
address come from a client file (the seed's path, IPP_CLIENT_FILE, or the one given) and IPP_WATCHER_URL
when set. A refusal (4xx/5xx) raises WatcherError with the watcher's own message."""
import json
import os
import urllib.error
import urllib.request

from . import auth

# The watcher's port for signed requests (the program's port table, lib/ports.ts, says the same).
WATCHER_PORT = 10121
CLIENT_FILE = os.path.join(os.path.expanduser("~"), ".ipython", "profile_default", "security", "ipcontroller-client.json")
TIMEOUT_SECONDS = 10


class WatcherError(Exception):
    pass


def watcher(client_file=None):
    """(the watcher's base URL, the key) for this cluster."""
    path = client_file or os.environ.get("IPP_CLIENT_FILE") or CLIENT_FILE
    with open(path) as f:
        info = json.load(f)
    url = os.environ.get("IPP_WATCHER_URL") or f"http://{info['location']}:{WATCHER_PORT}"
    return url.rstrip("/"), info["key"].encode()


def request(base, key, method, path, body=None, timeout=TIMEOUT_SECONDS):
    """The JSON answer to one signed request to `base` (a URL without a path)."""
    data = b"" if body is None else json.dumps(body).encode()
    headers = {**auth.sign(key, method, path, data), **({"Content-Type": "application/json"} if body is not None else {})}
    req = urllib.request.Request(base + path, data if method == "POST" else None, headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return json.load(response)
    except urllib.error.HTTPError as e:
        try:
            message = json.load(e).get("error", "")
        except ValueError:
            message = ""
        raise WatcherError(message or f"{method} {path}: {e.code} {e.reason}") from None


def call(method, path, body=None, client_file=None, timeout=TIMEOUT_SECONDS):
    """A signed request to this cluster's watcher."""
    base, key = watcher(client_file)
    return request(base, key, method, path, body, timeout)
