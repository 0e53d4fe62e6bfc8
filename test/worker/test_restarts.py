"""The supervisor's restarts, against the fake hub with fake engines: engines the hub has forgotten,
engines that exited, new hubs, slow registrations, and engines that keep failing."""
import os
import signal
import unittest

from helpers import WorkerCase, alive, wait_until


class ForgottenAndExitedTest(WorkerCase):
    def test_an_engine_the_hub_has_forgotten_is_killed_with_its_nanny_and_a_new_one_started(self):
        hub = self.start_hub()
        worker = self.make_worker(mode="nanny")
        starts = self.record_starts(worker)
        self.start_worker(worker)
        first = self.wait_for_engines(1)[0]
        hub.register(first["session"], 0)
        wait_until(self.ready, "the ready file")

        hub.forget(first["session"])
        second = self.wait_for_engines(2)[1]
        self.assertNotEqual(second["session"], first["session"])
        self.assertEqual(worker.engines[0].session_id, second["session"])
        self.assertFalse(alive(first["pid"]), "the forgotten engine still runs")
        wait_until(lambda: not alive(first["nanny"]), "the forgotten engine's nanny to die", timeout=2)
        self.assertTrue(alive(second["pid"]))

        answers = hub.answers_about(first["session"], before=starts[1])
        last_registered = max(i for i, eid in enumerate(answers) if eid >= 0)
        self.assertEqual(
            answers[last_registered + 1 :],
            [-1] * worker.timing.misses_to_restart,
            "not restarted after exactly misses_to_restart answers that it is unknown",
        )
        self.assertEqual(hub.requests_of_type("unregistration_request"), [], "a forgotten engine's id was unregistered")
        self.assertFalse(self.ready(), "ready before the new engine registered")
        self.assertEqual(hub.bad_requests, 0)

    def test_one_engine_of_three_that_exits_is_started_again_alone(self):
        hub, worker, records = self.three_registered()
        processes = [e.process for e in worker.engines]
        history = self.record_readiness(worker)

        victim = next(e for e in worker.engines if e.session_id == records[1]["session"])
        os.kill(records[1]["pid"], signal.SIGKILL)
        replacement = self.wait_for_engines(4)[3]
        self.assertEqual(victim.session_id, replacement["session"], "another engine than the one that exited was replaced")
        for engine, process in zip(worker.engines, processes):
            if engine is not victim:
                self.assertIs(engine.process, process, "an engine that kept running was restarted")
                self.assertIsNone(process.poll())
        for record in (records[0], records[2]):
            self.assertTrue(alive(record["pid"]), "an engine that kept running was disturbed")
        wait_until(lambda: False in history, "the worker to drop readiness")
        self.assertFalse(self.ready(), "ready while the new engine registers")

        hub.register(replacement["session"], 3)
        wait_until(self.ready, "the ready file again")
        expected = [["0", records[0]["session"]], ["2", records[2]["session"]], ["3", replacement["session"]]]
        self.assertEqual(sorted(self.ready_lines()), sorted(expected))
        self.assertEqual(len(self.engines()), 4)
        self.assertEqual(hub.requests_of_type("unregistration_request"), [])

    def test_one_engine_of_three_the_hub_has_forgotten_is_killed_alone(self):
        hub, worker, records = self.three_registered(mode="nanny")
        processes = [e.process for e in worker.engines]

        hub.forget(records[0]["session"])
        replacement = self.wait_for_engines(4)[3]
        self.assertFalse(alive(records[0]["pid"]), "the forgotten engine still runs")
        wait_until(lambda: not alive(records[0]["nanny"]), "the forgotten engine's nanny to die", timeout=2)
        for record in records[1:]:
            self.assertTrue(alive(record["pid"]), "an engine the hub knows was killed")
            self.assertTrue(alive(record["nanny"]), "the nanny of an engine the hub knows was killed")
        self.assertEqual(sum(e.process is not p for e, p in zip(worker.engines, processes)), 1)
        self.assertFalse(self.ready())
        hub.register(replacement["session"], 3)
        wait_until(self.ready, "the ready file again")
        self.assertEqual(len(self.engines()), 4)


