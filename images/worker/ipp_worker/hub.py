"""The worker's client of the controller's hub, over the registration port: one `connection_request`
per question (which engines are registered, and which hub answers), registrations on behalf of
running engines that a new hub is to take back, and unregistrations."""
import json
import time
from typing import NamedTuple

import zmq

from . import settings
from .log import log
from .wire import Messages, WireError

DEFAULT_HEARTBEAT_SECONDS = 3.0  # ipyparallel's own period, when a reply does not say
UNCONFIRMED = "unconfirmed"  # Hub.confirm's result when the hub answers but does not list every engine asked about


class TakeBack(NamedTuple):
    """The hub's answers to a take-back: {session id: why it was not taken back} (the others were, each
    under its id), and the hub's heartbeat period in seconds."""

    refused: dict
    heartbeat_seconds: float


def refusal(reply, engine_id):
    """Why the hub's `reply` to a registration_request asking for `engine_id` does not take the engine
    back under that id; None when it does."""
    content = reply["content"]
    if reply["msg_type"] != "registration_reply":
        return f"the hub answered with a {reply['msg_type']}"
    if content.get("status") != "ok":
        return f"the hub refused it ({content.get('ename')}: {content.get('evalue')})"
    if content.get("id") != engine_id:
        return f"the hub would give it id {content.get('id')} (its id {engine_id} is taken)"
    return None


class Answer(NamedTuple):
    """The hub's answer: {engine session id: engine id} for every engine registered with it, and the
    hub's own session id (new in every controller process)."""

    registered: dict
    hub: str


def read_answer(reply):
    """The Answer an unpacked reply to a connection_request gives, or None when it gives none.

    The hub's connection_reply lists its `engines` (id -> session id): an engine enters that list
    when its registration finishes (its first heartbeat) and leaves it when unregistered, together
    with the hub's by-session-id lookup that a `queue_request` for one engine answers from; an engine
    still registering, or unknown, is not listed."""
    engines = reply["content"].get("engines") if reply["msg_type"] == "connection_reply" else None
    try:
        return Answer({session: int(eid) for eid, session in engines.items()}, reply["header"].get("session"))
    except (AttributeError, TypeError, ValueError):
        log(f"the hub answered a connection_request with an unexpected {reply['msg_type']}")
        return None


def poll(sock, seconds):
    """Whether `sock` has something to read within `seconds` (the wait of a question nothing else waits on)."""
    return bool(sock.poll(seconds * 1000))


