"""The controller's hub, as far as the worker sees it: a ROUTER on 127.0.0.1 that drops requests not
signed with the key, answers `connection_request` with `connection_reply` listing the registered
engines (id -> session id, as ipyparallel's hub does: an engine still registering is not listed),
answers a `registration_request` as ipyparallel's hub does (the id asked for when it is free, else
one past every id given so far; an error for a session it lists), taking the engine at once (`take_back` "finish", as at its
next heartbeat), never ("pending": it waits for a heart that does not beat) or not answering
("silent"), leaves other requests (unregistrations) unanswered, and records what it was sent and what it
answered. It can be made slow (`delay`: each answer leaves that many seconds after its question)
or silent, and can forge its replies (`reply_key`)."""
import hashlib
import hmac
import json
import threading
import time
import uuid
from datetime import datetime, timezone

import zmq

DELIMITER = b"<IDS|MSG>"


def sign(key, parts):
    mac = hmac.new(key, digestmod=hashlib.sha256)
    for part in parts:
        mac.update(part)
    return mac.hexdigest().encode()


def message(key, header, parent, content, identities=()):
    """The frames of a signed message."""
    parts = [json.dumps(p).encode() for p in (header, parent, {}, content)]
    return [*identities, DELIMITER, sign(key, parts), *parts]


def header(msg_type, session, username="test"):
    return {
        "msg_id": str(uuid.uuid4()),
        "msg_type": msg_type,
        "session": session,
        "username": username,
        "date": datetime.now(timezone.utc).isoformat(),
        "version": "5.3",
    }