class NewHubAndSlowRegistrationTest(WorkerCase):
    def test_a_new_hub_answering_while_the_engine_registers_restarts_it(self):
        hub = self.start_hub()
        worker = self.make_worker()
        starts = self.record_starts(worker)
        self.start_worker(worker)
        first = self.wait_for_engines(1)[0]
        wait_until(lambda: hub.answers_about(first["session"]), "the hub to be asked about the engine")

        new_hub = self.replace_hub(hub)
        second = self.wait_for_engines(2)[1]
        self.assertNotEqual(second["session"], first["session"])
        self.assertFalse(alive(first["pid"]), "the engine registering with the old hub still runs")
        self.assertEqual(new_hub.answers_about(first["session"], before=starts[1]), [-1], "not restarted at the new hub's first answer")
        wait_until(lambda: worker.engines[0].standing.hub_at_start == new_hub.session, "the new engine to set out for the new hub")
        self.assertEqual(new_hub.requests_of_type("unregistration_request"), [])

    def test_a_registered_engine_a_new_hub_will_not_take_back_is_restarted_at_its_first_answer(self):
        hub = self.start_hub()
        worker = self.make_worker(check_seconds=0.3)
        starts = self.record_starts(worker)
        self.start_worker(worker)
        first = self.wait_for_engines(1)[0]
        hub.register(first["session"], 0)
        wait_until(self.ready, "the ready file")

        hub.stop()
        new_hub = self.start_hub()
        new_hub.take_back = "silent"  # it does not answer the take-back (see test_take_back)
        second = self.wait_for_engines(2)[1]
        self.assertFalse(alive(first["pid"]), "the engine the new hub does not know still runs")
        self.assertEqual(new_hub.answers_about(first["session"], before=starts[1]), [-1], "not restarted at the new hub's first answer")
        self.assertEqual(new_hub.requests_of_type("unregistration_request"), [])
        new_hub.register(second["session"], 0)
        wait_until(self.ready, "the ready file again")

    def test_an_engine_still_registering_with_the_same_hub_is_left_alone(self):
        hub = self.start_hub()
        worker = self.make_worker(registration_seconds=60)
        self.start_worker(worker)
        first = self.wait_for_engines(1)[0]
        wait_until(lambda: len(hub.answers_about(first["session"])) >= 10, "ten answers about the registering engine")
        self.assertEqual(len(self.engines()), 1, "a registering engine was restarted")
        self.assertTrue(alive(first["pid"]))
        self.assertFalse(self.ready())

        hub.register(first["session"], 0)  # registered at last, however slowly
        wait_until(self.ready, "the ready file")
        self.assertEqual(len(self.engines()), 1)

    def test_an_engine_not_registered_when_the_hub_would_have_given_up_is_restarted(self):
        hub = self.start_hub()
        worker = self.make_worker(registration_seconds=0.3, registration_grace_seconds=0.2)
        starts = self.record_starts(worker)
        self.start_worker(worker)
        first, second = self.wait_for_engines(2)[:2]
        self.stop_worker(worker)
        self.assertNotEqual(second["session"], first["session"])
        self.assertGreaterEqual(starts[1] - starts[0], 0.5, "restarted before the registration window and its grace were over")
        self.assertFalse(alive(first["pid"]))
        self.assertIn(-1, hub.answers_about(first["session"]))


class FailingEnginesTest(WorkerCase):
    def test_an_engine_that_keeps_exiting_is_restarted_with_growing_backoff(self):
        self.start_hub()
        worker = self.make_worker(mode="exit:3")
        starts = self.record_starts(worker)
        pauses = self.record_calls(worker, "reap", lambda at, args, pause: pause)
        self.start_worker(worker)
        wait_until(lambda: len(starts) >= 5, "five engine starts", timeout=10)
        self.stop_worker(worker)

        # backoff_min_seconds doubling up to backoff_max_seconds (0.1 and 0.4 here).
        self.assertEqual(pauses[:4], [0.1, 0.2, 0.4, 0.4])
        for i, pause in enumerate(pauses[: len(starts) - 1]):
            gap = starts[i + 1] - starts[i]
            self.assertGreaterEqual(gap, pause, f"engine {i + 2} started {gap:.3f} s after the previous one, not after a pause of {pause} s")

    def test_an_engine_that_ran_a_while_before_exiting_is_restarted_without_pause(self):
        self.start_hub()
        worker = self.make_worker(mode="exit-after:0.3", quick_exit_seconds=0.2)
        engine = worker.engines[0]
        engine.backoff = 0.4  # as after earlier failures
        worker.check()
        first = engine.process
        wait_until(lambda: first.poll() is not None, "the engine to exit")
        worker.check()
        self.assertEqual(engine.backoff, 0.0)
        self.assertIsNotNone(engine.process, "not started again in the look that found it exited")
        self.assertIsNot(engine.process, first)


if __name__ == "__main__":
    unittest.main(buffer=True)