class Hub:
    """Asks the controller's hub about its engines."""

    def __init__(self, engine_file, key_file, *, timeout_ms=settings.QUERY_TIMEOUT_MS):
        with open(engine_file) as f:
            info = json.load(f)
        with open(key_file, "rb") as f:
            key = f.read().strip()
        if not key:
            settings.fail(f"{key_file} is empty")
        self.url = f"{info['interface']}:{info['registration']}"
        try:
            self.messages = Messages(key, info["signature_scheme"])
        except ValueError as e:
            settings.fail(str(e))
        self.timeout = timeout_ms / 1000
        self.context = zmq.Context()

    def _request(self, msg_type, content, wait):
        """Sends one request; returns the unpacked reply, or None when the hub does not answer.
        `wait(sock, seconds)` waits for the reply (whatever else it does meanwhile)."""
        sock = self.context.socket(zmq.DEALER)
        sock.linger = 0
        try:
            sock.connect(self.url)
            sock.send_multipart(self.messages.pack(msg_type, content))
            if not wait(sock, self.timeout):
                return None
            return self.messages.unpack(sock.recv_multipart(zmq.NOBLOCK))
        except (zmq.ZMQError, WireError) as e:
            log(f"hub query failed: {e}")
            return None
        finally:
            sock.close()

    def registered(self, wait=poll):
        """The hub's Answer (a pair: {engine session id: engine id}, the hub's session id), or None if no
        usable answer. `wait(sock, seconds)`: how to wait for it (the worker serves its nannies meanwhile)."""
        reply = self._request("connection_request", {}, wait)
        return None if reply is None else read_answer(reply)

    def confirm(self, engines, hub, wait=poll):
        """Whether the hub `hub` still lists `engines` ({session id: engine id}, each registered with it at
        an earlier answer) under their ids, from a question about them alone: a queue_request naming their
        session ids, which the hub looks up one by one, so that its work and its reply grow with this
        pod's engines (a connection_request's grow with the cluster's: 2.9 ms of the hub's time per
        question at 5,000 engines). Returns the Answer about these engines alone when it does; None
        when the hub does not answer; UNCONFIRMED when it answers otherwise (an engine it does not
        list, another hub): ask with `registered` then."""
        reply = self._request("queue_request", {"targets": list(engines), "verbose": False}, wait)
        if reply is None:
            return None
        content = reply["content"]
        listed = {key for key in content if key not in ("status", "unassigned")}
        if reply["msg_type"] != "queue_reply" or content.get("status") != "ok" or reply["header"].get("session") != hub:
            return UNCONFIRMED
        if listed != {str(engine_id) for engine_id in engines.values()}:
            return UNCONFIRMED
        return Answer(dict(engines), hub)

    def queues(self, engine_ids, wait=poll):
        """{engine id: tasks given to it and not finished} for these engines (a queue_request, which the
        hub answers on this port too), or None if no usable answer."""
        reply = self._request("queue_request", {"targets": list(engine_ids), "verbose": False}, wait)
        if reply is None or reply["msg_type"] != "queue_reply":
            return None
        try:
            return {int(eid): int(reply["content"][str(eid)]["queue"]) + int(reply["content"][str(eid)]["tasks"]) for eid in engine_ids}
        except (KeyError, TypeError, ValueError):
            return None

    def take_back(self, engines, wait=poll):
        """Asks the hub to register again `engines` ({session id: engine id}): engines that run on but
        that this hub does not know (a restarted controller). ipyparallel's own registration_request
        (the session id and the id the engine has), sent on their behalf, all on one connection; the
        hub finishes each registration at that engine's next heartbeat, as it would the engine's own
        (provided the hub has not already ignored that heart: its heart monitor takes a heart it has
        not heard before once, at the first beat after it answered, so this must come first). An
        acceptance under another id is withdrawn (the engine knows itself by its id) and counted as
        a refusal. Returns a TakeBack."""
        refused = {session: "the hub did not answer" for session in engines}
        heartbeat_ms = None
        sock = self.context.socket(zmq.DEALER)
        sock.linger = 0
        withdrawn = []
        try:
            sock.connect(self.url)
            # Highest id first: the hub gives an engine whose id is taken one past every id it has
            # given, which is then no id that a later request asks for.
            waiting = sorted(engines, key=engines.get, reverse=True)
            for session in waiting:
                sock.send_multipart(self.messages.pack("registration_request", {"uuid": session, "id": engines[session]}))
            # The hub's registration_reply names no parent: it answers one connection's requests in turn.
            deadline = time.monotonic() + self.timeout
            while waiting and wait(sock, max(0.0, deadline - time.monotonic())):
                reply = self.messages.unpack(sock.recv_multipart(zmq.NOBLOCK))
                session = waiting.pop(0)
                refused[session] = refusal(reply, engines[session])
                heartbeat_ms = reply["content"].get("hb_period", heartbeat_ms)
                if refused[session] is not None and reply["content"].get("status") == "ok":
                    withdrawn.append(reply["content"].get("id"))
        except (zmq.ZMQError, WireError) as e:
            log(f"taking engines back failed: {e}")
        finally:
            sock.close()
        if withdrawn:
            self.unregister(withdrawn)
        try:
            heartbeat_seconds = float(heartbeat_ms) / 1000 if heartbeat_ms else DEFAULT_HEARTBEAT_SECONDS
        except (TypeError, ValueError):
            heartbeat_seconds = DEFAULT_HEARTBEAT_SECONDS
        return TakeBack({s: why for s, why in refused.items() if why is not None}, heartbeat_seconds)

    def unregister(self, engine_ids):
        """Tells the hub that these engines are gone; sent on their own (see close)."""
        sock = self.context.socket(zmq.DEALER)
        sock.linger = 1000
        sock.connect(self.url)
        for engine_id in engine_ids:
            sock.send_multipart(self.messages.pack("unregistration_request", {"id": engine_id}))
        sock.close()

    def close(self):
        """Waits (up to each socket's linger) until queued messages, such as unregistrations, are
        sent: the process may exit right after, and exiting drops whatever is still queued."""
        self.context.term()
