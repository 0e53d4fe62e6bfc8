"""The worker as its engines' nanny (ipp_worker.nanny, ipp_worker.relay), with nanny-asking fake engines
(fakes/nanny_engine.py) and a controller's control port: signals, the control channel relayed, prompt
unregistration, and a relay that never waits on the hub."""
import json
import os
import signal
import socket
import sys
import time
import unittest

import zmq
from fakes.fake_hub import DELIMITER, header, message, sign
from helpers import FAKES, WorkerCase, alive, wait_until


def asked_for_nanny(record):
    return "nanny_url" in record


class NannyCase(WorkerCase):
    def nanny_worker(self, count=1, **options):
        """A running worker of `count` nanny-asking engines, all registered (ids 0, 1, ...) with a
        hub: (the hub, the worker, a controller's control port (ROUTER), the engines' records)."""
        hub = self.start_hub()
        context = zmq.Context()
        self.addCleanup(context.term)
        control = context.socket(zmq.ROUTER)
        control.linger = 0
        control.router_mandatory = True
        self.addCleanup(control.close)
        control_port = control.bind_to_random_port("tcp://127.0.0.1")
        command = [sys.executable, str(FAKES / "nanny_engine.py"), self.engine_log, f"tcp://127.0.0.1:{control_port}"]
        worker = self.make_worker(count=count, command=command, nanny_socket=os.path.join(self.dir, "nanny.sock"), **options)
        self.start_worker(worker)
        records = self.wait_for_engines(count, where=asked_for_nanny)
        for i, record in enumerate(records):
            hub.register(record["session"], i)
        return hub, worker, control, records

    def send_control(self, control, identity, msg_type, content, key=None):
        """Sends a control message to the engine `identity` through the controller's port, once it can be routed."""
        request = header(msg_type, "client")

        def sent():
            try:
                control.send_multipart(message(key or self.key, request, {}, content, [identity.encode()]))
                return True
            except zmq.ZMQError:  # not connected yet
                return False

        wait_until(sent, "the nanny's connection to the controller's control port")
        return request

    def receive(self, control, timeout=2.0):
        if not control.poll(int(timeout * 1000)):
            return None
        frames = control.recv_multipart()
        i = frames.index(DELIMITER)
        parts = frames[i + 2 : i + 6]
        self.assertEqual(frames[i + 1], sign(self.key, parts), "an unsigned (or wrongly signed) reply")
        reply, parent, _metadata, content = (json.loads(p) for p in parts)
        return {"from": frames[0].decode(), "header": reply, "parent": parent, "content": content}

    def control_log(self, record):
        path = os.path.join(self.engine_log, record["session"] + ".control")
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return [json.loads(line) for line in f]

    def interrupted(self, record):
        return os.path.exists(os.path.join(self.engine_log, record["session"] + ".sigint"))


class SignalTest(NannyCase):
    def test_a_signal_request_is_answered_by_the_worker_and_delivered_to_that_engine_alone(self):
        _hub, _worker, control, records = self.nanny_worker(count=2)
        target, other = records
        request = self.send_control(control, target["session"], "signal_request", {"sig": 2})
        reply = self.receive(control)
        self.assertIsNotNone(reply, "no signal_reply")
        answered = (reply["from"], reply["header"]["msg_type"], reply["parent"]["msg_id"], reply["content"])
        self.assertEqual(answered, (target["session"], "signal_reply", request["msg_id"], {"status": "ok"}))
        wait_until(lambda: self.interrupted(target), "SIGINT in the engine", timeout=2)
        self.assertFalse(self.interrupted(other), "the other engine was signalled")
        self.assertEqual(self.control_log(target), [], "the signal request reached the engine's control socket")
        # By name, as a client may send it.
        self.send_control(control, other["session"], "signal_request", {"sig": "SIGINT"})
        self.assertEqual(self.receive(control)["content"], {"status": "ok"})
        wait_until(lambda: self.interrupted(other), "SIGINT in the other engine", timeout=2)

    def test_a_bad_signature_or_an_unknown_signal_changes_nothing(self):
        _hub, _worker, control, [record] = self.nanny_worker()
        self.send_control(control, record["session"], "signal_request", {"sig": 9}, key=b"wrong")
        self.assertIsNone(self.receive(control, timeout=0.5), "answered a forged request")
        self.send_control(control, record["session"], "signal_request", {"sig": "SIGNOPE"})
        reply = self.receive(control)
        self.assertEqual((reply["content"]["status"], reply["content"]["ename"]), ("error", "ValueError"))
        self.assertTrue(alive(record["pid"]), "the engine was signalled")

    def test_signal_0_is_answered_ok_and_only_checks_that_the_engine_is_there(self):
        # rc.send_signal(0) and `%%px --signal-on-interrupt 0`: ipyparallel's nanny takes every number os.kill takes.
        _hub, _worker, control, [record] = self.nanny_worker()
        for sig in (0, "SIGWINCH"):  # SIGWINCH: by name, and ignored by default
            with self.subTest(sig=sig):
                request = self.send_control(control, record["session"], "signal_request", {"sig": sig})
                reply = self.receive(control)
                self.assertEqual((reply["parent"]["msg_id"], reply["content"]), (request["msg_id"], {"status": "ok"}))
        time.sleep(0.1)
        self.assertTrue(alive(record["pid"]))
        self.assertFalse(self.interrupted(record))

    def test_values_no_signal_has_get_an_error_reply_and_signal_nothing(self):
        _hub, _worker, control, [record] = self.nanny_worker()
        for sig in (-1, signal.NSIG, True, 2.0, "sigint", "2", None, [2]):
            with self.subTest(sig=sig):
                request = self.send_control(control, record["session"], "signal_request", {"sig": sig})
                reply = self.receive(control)
                self.assertEqual(reply["parent"]["msg_id"], request["msg_id"])
                self.assertEqual(reply["content"], {"status": "error", "ename": "ValueError", "evalue": f"no signal {sig!r}", "traceback": []})
        self.send_control(control, record["session"], "signal_request", {})  # no sig at all
        self.assertEqual(self.receive(control)["content"]["evalue"], "no signal None")
        self.assertTrue(alive(record["pid"]))
        self.assertFalse(self.interrupted(record))


