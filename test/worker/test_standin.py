"""The stand-in engines (ipp_worker.standin) against the fake hub and a heart monitor's two sockets: each
registers with its uuid, only a stand-in the hub accepted starts a heart, and each heart sends the
ping back unchanged under its own identity. (That a real controller lists them: the integration test
test/integration/standin.test.ts.)"""
import json
import time

import zmq
from helpers import WorkerCase
from ipp_worker.standin import StandIns, connection


class StandInTest(WorkerCase):
    def heart_monitor(self):
        """A PUB (pings) and a ROUTER (pongs) on free ports, written into the engine file as the controller's."""
        context = zmq.Context()
        self.addCleanup(context.destroy, linger=0)
        ping, pong = context.socket(zmq.PUB), context.socket(zmq.ROUTER)
        with open(self.engine_file) as f:
            info = json.load(f)
        info["hb_ping"] = ping.bind_to_random_port("tcp://127.0.0.1")
        info["hb_pong"] = pong.bind_to_random_port("tcp://127.0.0.1")
        with open(self.engine_file, "w") as f:
            json.dump(info, f)
        return ping, pong

    def standins(self, count, name="s"):
        info, messages = connection(self.engine_file, self.key_file)
        standins = StandIns(info, messages, count, name)
        self.addCleanup(standins.close)
        return standins

    def step_until(self, standins, done, what, seconds=5.0, also=lambda: None):
        deadline = time.monotonic() + seconds
        while not done():
            self.assertLess(time.monotonic(), deadline, f"waited too long for {what}")
            also()
            standins.step(20)

    def test_each_registers_with_its_uuid_and_answers_every_ping_under_its_own_identity(self):
        hub = self.start_hub()
        hub.take_back = "finish"
        ping, pong = self.heart_monitor()
        standins = self.standins(3)
        standins.register()
        self.step_until(standins, lambda: len(standins.ids) == 3, "the registration replies")
        self.assertEqual([c for _h, c in hub.requests_of_type("registration_request")], [{"uuid": f"s-{i}"} for i in range(3)])
        self.assertEqual(standins.ids, {"s-0": 0, "s-1": 1, "s-2": 2})
        self.assertEqual(hub.bad_requests, 0, "a request the hub could not verify")

        pongs = []

        def beat():
            ping.send(b"12.5")
            while pong.poll(0):
                pongs.append(pong.recv_multipart())

        # A SUB hears only once its subscription has arrived: ping until every heart has answered.
        self.step_until(standins, lambda: {p[0] for p in pongs} == {b"s-0", b"s-1", b"s-2"}, "every heart's pong", also=beat)
        self.assertTrue(all(p[1:] == [b"12.5"] for p in pongs), pongs)
        self.assertEqual(standins.counts()["replied"], 3)
        self.assertGreaterEqual(standins.counts()["pongs"], 3)

    def test_a_refused_stand_in_starts_no_heart(self):
        hub = self.start_hub()
        hub.register("s-1", 7)  # its uuid is in use: the hub refuses it
        self.heart_monitor()
        standins = self.standins(2)
        standins.register()
        self.step_until(standins, lambda: not standins.waiting, "both replies")
        self.assertEqual(set(standins.ids), {"s-0"})
        self.assertEqual(standins.refused, 1)
        self.assertEqual(len(standins.hearts), 1)
