"""The nanny request (ipp_worker.nanny_protocol), both ends: lines encoded and decoded, malformed and
half-sent requests refused; and the worker's nanny service (ipp_worker.relay) taking requests without
ever waiting on one, carrying on after each refusal."""
import json
import os
import socket
import threading
import time
import unittest
from unittest import mock

import zmq
from helpers import WorkerCase, wait_until
from ipp_worker import engine as engine_side
from ipp_worker.nanny_protocol import (
    SOCKET_VARIABLE,
    LineBuffer,
    NannyRequest,
    ProtocolError,
    decode_reply,
    decode_request,
    encode_reply,
    encode_request,
    read_line,
)
from ipp_worker.relay import NannyService
from ipp_worker.wire import Messages

GOOD = {"pid": 1234, "engine_id": 0, "identity": "abc-123", "control_url": "tcp://ipp-dev-frontend:10102", "registration_url": "tcp://ipp-dev-frontend:10101"}


def line(fields):
    return json.dumps(fields).encode() + b"\n"


class LinesTest(unittest.TestCase):
    def test_a_request_round_trips(self):
        request = NannyRequest(**GOOD)
        self.assertEqual(decode_request(encode_request(request)), request)
        self.assertEqual(decode_reply(encode_reply("tcp://127.0.0.1:5000")), "tcp://127.0.0.1:5000")

    def test_malformed_requests_are_refused(self):
        table = [
            ("not JSON", b"{pid: 1}\n", "not JSON"),
            ("not UTF-8", b"\xff\n", "not JSON"),
            ("not an object", line([1, 2]), "not a JSON object"),
            *[(f"no {name}", line({k: v for k, v in GOOD.items() if k != name}), f"without {name}") for name in GOOD],
            ("pid a string", line({**GOOD, "pid": "1234"}), "pid is not"),
            ("pid a bool", line({**GOOD, "pid": True}), "pid is not"),
            ("pid 0", line({**GOOD, "pid": 0}), "pid is not"),
            ("engine id negative", line({**GOOD, "engine_id": -1}), "engine_id is not"),
            ("engine id a float", line({**GOOD, "engine_id": 1.5}), "engine_id is not"),
            ("engine id null", line({**GOOD, "engine_id": None}), "engine_id is not"),
            ("identity empty", line({**GOOD, "identity": ""}), "identity is not"),
            ("identity not ASCII", line({**GOOD, "identity": "é"}), "identity is not"),
            ("identity a number", line({**GOOD, "identity": 5}), "identity is not"),
            ("control URL no URL", line({**GOOD, "control_url": "nowhere"}), "control_url is not"),
            ("registration URL null", line({**GOOD, "registration_url": None}), "registration_url is not"),
        ]
        for case, data, said in table:
            with self.subTest(case), self.assertRaises(ProtocolError) as refused:
                decode_request(data)
            self.assertIn(said, str(refused.exception))

    def test_an_engine_does_not_send_what_the_worker_would_refuse(self):
        with self.assertRaises(ProtocolError):
            encode_request(NannyRequest(**{**GOOD, "engine_id": None}))

    def test_a_reply_without_a_url_is_a_refusal(self):
        for data in (b"\n", b"nowhere\n", b"\xff\n"):
            with self.subTest(data=data), self.assertRaises(ProtocolError):
                decode_reply(data)

    def test_a_line_comes_whole_chunk_by_chunk(self):
        buffer = LineBuffer()
        self.assertIsNone(buffer.feed(b'{"pid"'))
        self.assertIsNone(buffer.feed(b": 1"))
        self.assertEqual(buffer.feed(b"}\nmore"), b'{"pid": 1}\n')

    def test_a_half_sent_or_endless_line_is_refused(self):
        for chunks, said in (([b""], "closed before a whole line (0 bytes"), ([b'{"pid": 1', b""], "(9 bytes of one came)"), ([b"x" * 70000], "longer than")):
            with self.subTest(said), self.assertRaises(ProtocolError) as refused:
                buffer = LineBuffer()
                for chunk in chunks:
                    buffer.feed(chunk)
            self.assertIn(said, str(refused.exception))

    def test_reading_a_line_that_does_not_come_times_out(self):
        ours, theirs = socket.socketpair()
        self.addCleanup(ours.close)
        self.addCleanup(theirs.close)
        theirs.sendall(b"half")
        ours.settimeout(0.2)
        with self.assertRaises(OSError):
            read_line(ours)


class Engine:
    def __init__(self, pid):
        self.process = mock.Mock(pid=pid)
        self.nanny = None

    def __str__(self):
        return f"engine of pid {self.process.pid}"