class RelayTest(NannyCase):
    def test_other_control_messages_go_to_the_engine_and_its_replies_back(self):
        _hub, _worker, control, [record] = self.nanny_worker()
        request = self.send_control(control, record["session"], "abort_request", {"msg_ids": ["x"]})
        echoed = self.receive(control)
        self.assertIsNotNone(echoed, "the engine's reply did not come back through the worker")
        self.assertEqual((echoed["from"], echoed["header"]["msg_id"]), (record["session"], request["msg_id"]))
        [seen] = self.control_log(record)
        self.assertIn("abort_request", "".join(seen))

    def test_a_request_from_a_process_that_is_no_engine_of_the_worker_is_refused(self):
        _hub, worker, _control, _records = self.nanny_worker()
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.connect(worker.nannies.path)
        request = {"pid": os.getpid(), "engine_id": 1, "identity": "x", "control_url": "tcp://127.0.0.1:9", "registration_url": "tcp://127.0.0.1:9"}
        conn.sendall(json.dumps(request).encode() + b"\n")
        conn.settimeout(2)
        self.assertEqual(conn.recv(100), b"", "a stranger got a nanny")
        conn.close()


class EngineExitTest(NannyCase):
    def unregistered(self, hub):
        return [c["id"] for _, c in hub.requests_of_type("unregistration_request")]

    def test_an_engine_killed_with_sigkill_is_unregistered_at_once_and_started_again(self):
        hub, _worker, _control, [record] = self.nanny_worker()
        killed = time.monotonic()
        os.kill(record["pid"], signal.SIGKILL)
        wait_until(lambda: self.unregistered(hub), "the unregistration", timeout=2)
        self.assertLess(time.monotonic() - killed, 1.0, "the hub was told late")
        self.assertEqual(self.unregistered(hub), [0])
        self.wait_for_engines(2, where=asked_for_nanny, timeout=3)

    def test_an_engine_the_worker_kills_is_not_unregistered(self):
        hub, worker, _control, [record] = self.nanny_worker()
        wait_until(lambda: worker.engines[0].nanny is not None and worker.engines[0].engine_id is not None, "the engine to be registered")
        hub.forget(record["session"])  # a new controller would have given its id to another engine
        wait_until(lambda: not alive(record["pid"]), "the forgotten engine to be killed", timeout=3)
        time.sleep(0.3)
        self.assertEqual(self.unregistered(hub), [], "a forgotten engine's id was unregistered")

    def test_the_relay_never_waits_on_a_slow_hub_when_engines_exit_together(self):
        # Slow: the hub answers each question 1 s after it (the worker waits up to 3 s for it);
        # the worker's next look is 30 s away when the engines go.
        hub, worker, control, records = self.nanny_worker(count=9, check_seconds=30.0, query_timeout_ms=3000)
        wait_until(self.ready, "the nine engines to be registered")
        survivor, victims = records[8], records[:8]
        for i, record in enumerate(victims):  # the ids the hub gives them now, not those the worker saw
            hub.register(record["session"], 100 + i)
        hub.delay = 1.0

        killed = time.monotonic()
        for record in victims:
            os.kill(record["pid"], signal.SIGKILL)
        request = self.send_control(control, survivor["session"], "signal_request", {"sig": "SIGINT"})
        reply = self.receive(control, timeout=20)
        took = time.monotonic() - killed
        print(f"\nrelay: a signal_request answered {took:.3f} s after 8 of 9 engines were SIGKILLed (hub answering in 1 s)", file=sys.__stderr__)
        self.assertIsNotNone(reply, "no signal_reply")
        self.assertEqual((reply["parent"]["msg_id"], reply["content"]), (request["msg_id"], {"status": "ok"}))
        self.assertLess(took, 0.5, "the relay waited for the hub")
        wait_until(lambda: self.interrupted(survivor), "SIGINT in the surviving engine", timeout=2)

        # All 8 unregistered, under the ids the hub gives them, after one question.
        wait_until(lambda: len(self.unregistered(hub)) >= 8, "the unregistrations", timeout=10)
        time.sleep(0.2)
        self.assertEqual(sorted(self.unregistered(hub)), list(range(100, 108)))
        # (The next look's question, on a socket of its own, may overtake some of them.)
        kinds = hub.request_types(since=killed)
        self.assertEqual(kinds[: kinds.index("unregistration_request")], ["connection_request"], "not one question for the eight")
        # ... and started again; the survivor left alone.
        self.wait_for_engines(17, where=asked_for_nanny, timeout=10)
        self.assertTrue(alive(survivor["pid"]))
        self.assertIn(survivor["session"], [e.session_id for e in worker.engines], "the survivor was restarted")


if __name__ == "__main__":
    unittest.main(buffer=True)
