"""The nanny of one engine, in the worker: the part of ipyparallel that otherwise runs as a second
Python process per engine. The engine's control channel goes through it (the controller's control
port on one side, the engine's control socket on the other); it answers `signal_request`s itself,
by signalling the engine, and relays every other control message both ways, unchanged."""
import os
import signal

import zmq

from . import wire
from .log import log


def signal_number(sig):
    """The signal a signal_request's `sig` asks for: a number os.kill takes (0 too: it only checks
    that the engine is there) or the name of one (as ipyparallel's nanny takes them); ValueError
    for anything else (a bool is no number here)."""
    if isinstance(sig, str):
        member = signal.Signals.__members__.get(sig)
        if member is not None:
            return int(member)
    elif isinstance(sig, int) and not isinstance(sig, bool) and 0 <= sig < signal.NSIG:
        return sig
    raise ValueError(f"no signal {sig!r}")


def error_reply(ename, evalue):
    return {"status": "error", "ename": ename, "evalue": evalue, "traceback": []}


class Nanny:
    """One engine's control-channel proxy. Its connection from the engine (`conn`, a Unix socket)
    closes when the engine exits."""

    def __init__(self, context, messages, conn, request):
        """`request`: the engine's NannyRequest."""
        self.conn = conn
        self.fd = conn.fileno()
        self.pid = request.pid
        self.engine_id = request.engine_id
        self.messages = messages
        self.control = context.socket(zmq.ROUTER)
        self.control.linger = 0
        self.relay = context.socket(zmq.DEALER)
        self.relay.linger = 0
        try:
            self.control.identity = request.identity.encode("ascii")
            self.control.connect(request.control_url)
            self.url = f"tcp://127.0.0.1:{self.relay.bind_to_random_port('tcp://127.0.0.1')}"
        except zmq.ZMQError:
            self.close_sockets()
            raise

    def from_controller(self, frames):
        """A control message for the engine: a signal request is answered here, anything else relayed."""
        try:
            msg_type = wire.msg_type(frames)
        except wire.WireError:
            log(f"a control message that is not one for engine pid {self.pid}")
            return
        if msg_type != "signal_request":
            self.relay.send_multipart(frames)
            return
        try:
            msg = self.messages.unpack(frames)
        except wire.WireError as e:
            log(f"a signal request ignored: {e}")
            return
        try:
            number = signal_number(msg["content"].get("sig"))
            os.kill(self.pid, 0)  # the engine is there: all that signal 0 asks
        except ValueError as e:
            number, content = None, error_reply("ValueError", str(e))
        except ProcessLookupError:
            number, content = None, error_reply("NoSuchProcess", f"process no longer exists (pid={self.pid})")
        else:
            content = {"status": "ok"}
        # The reply goes first: a SIGKILL would take the engine before anything else could answer.
        reply = self.messages.pack("signal_reply", content, parent=msg["header"])
        self.control.send_multipart(msg["identities"] + reply)
        if number:
            log(f"sending signal {number} to engine pid {self.pid}")
            try:
                os.kill(self.pid, number)
            except ProcessLookupError:
                pass

    def from_engine(self, frames):
        self.control.send_multipart(frames)

    def closed(self):
        """Whether the engine has closed its connection (it has exited)."""
        try:
            return self.conn.recv(4096) == b""
        except BlockingIOError:
            return False
        except OSError:
            return True

    def close_sockets(self):
        for sock in (self.control, self.relay):
            sock.close()

    def close(self):
        self.close_sockets()
        self.conn.close()