class ServiceTest(WorkerCase):
    """A nanny service served in a thread; this process (its pid) is the worker's one engine."""

    def setUp(self):
        super().setUp()
        self.engine = Engine(os.getpid())
        self.gone = []
        self.path = os.path.join(self.dir, "nanny.sock")
        context = zmq.Context()
        self.service = NannyService(
            context, Messages(self.key, "hmac-sha256"), self.path, find_engine=self.find_engine, engine_gone=self.engine_gone, request_seconds=0.3
        )
        self.said = []
        patcher = mock.patch("ipp_worker.relay.log", self.said.append)
        patcher.start()
        stop = threading.Event()
        thread = threading.Thread(target=self.serve, args=(stop,), daemon=True)
        thread.start()
        self.addCleanup(context.term)
        self.addCleanup(self.service.close)
        self.addCleanup(thread.join, 5)
        self.addCleanup(stop.set)
        self.addCleanup(patcher.stop)

    def serve(self, stop):
        while not stop.is_set():
            self.service.serve(0.02)

    def engine_gone(self, engine):
        """As the worker does: no longer its nanny, and noted."""
        self.service.drop(engine)
        self.gone.append(engine)

    def find_engine(self, pid):
        return self.engine if pid == self.engine.process.pid else None

    def connect(self, data=b""):
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.addCleanup(conn.close)
        conn.connect(self.path)
        conn.settimeout(5)
        conn.sendall(data)
        return conn

    def request(self, **fields):
        return line({**GOOD, "pid": os.getpid(), "control_url": "tcp://127.0.0.1:9", **fields})

    def assert_taken_on(self):
        conn = self.connect(self.request())
        self.assertTrue(decode_reply(read_line(conn)).startswith("tcp://127.0.0.1:"))
        wait_until(lambda: self.engine.nanny is not None, "the service to take the engine on")
        return conn

    def assert_refused(self, conn, said):
        self.assertEqual(conn.recv(100), b"", "answered")
        wait_until(lambda: any(said in s for s in self.said), f"the refusal: {said}")

    def test_malformed_requests_are_refused_and_the_service_carries_on(self):
        for case, data, said in (
            ("bad JSON", b"{nope\n", "refused a nanny request: a request that is not JSON"),
            ("a missing field", line({"pid": os.getpid()}), "refused a nanny request: a request without engine_id"),
            ("a wrong type", self.request(pid=str(os.getpid())), "refused a nanny request: a request whose pid is not"),
            ("no engine of the worker", self.request(pid=1), "refused a nanny request: pid 1 is none of this worker's engines"),
        ):
            with self.subTest(case):
                self.assert_refused(self.connect(data), said)
        self.assert_taken_on()

    def test_a_request_closed_halfway_is_refused(self):
        conn = self.connect(self.request()[:20])
        conn.shutdown(socket.SHUT_WR)
        self.assert_refused(conn, "closed before a whole line (20 bytes of one came)")
        self.assert_taken_on()

    def test_a_half_sent_request_times_out_and_holds_nothing_up_meanwhile(self):
        stalled = self.connect(self.request()[:20])
        taken = time.monotonic()
        self.assert_taken_on()
        self.assertLess(time.monotonic() - taken, 0.25, "a whole request waited behind a half-sent one")
        self.assert_refused(stalled, "no whole request within 0.3 s")

    def test_the_engine_side_asks_and_its_closing_tells_the_worker(self):
        with mock.patch.dict(os.environ, {SOCKET_VARIABLE: self.path}):
            url, conn = engine_side.start_nanny(engine_id=3, identity=b"abc", control_url="tcp://127.0.0.1:9", registration_url="tcp://127.0.0.1:9")
        self.assertTrue(url.startswith("tcp://127.0.0.1:"))
        wait_until(lambda: self.engine.nanny is not None, "the service to take the engine on")
        self.assertEqual((self.engine.nanny.pid, self.engine.nanny.engine_id), (os.getpid(), 3))
        conn.close()  # as the engine's exit does
        wait_until(lambda: self.gone == [self.engine], "the worker to learn that the engine has gone")

    def test_the_engine_side_fails_clearly_when_refused(self):
        self.engine.process.pid = -1  # this process is no engine of the worker's
        with mock.patch.dict(os.environ, {SOCKET_VARIABLE: self.path}), self.assertRaises(RuntimeError) as refused:
            engine_side.start_nanny(engine_id=3, identity=b"abc", control_url="tcp://127.0.0.1:9", registration_url="tcp://127.0.0.1:9")
        self.assertEqual(str(refused.exception), "the worker did not take this engine's nanny on")


if __name__ == "__main__":
    unittest.main(buffer=True)
