"""Requests to the watcher signed with the cluster's key: whoever holds the key can run code on every
engine already, so it is what lets a client read the cluster's state and logs (and a worker report).

A request carries `X-IPP-Time` (Unix seconds) and `X-IPP-Signature`: the HMAC-SHA256, keyed with the
session key, of the method, the path with its query, the time and the body, one per line.
"""
import hashlib
import hmac
import time

# How far a request's time may be from the watcher's clock.
SKEW_SECONDS = 300


def signature(key, method, path, stamp, body=b""):
    mac = hmac.new(key, digestmod=hashlib.sha256)
    for part in (method.encode(), path.encode(), stamp.encode(), body):
        mac.update(part + b"\n")
    return mac.hexdigest()


def sign(key, method, path, body=b"", now=None):
    """The headers that sign a request."""
    stamp = str(int(time.time() if now is None else now))
    return {"X-IPP-Time": stamp, "X-IPP-Signature": signature(key, method, path, stamp, body)}


def verify(key, method, path, headers, body=b"", now=None):
    """Whether `headers` sign this request with `key`, recently."""
    stamp = headers.get("X-IPP-Time", "")
    given = headers.get("X-IPP-Signature", "")
    try:
        age = abs((time.time() if now is None else now) - int(stamp))
    except ValueError:
        return False
    return age <= SKEW_SECONDS and hmac.compare_digest(given, signature(key, method, path, stamp, body))