def bind(sock, port):
    """Binds `sock` to `port` of 127.0.0.1 (a random one when None), waiting for a previous hub's
    listener to close; returns the port."""
    if port is None:
        return sock.bind_to_random_port("tcp://127.0.0.1")
    deadline = time.monotonic() + 5
    while True:
        try:
            sock.bind(f"tcp://127.0.0.1:{port}")
            return port
        except zmq.ZMQError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class FakeHub:
    def __init__(self, key, port=None):
        self.key = key
        self.reply_key = key  # the key replies are signed with; another one forges them
        self.session = str(uuid.uuid4())  # the hub's own session id, in every reply's header
        self.registered = {}  # engine session id -> engine id
        self.silent = False  # receive, but do not answer
        self.delay = 0.0  # seconds between a question and its answer
        self.requests = []  # (header, content) of every correctly signed request
        self.request_identities = []  # the sender's identity of each of those
        self.take_back = "finish"  # what a registration_request does: "finish", "pending" or "silent"
        self.pending = {}  # engine session id -> engine id: registrations accepted, not finished
        self.heartbeat_ms = 100  # the period its registration replies give
        self.next_id = 0  # as ipyparallel's hub counts: past every id given
        self.request_times = []  # time.monotonic() of each of those
        self.answers = []  # (time.monotonic(), {session id: engine id}) for every connection_request answered
        self.bad_requests = 0
        self.held = {}  # engine id -> tasks it holds, as a queue_request answers
        self.strict_queues = True  # a queue_request about an engine it does not list is an error (as ipyparallel's)
        self._due = []  # (time.monotonic(), frames) of the answers waiting out the delay
        self.context = zmq.Context()
        self.socket = self.context.socket(zmq.ROUTER)
        self.socket.linger = 0
        self.port = bind(self.socket, port)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def register(self, session_id, engine_id):
        self.registered[session_id] = engine_id
        self.next_id = max(self.next_id, engine_id + 1)

    def forget(self, session_id):
        self.registered.pop(session_id, None)

    def requests_of_type(self, msg_type, since=None):
        """(header, content) of the requests of that type, received after the time.monotonic() `since` if given."""
        pairs = zip(list(self.requests), list(self.request_times))
        return [(h, c) for (h, c), t in pairs if h["msg_type"] == msg_type and (since is None or t >= since)]

    def request_types(self, since):
        """The type of every correctly signed request received after the time.monotonic() `since`, in order."""
        return [h["msg_type"] for (h, _c), t in zip(list(self.requests), list(self.request_times)) if t >= since]

    def answers_about(self, session_id, before=None):
        """What each answer said of `session_id` (its engine id, or -1 when not listed), oldest first;
        only answers given before the time.monotonic() `before`, if given."""
        return [snap.get(session_id, -1) for t, snap in list(self.answers) if before is None or t < before]

    def answer_times(self):
        return [t for t, _ in list(self.answers)]

    def stop(self):
        if not self._stop.is_set():
            self._stop.set()
            self._thread.join(5)
            self.context.term()

    def _serve(self):
        try:
            while not self._stop.is_set():
                if self.socket.poll(5 if self._due else 20):
                    self._handle(self.socket.recv_multipart())
                while self._due and self._due[0][0] <= time.monotonic():
                    self.socket.send_multipart(self._due.pop(0)[1])
        finally:
            self.socket.close()

    def _register(self, request, content, identities):
        if self.take_back == "silent":
            return
        session, wanted = content["uuid"], content.get("id")
        taken = set(self.registered.values()) | set(self.pending.values())
        if session in self.registered or session in self.pending:
            reply = {"status": "error", "ename": "KeyError", "evalue": f"uuid {session!r} in use", "traceback": []}
        else:
            eid = wanted if wanted is not None and wanted not in taken else self.next_id
            self.next_id = max(self.next_id, eid + 1)
            reply = {"status": "ok", "id": eid, "hb_period": self.heartbeat_ms}
            (self.registered if self.take_back == "finish" else self.pending)[session] = eid
        # As ipyparallel's hub: a registration_reply names no parent.
        frames = message(self.reply_key, header("registration_reply", self.session, "hub"), {}, reply, identities)
        self._due.append((time.monotonic() + self.delay, frames))

    def _queues(self, request, content, identities):
        """As ipyparallel's hub: targets are engine ids or session ids (looked up among the registered);
        one it does not list makes the answer a hub_error. Asked by session ids, an answer counts among
        `answers` (of those engines alone)."""
        targets = [self.registered.get(t, t) if isinstance(t, str) else t for t in content["targets"]]
        unknown = [t for t in targets if t not in self.registered.values()] if self.strict_queues else []
        if unknown:
            msg_type, reply = "hub_error", {"status": "error", "ename": "IndexError", "evalue": f"No Such Engine: {unknown!r}", "traceback": []}
        else:
            msg_type, reply = "queue_reply", {"status": "ok", "unassigned": 0}
            reply.update({str(t): {"queue": self.held.get(t, 0), "completed": 0, "tasks": 0} for t in targets})
            if all(isinstance(t, str) for t in content["targets"]):
                self.answers.append((time.monotonic(), {t: self.registered[t] for t in content["targets"]}))
        self._due.append((time.monotonic() + self.delay, message(self.reply_key, header(msg_type, self.session, "hub"), request, reply, identities)))

    def _handle(self, frames):
        try:
            i = frames.index(DELIMITER)
        except ValueError:
            self.bad_requests += 1
            return
        identities, signature, parts = frames[:i], frames[i + 1], frames[i + 2 : i + 6]
        if len(parts) != 4 or not hmac.compare_digest(signature, sign(self.key, parts)):
            self.bad_requests += 1
            return
        request, _parent, _metadata, content = (json.loads(p) for p in parts)
        self.request_times.append(time.monotonic())
        self.requests.append((request, content))
        self.request_identities.append(identities[0] if identities else b"")
        if self.silent:
            return
        if request["msg_type"] == "registration_request":
            self._register(request, content, identities)
            return
        if request["msg_type"] == "unregistration_request" and content.get("id") in self.pending.values():
            self.pending = {s: e for s, e in self.pending.items() if e != content.get("id")}
            return
        if request["msg_type"] == "queue_request":
            self._queues(request, content, identities)
            return
        if request["msg_type"] != "connection_request":
            return
        snapshot = dict(self.registered)
        self.answers.append((time.monotonic(), snapshot))
        reply = {"status": "ok", "engines": {str(eid): sid for sid, eid in snapshot.items()}}
        frames = message(self.reply_key, header("connection_reply", self.session, "hub"), request, reply, identities)
        self._due.append((time.monotonic() + self.delay, frames))
