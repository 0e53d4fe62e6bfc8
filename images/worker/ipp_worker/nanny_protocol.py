"""The nanny request: how an engine (ipp-engine) asks the worker to be its nanny, over the worker's
Unix socket (its path in IPP_NANNY_SOCKET). Both sides import this module.

The engine sends one line, a JSON object: its pid, the engine id the hub gave it, its identity on the
control channel, the controller's control URL and registration URL. The worker answers with one
line: the local URL the engine's control socket is to connect to instead; or it closes the
connection without a word (refused). The connection then stays open for the engine's life: the
worker takes its closing as the engine's exit.
"""
import json
from typing import NamedTuple

SOCKET_VARIABLE = "IPP_NANNY_SOCKET"  # set by the worker for its engines
MAX_LINE = 64 * 1024  # longer lines are refused (a request is a few hundred bytes)


class ProtocolError(ValueError):
    """A request or reply that is not one: half-sent, too long, not JSON, or with a wrong field."""


class NannyRequest(NamedTuple):
    pid: int
    engine_id: int
    identity: str  # ASCII: the engine's zmq identity
    control_url: str
    registration_url: str


def _whole_number(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _url(value):
    return isinstance(value, str) and "://" in value


# What each field must be, and how to say it.
FIELDS = {
    "pid": (lambda v: _whole_number(v) and v > 0, "a positive whole number"),
    "engine_id": (lambda v: _whole_number(v) and v >= 0, "a whole number from 0"),
    "identity": (lambda v: isinstance(v, str) and v.isascii() and v != "", "a non-empty ASCII string"),
    "control_url": (_url, "a URL"),
    "registration_url": (_url, "a URL"),
}


def encode_request(request):
    """The line an engine sends for `request` (a NannyRequest, checked as the worker will)."""
    check(dict(request._asdict()))
    return json.dumps(request._asdict()).encode() + b"\n"


def check(fields):
    """ProtocolError naming the first field that is missing or wrong."""
    for name, (valid, meaning) in FIELDS.items():
        if name not in fields:
            raise ProtocolError(f"a request without {name}")
        if not valid(fields[name]):
            raise ProtocolError(f"a request whose {name} is not {meaning}: {fields[name]!r}")


def decode_request(line):
    """The NannyRequest in an engine's line; ProtocolError when it is not one."""
    try:
        fields = json.loads(line)
    except ValueError:
        raise ProtocolError(f"a request that is not JSON: {line[:200]!r}") from None
    if not isinstance(fields, dict):
        raise ProtocolError(f"a request that is not a JSON object: {line[:200]!r}")
    check(fields)
    return NannyRequest(**{name: fields[name] for name in FIELDS})


def encode_reply(url):
    return url.encode("ascii") + b"\n"


def decode_reply(line):
    """The URL in the worker's reply; ProtocolError when the worker refused (closed without one)."""
    url = line.decode("ascii", "replace").strip()
    if not _url(url):
        raise ProtocolError(f"the worker did not take this engine's nanny on ({line[:200]!r})")
    return url


class LineBuffer:
    """Collects one line from what a connection receives, chunk by chunk (the worker reads without blocking)."""

    def __init__(self, limit=MAX_LINE):
        self.data = b""
        self.limit = limit

    def feed(self, chunk):
        """The whole line (with its newline) once it has come, else None; ProtocolError when the
        connection closed (an empty chunk) before the line was whole, or the line is too long."""
        if not chunk:
            raise ProtocolError(f"the connection closed before a whole line ({len(self.data)} bytes of one came)")
        self.data += chunk
        end = self.data.find(b"\n")
        if end >= 0:
            return self.data[: end + 1]
        if len(self.data) > self.limit:
            raise ProtocolError(f"a line longer than {self.limit} bytes")
        return None


def read_line(conn, limit=MAX_LINE):
    """One line from a blocking socket (OSError on its timeout); ProtocolError as LineBuffer.feed."""
    buffer = LineBuffer(limit)
    while True:
        line = buffer.feed(conn.recv(4096))
        if line is not None:
            return line
