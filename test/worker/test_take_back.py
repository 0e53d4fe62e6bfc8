"""A controller restart, as the worker sees it: the controller's connection closes and comes back
(the watch asks the new hub at once), and the new hub is asked to take back the engines that run on,
under their ids, instead of their being restarted; those it refuses or does not list in time are."""
import time
import unittest

from helpers import WorkerCase, alive, wait_until


class TakeBackTest(WorkerCase):
    def three_registered(self, **worker_options):
        """The engines registered as ids 5, 6 and 7."""
        return super().three_registered(first_id=5, **worker_options)

    def test_a_new_hub_takes_back_the_running_engines_under_their_ids_and_none_is_restarted(self):
        hub, worker, records = self.three_registered(mode="nanny")
        processes = [e.process for e in worker.engines]
        ids = {r["session"]: 5 + i for i, r in enumerate(records)}

        new_hub = self.replace_hub(hub)
        wait_until(lambda: new_hub.registered == ids, "the new hub to list the engines under their ids")
        wait_until(self.ready, "the ready file again")
        self.assertEqual(len(self.engines()), 3, "an engine was started again")
        self.assertEqual([e.process for e in worker.engines], processes)
        self.assertTrue(all(alive(r["pid"]) for r in records), "an engine was killed")
        requests = new_hub.requests_of_type("registration_request")
        self.assertEqual(sorted((c["uuid"], c["id"]) for _h, c in requests), sorted(ids.items()))
        identities = {i for (h, _c), i in zip(new_hub.requests, new_hub.request_identities) if h["msg_type"] == "registration_request"}
        self.assertEqual(len(identities), 1, "the engines were not taken back on one connection")
        # All of them at the new hub's first answer: before its heart monitor takes the engines' hearts.
        first_answer = new_hub.answer_times()[0]
        second_answer = new_hub.answer_times()[1]
        times = [t for (h, _c), t in zip(new_hub.requests, new_hub.request_times) if h["msg_type"] == "registration_request"]
        self.assertTrue(first_answer <= min(times) and max(times) < second_answer, "not taken back at the new hub's first answer")
        self.assertEqual(new_hub.requests_of_type("unregistration_request"), [])
        self.assertEqual(sorted(self.ready_lines()), sorted([[str(i), s] for s, i in ids.items()]))

    def test_an_engine_the_new_hub_refuses_is_restarted_and_the_others_taken_back(self):
        hub, worker, records = self.three_registered()
        hub.stop()
        new_hub = self.start_hub()
        new_hub.register("someone-else", 6)  # records[1]'s id is taken
        wait_until(lambda: len(self.engines()) == 4, "the refused engine to be started again")
        self.assertFalse(alive(records[1]["pid"]), "the refused engine still runs")
        self.assertTrue(alive(records[0]["pid"]) and alive(records[2]["pid"]), "an engine taken back was killed")
        self.assertEqual(new_hub.registered[records[0]["session"]], 5)
        self.assertEqual(new_hub.registered[records[2]["session"]], 7)
        # Accepted under another id: withdrawn, so that the hub does not list it under an id it does not know.
        wrong = new_hub.registered.get(records[1]["session"])
        self.assertEqual([c["id"] for _h, c in new_hub.requests_of_type("unregistration_request")], [wrong])

    def test_engines_the_new_hub_does_not_list_within_a_few_heartbeats_are_restarted(self):
        hub, worker, records = self.three_registered()
        hub.stop()
        new_hub = self.start_hub()
        new_hub.take_back = "pending"  # accepted, but their hearts were ignored: never listed
        asked = wait_until(lambda: new_hub.requests_of_type("registration_request"), "the take-back")
        self.assertEqual(len(asked), 3)
        started = time.monotonic()
        self.wait_for_engines(6, timeout=5)
        waited = time.monotonic() - started
        # 3 heartbeat periods (100 ms each, the hub's reply says) and a second.
        self.assertGreater(waited, 1.0, "restarted before the hub had its heartbeats to list them")
        self.assertFalse(any(alive(r["pid"]) for r in records))

    def test_the_new_hub_is_asked_as_soon_as_it_listens_and_readiness_drops_as_the_old_one_goes(self):
        # Looks so rare that only the watch can explain a prompt question or a prompt drop in readiness.
        hub, worker, records = self.three_registered(check_seconds=0.05)
        worker.timing = worker.timing._replace(check_seconds=60.0, wait_seconds=60.0)
        time.sleep(0.3)  # the look under way ends: the next is a minute away
        hub.stop()
        wait_until(lambda: not self.ready(), "readiness to drop as the controller's connection closes", timeout=2)
        time.sleep(0.5)
        new_hub = self.start_hub()
        bound = time.monotonic()
        wait_until(lambda: new_hub.answer_times(), "the new hub to be asked", timeout=3)
        self.assertLess(new_hub.answer_times()[0] - bound, 1.0)
        wait_until(lambda: len(new_hub.registered) == 3, "the engines to be taken back", timeout=3)
        self.assertEqual(len(self.engines()), 3)


if __name__ == "__main__":
    unittest.main()
