"""The Jupyter wire format, for the few messages the worker sends and checks, with plain hmac and json:
jupyter_client's Session would cost every worker a fifth of a second of CPU to import.

A message is [identities..., DELIMITER, signature, header, parent, metadata, content, buffers...];
the signature is the HMAC of the four JSON parts.
"""
import hashlib
import hmac
import json
import uuid
from datetime import datetime, timezone

DELIMITER = b"<IDS|MSG>"


class WireError(ValueError):
    """A message that is not one: no delimiter, too few frames, bad JSON, or a wrong signature."""


def split(frames):
    """(identities, signature, the four JSON parts) of a message; WireError when it has no delimiter
    or fewer than four parts after its signature."""
    try:
        i = frames.index(DELIMITER)
    except ValueError:
        raise WireError("a message without the delimiter") from None
    parts = frames[i + 2 : i + 6]
    if len(parts) < 4:
        raise WireError(f"a message of {len(frames) - i - 1} frames after the delimiter; at least 5 expected")
    return frames[:i], frames[i + 1], parts


def load(part, what):
    """One JSON part, which must be an object; WireError otherwise."""
    try:
        value = json.loads(part)
    except ValueError:  # bad JSON, bad UTF-8
        raise WireError(f"a message whose {what} is not JSON") from None
    if not isinstance(value, dict):
        raise WireError(f"a message whose {what} is not a JSON object")
    return value


def msg_type(frames):
    """The message's type, read from its header without checking the signature; WireError when it has none."""
    _identities, _signature, parts = split(frames)
    kind = load(parts[0], "header").get("msg_type")
    if not isinstance(kind, str):
        raise WireError("a message without a msg_type")
    return kind


class Messages:
    """Signs, packs and unpacks messages with one key, as one session of this process."""

    def __init__(self, key, signature_scheme):
        """ValueError when the scheme is not hmac-<a hashlib digest>."""
        scheme, _, digest = signature_scheme.partition("-")
        if scheme != "hmac" or not digest or not hasattr(hashlib, digest):
            raise ValueError(f"unsupported signature scheme {signature_scheme}")
        self.key = key
        self.digest = getattr(hashlib, digest)
        self.session = str(uuid.uuid4())

    def sign(self, parts):
        mac = hmac.new(self.key, digestmod=self.digest)
        for part in parts:
            mac.update(part)
        return mac.hexdigest().encode()

    def pack(self, msg_type, content, parent=None):
        """The frames of a new message of this session (no identities)."""
        header = {
            "msg_id": str(uuid.uuid4()),
            "msg_type": msg_type,
            "session": self.session,
            "username": "ipp-worker",
            "date": datetime.now(timezone.utc).isoformat(),
            "version": "5.3",
        }
        parts = [json.dumps(part).encode() for part in (header, parent or {}, {}, content)]
        return [DELIMITER, self.sign(parts), *parts]

    def unpack(self, frames):
        """{"identities", "header", "msg_type", "content"} of a message signed with this key;
        WireError when it is malformed or its signature is wrong."""
        identities, signature, parts = split(frames)
        if not hmac.compare_digest(signature, self.sign(parts)):
            raise WireError("a message with an invalid signature")
        header, _parent, _metadata, content = (load(p, w) for p, w in zip(parts, ("header", "parent", "metadata", "content")))
        if not isinstance(header.get("msg_type"), str):
            raise WireError("a message without a msg_type")
        return {"identities": identities, "header": header, "msg_type": header["msg_type"], "content": content}
