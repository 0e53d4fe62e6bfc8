"""The nanny service: the Unix socket where the worker's engines (started by ipp-engine) ask for their
nanny, and every nanny's sockets, served by one poller. Nothing here waits on anything but that
poller: a request arrives chunk by chunk, within REQUEST_SECONDS or is refused, and the worker's
questions to the hub are waited for in the same poller (wait_for), so that signals and control
messages keep flowing meanwhile."""
import os
import socket
import time

import zmq

from . import settings
from .log import log
from .nanny import Nanny
from .nanny_protocol import LineBuffer, ProtocolError, decode_request, encode_reply


class Pending:
    """A connection whose request has not come whole yet."""

    def __init__(self, conn, deadline):
        self.conn = conn
        self.fd = conn.fileno()
        self.buffer = LineBuffer()
        self.deadline = deadline


class NannyService:
    def __init__(self, context, messages, path, *, find_engine, engine_gone, request_seconds=settings.REQUEST_SECONDS):
        """`find_engine(pid)`: the worker's engine of that pid, or None; `engine_gone(engine)`: called
        when an engine's connection closes (it has exited)."""
        self.context = context
        self.messages = messages
        self.path = path
        self.find_engine = find_engine
        self.engine_gone = engine_gone
        self.request_seconds = request_seconds
        if os.path.exists(path):
            os.remove(path)
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        self.listener.listen(settings.MAX_ENGINES)
        self.listener.setblocking(False)
        self.poller = zmq.Poller()
        # What to do when a socket has something: by zmq socket, and by file descriptor for the
        # others (the poller names those by their descriptor).
        self.handlers = {}
        self.pending = {}  # fd -> Pending
        self.watch(self.listener.fileno(), self.accept)

    def watch(self, sock, handler):
        self.poller.register(sock, zmq.POLLIN)
        self.handlers[sock] = handler

    def unwatch(self, sock):
        self.poller.unregister(sock)
        self.handlers.pop(sock, None)

    def accept(self):
        try:
            conn, _ = self.listener.accept()
        except BlockingIOError:
            return
        conn.setblocking(False)
        pending = Pending(conn, time.monotonic() + self.request_seconds)
        self.pending[pending.fd] = pending
        self.watch(pending.fd, lambda: self.read_request(pending))

    def read_request(self, pending):
        try:
            line = pending.buffer.feed(pending.conn.recv(4096))
        except BlockingIOError:
            return
        except (OSError, ProtocolError) as e:
            self.refuse(pending, e)
            return
        if line is None:
            return
        try:
            request = decode_request(line)
        except ProtocolError as e:
            self.refuse(pending, e)
            return
        self.unwatch(pending.fd)
        del self.pending[pending.fd]
        self.take_on(pending.conn, request)

    def refuse(self, pending, reason):
        """Closes a connection without a word: the engine's start_nanny fails."""
        log(f"refused a nanny request: {reason}")
        self.unwatch(pending.fd)
        self.pending.pop(pending.fd, None)
        pending.conn.close()

    def expire(self):
        now = time.monotonic()
        for pending in [p for p in self.pending.values() if p.deadline <= now]:
            self.refuse(pending, f"no whole request within {self.request_seconds:g} s")

    def take_on(self, conn, request):
        """Becomes the nanny of the engine that sent `request`, if it is one of the worker's."""
        engine = self.find_engine(request.pid)
        try:
            if engine is None:
                raise ValueError(f"pid {request.pid} is none of this worker's engines")
            nanny = Nanny(self.context, self.messages, conn, request)
        except (ValueError, zmq.ZMQError) as e:
            log(f"refused a nanny request: {e}")
            conn.close()
            return
        try:
            conn.sendall(encode_reply(nanny.url))
        except OSError as e:
            log(f"refused a nanny request: {e}")
            nanny.close()
            return
        self.drop(engine)  # a nanny it asked for before, if any
        engine.nanny = nanny
        self.watch(nanny.control, lambda: nanny.from_controller(nanny.control.recv_multipart()))
        self.watch(nanny.relay, lambda: nanny.from_engine(nanny.relay.recv_multipart()))
        self.watch(nanny.fd, lambda: nanny.closed() and self.engine_gone(engine))
        log(f"{engine} (pid {nanny.pid}, id {nanny.engine_id}): its control channel goes through this worker")

    def drop(self, engine):
        """Stops being `engine`'s nanny; returns it, or None when there was none."""
        nanny = getattr(engine, "nanny", None)
        if nanny is None:
            return None
        engine.nanny = None
        for sock in (nanny.control, nanny.relay, nanny.fd):
            self.unwatch(sock)
        nanny.close()
        return nanny

    def _round(self, seconds, until=None):
        """One poll of up to `seconds` (less when a request's time runs out sooner): serves what has
        come; returns whether `until` (a socket of someone else's) has something to read."""
        if self.pending:
            seconds = min(seconds, max(0.0, min(p.deadline for p in self.pending.values()) - time.monotonic()))
        found = False
        for sock, _ in self.poller.poll(max(0.0, seconds) * 1000):
            if until is not None and sock is until:
                found = True
            elif sock in self.handlers:  # not dropped by an earlier event of this round
                self.handlers[sock]()
        self.expire()
        return found

    def serve(self, seconds):
        """Serves the nannies for up to `seconds`: requests, relays, signals, exits."""
        self._round(seconds)

    def wait_for(self, sock, seconds):
        """Serves the nannies until `sock` has something to read (True) or `seconds` have passed (False)."""
        deadline = time.monotonic() + seconds
        self.poller.register(sock, zmq.POLLIN)
        try:
            while True:
                left = deadline - time.monotonic()
                if self._round(max(0.0, left), until=sock):
                    return True
                if left <= 0:
                    return False
        finally:
            self.poller.unregister(sock)

    def close(self):
        """Closes the listener and every socket still open: the context cannot end while one is."""
        for sock in list(self.handlers):
            if isinstance(sock, zmq.Socket):
                sock.close(linger=0)
        for pending in list(self.pending.values()):
            pending.conn.close()
        self.listener.close()
        if os.path.exists(self.path):
            os.remove(self.path)
