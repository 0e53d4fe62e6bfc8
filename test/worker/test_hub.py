"""The hub's client (ipp_worker.hub) against the fake hub: answers, silence, slowness, forgeries,
unregistrations, and the files it reads."""
import json
import os
import time
import unittest

from helpers import WorkerCase, wait_until
from ipp_worker.hub import UNCONFIRMED, Answer, Hub, TakeBack, read_answer


class HubTest(WorkerCase):
    def hub_client(self, timeout_ms=300):
        client = Hub(self.engine_file, self.key_file, timeout_ms=timeout_ms)
        self.addCleanup(client.close)
        return client

    def test_the_answer_lists_the_registered_engines_and_names_the_hub(self):
        hub = self.start_hub()
        hub.register("s1", 0)
        hub.register("s2", 11)
        self.assertEqual(self.hub_client().registered(), Answer({"s1": 0, "s2": 11}, hub.session))
        self.assertEqual(len(hub.requests_of_type("connection_request")), 1)
        self.assertEqual(hub.bad_requests, 0)

    def test_a_confirmation_asks_about_these_engines_alone_by_session_id(self):
        hub = self.start_hub()
        hub.register("s1", 0)
        hub.register("s2", 11)
        for n in range(50):
            hub.register(f"other{n}", 100 + n)
        self.assertEqual(self.hub_client().confirm({"s2": 11}, hub.session), Answer({"s2": 11}, hub.session))
        (_header, content), = hub.requests_of_type("queue_request")
        self.assertEqual(content["targets"], ["s2"])
        self.assertEqual(hub.requests_of_type("connection_request"), [])

    def test_a_confirmation_is_refused_when_the_hub_lists_them_otherwise_and_none_without_an_answer(self):
        hub = self.start_hub()
        hub.register("s1", 0)
        hub.register("s2", 11)
        client = self.hub_client()
        cases = {
            "an engine it no longer lists": ({"s1": 0, "gone": 5}, hub.session),
            "an engine under another id": ({"s1": 0, "s2": 12}, hub.session),
            "another hub": ({"s1": 0}, "the hub before"),
        }
        for case, (engines, session) in cases.items():
            with self.subTest(case):
                self.assertIs(client.confirm(engines, session), UNCONFIRMED)
        hub.silent = True
        self.assertIsNone(client.confirm({"s1": 0}, hub.session))

    def test_a_take_back_registers_each_engine_under_its_id_highest_first_on_one_connection(self):
        hub = self.start_hub()
        hub.heartbeat_ms = 1000
        result = self.hub_client().take_back({"s1": 3, "s2": 9, "s3": 0})
        self.assertEqual(result, TakeBack({}, 1.0))
        asked = hub.requests_of_type("registration_request")
        self.assertEqual([c for _h, c in asked], [{"uuid": "s2", "id": 9}, {"uuid": "s1", "id": 3}, {"uuid": "s3", "id": 0}])
        self.assertEqual(len(set(hub.request_identities)), 1)
        self.assertEqual(hub.registered, {"s1": 3, "s2": 9, "s3": 0})

    def test_a_take_back_tells_what_was_refused_and_withdraws_an_acceptance_under_another_id(self):
        hub = self.start_hub()
        hub.register("someone", 3)
        hub.register("s9", 9)
        result = self.hub_client().take_back({"s1": 3, "s9": 4, "s2": 5})
        self.assertEqual(set(result.refused), {"s1", "s9"})
        self.assertIn("would give it id 10 (its id 3 is taken)", result.refused["s1"])
        self.assertIn("refused it", result.refused["s9"])
        wait_until(lambda: hub.requests_of_type("unregistration_request"), "the withdrawal")
        self.assertEqual([c for _h, c in hub.requests_of_type("unregistration_request")], [{"id": 10}])
        hub.take_back = "silent"
        asked = time.monotonic()
        result = self.hub_client().take_back({"s7": 7})
        self.assertEqual(result, TakeBack({"s7": "the hub did not answer"}, 3.0))
        self.assertLess(time.monotonic() - asked, 0.9, "waited longer than the timeout")

    def test_no_answer_in_time_is_none(self):
        hub = self.start_hub()
        for case in ("silent", "slow"):
            with self.subTest(case):
                hub.silent, hub.delay = case == "silent", 1.0 if case == "slow" else 0.0
                asked = time.monotonic()
                self.assertIsNone(self.hub_client().registered())
                self.assertLess(time.monotonic() - asked, 0.9, "waited longer than the timeout")
        hub.stop()
        self.assertIsNone(self.hub_client().registered(), "an answer with nobody there")

    def test_the_answer_is_waited_for_as_the_caller_says(self):
        hub = self.start_hub()
        hub.delay = 0.2
        waits = []

        def wait(sock, seconds):
            waits.append(seconds)
            return bool(sock.poll(seconds * 1000))

        self.assertEqual(self.hub_client(timeout_ms=2000).registered(wait=wait), Answer({}, hub.session))
        self.assertEqual(waits, [2.0])

    def test_a_forged_answer_is_none(self):
        hub = self.start_hub()
        hub.reply_key = b"not the key"
        self.assertIsNone(self.hub_client().registered())

    def test_unregistrations_arrive_signed_with_the_ids(self):
        hub = self.start_hub()
        client = self.hub_client()
        client.unregister([3, 4])
        wait_until(lambda: len(hub.requests_of_type("unregistration_request")) == 2, "the unregistrations")
        self.assertEqual([c for _, c in hub.requests_of_type("unregistration_request")], [{"id": 3}, {"id": 4}])
        self.assertEqual(hub.bad_requests, 0)

    def test_unexpected_replies_give_no_answer(self):
        def reply(msg_type, content):
            return {"header": {"session": "hub"}, "msg_type": msg_type, "content": content}

        self.assertEqual(read_answer(reply("connection_reply", {"engines": {"3": "s"}})), Answer({"s": 3}, "hub"))
        for case, bad in (
            ("another reply", reply("registration_reply", {"engines": {"3": "s"}})),
            ("no engines", reply("connection_reply", {"status": "ok"})),
            ("engines not a mapping", reply("connection_reply", {"engines": ["s"]})),
            ("an id that is no number", reply("connection_reply", {"engines": {"x": "s"}})),
        ):
            with self.subTest(case):
                self.assertIsNone(read_answer(bad))

    def test_an_empty_key_or_an_unknown_scheme_is_refused(self):
        with open(self.key_file, "w") as f:
            f.write("\n")
        with self.assertRaises(SystemExit) as refused:
            Hub(self.engine_file, self.key_file)
        self.assertEqual(refused.exception.code, f"ipp-worker: {self.key_file} is empty")
        with open(self.key_file, "w") as f:
            f.write("key")
        with open(self.engine_file) as f:
            info = json.load(f)
        other = os.path.join(self.dir, "other.json")
        with open(other, "w") as f:
            json.dump({**info, "signature_scheme": "hmac-nope"}, f)
        with self.assertRaises(SystemExit) as refused:
            Hub(other, self.key_file)
        self.assertEqual(refused.exception.code, "ipp-worker: unsupported signature scheme hmac-nope")


if __name__ == "__main__":
    unittest.main(buffer=True)
