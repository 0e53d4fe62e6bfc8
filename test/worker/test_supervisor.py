"""The supervisor (ipp_worker.supervisor.Worker), driven directly (one `check()` at a time, or `run()` in
a thread with short periods) against the fake hub, with fake engines: waiting for the controller,
readiness, one question per look, trust in the hub's answers."""
import os
import signal
import time
import unittest

from helpers import WorkerCase, wait_until


class WaitingAndReadinessTest(WorkerCase):
    def test_waits_for_the_hub_and_starts_no_engine_until_it_answers(self):
        flags = ["--IPEngine.max_heartbeat_misses=0", "--log-level=WARN"]
        worker = self.make_worker(count=3, command=self.engine_command() + flags)
        starts = self.record_starts(worker)
        self.start_worker(worker)
        time.sleep(1.0)  # three unanswered queries
        self.assertEqual(self.engines(), [], "an engine was started before the hub answered")
        self.assertTrue(all(e.process is None for e in worker.engines))
        self.assertFalse(self.ready())

        hub = self.start_hub()
        records = self.wait_for_engines(3)
        self.assertEqual(len(records), 3)
        self.assertEqual({r["session"] for r in records}, {e.session_id for e in worker.engines})
        for record in records:  # the same flags for all, and each its own session
            self.assertEqual(record["flags"], [*flags, f"--Session.session={record['session']}"])
        for engine in worker.engines:
            self.assertEqual(engine.standing.hub_at_start, hub.session, "the worker did not remember which hub answered")
        answers = hub.answer_times()
        self.assertLess(answers[0], starts[0], "the hub was not asked before the engines started")
        # Started together, on the hub's first answer: none waited for another to register.
        self.assertEqual(len(starts), 3)
        self.assertEqual(len([t for t in answers if t < starts[-1]]), 1, "the engines were not started together")
        self.assertFalse(self.ready())
        self.assertEqual(hub.bad_requests, 0)

    def test_ready_file_exists_exactly_while_the_hub_reports_the_engine_registered(self):
        hub = self.start_hub()
        worker = self.make_worker()
        worker.check()  # the hub answers: the engine starts
        session = worker.engines[0].session_id
        self.assertIsNotNone(session)

        self.assertEqual(worker.check(), worker.timing.wait_seconds)
        self.assertFalse(self.ready(), "ready while the engine is still registering")

        hub.register(session, 3)
        worker.check()
        self.assertTrue(self.ready(), "not ready although the hub reports the engine registered")
        self.assertEqual(self.ready_lines(), [["3", session]])
        worker.check()
        self.assertTrue(self.ready())

        hub.forget(session)
        worker.check()
        self.assertFalse(self.ready(), "still ready after the hub stopped knowing the engine")
        self.assertEqual(worker.engines[0].session_id, session, "restarted after a single miss")

        hub.register(session, 3)
        worker.check()
        self.assertTrue(self.ready())
        self.assertEqual(hub.bad_requests, 0)

    def test_ready_only_while_all_the_engines_are_registered(self):
        hub = self.start_hub()
        worker = self.make_worker(count=3)
        worker.check()  # the hub answers: the engines start
        sessions = [e.session_id for e in worker.engines]
        self.assertEqual(len(set(sessions)), 3)
        self.wait_for_engines(3)

        hub.register(sessions[0], 10)
        hub.register(sessions[2], 12)
        worker.check()
        self.assertFalse(self.ready(), "ready with 2 of 3 engines registered")
        worker.check()
        self.assertFalse(self.ready())

        hub.register(sessions[1], 11)
        worker.check()
        self.assertTrue(self.ready(), "not ready with all 3 engines registered")
        self.assertEqual(self.ready_lines(), [["10", sessions[0]], ["11", sessions[1]], ["12", sessions[2]]])

        hub.forget(sessions[1])
        worker.check()
        self.assertFalse(self.ready(), "still ready after the hub stopped knowing one engine of 3")
        self.assertEqual([e.session_id for e in worker.engines], sessions)
        self.assertEqual(hub.bad_requests, 0)

    def test_unready_but_not_restarted_while_the_hub_does_not_answer(self):
        hub = self.start_hub()
        worker = self.make_worker()
        worker.check()
        engine = worker.engines[0]
        process = engine.process
        hub.register(engine.session_id, 0)
        worker.check()
        self.assertTrue(self.ready())

        hub.silent = True  # the controller is away: no answer is not an answer "unknown"
        for _ in range(worker.timing.misses_to_restart + 1):
            self.assertEqual(worker.check(), worker.timing.wait_seconds)
            self.assertFalse(self.ready())
        self.assertIs(engine.process, process)
        self.assertIsNone(process.poll())

        hub.silent = False
        worker.check()
        self.assertTrue(self.ready())


class OneQuestionPerLookTest(WorkerCase):
    def queries(self, hub):
        """Questions asked: for the hub's whole list, or (once all are registered) about the pod's engines alone."""
        return len(hub.requests_of_type("connection_request")) + len(hub.requests_of_type("queue_request"))

    def unregistrations(self, hub):
        return len(hub.requests_of_type("unregistration_request"))

    def test_the_hub_is_asked_once_per_look_however_many_engines_there_are(self):
        hub = self.start_hub()
        for count in (1, 8):
            with self.subTest(count=count):
                worker = self.make_worker(count=count)
                before = self.queries(hub)
                worker.check()  # the hub answers: all the engines start
                self.assertEqual(self.queries(hub) - before, 1)
                self.assertTrue(all(e.process is not None for e in worker.engines))
                for i in range(3):  # all registering
                    worker.check()
                    self.assertEqual(self.queries(hub) - before, 2 + i)
                for i, engine in enumerate(worker.engines[: count // 2]):
                    hub.register(engine.session_id, 100 * count + i)
                worker.check()  # some registered, some registering
                self.assertEqual(self.queries(hub) - before, 5)
                for i, engine in enumerate(worker.engines):
                    hub.register(engine.session_id, 100 * count + i)
                worker.check()  # all registered
                self.assertTrue(self.ready())
                self.assertEqual(len(self.ready_lines()), count)
                self.assertEqual(self.queries(hub) - before, 6)
                unregistered = self.unregistrations(hub)
                worker.stopping = True
                worker.run()  # shutdown: one more question (about these engines alone), then an unregistration for each
                self.assertEqual(self.queries(hub) - before, 7)
                self.assertEqual(hub.requests_of_type("queue_request")[-1][1]["targets"], [e.session_id for e in worker.engines])
                wait_until(lambda: self.unregistrations(hub) - unregistered >= count, "the unregistrations to arrive")  # noqa: B023
                time.sleep(0.1)
                self.assertEqual(self.unregistrations(hub) - unregistered, count)
        self.assertEqual({h["msg_type"] for h, _ in hub.requests}, {"connection_request", "queue_request", "unregistration_request"})
        self.assertEqual(hub.bad_requests, 0)

    def test_several_engines_that_exit_at_once_are_reaped_in_one_look_and_started_again(self):
        hub = self.start_hub()
        worker = self.make_worker(count=3, quick_exit_seconds=0.0)  # started again without a pause
        worker.check()
        records = self.wait_for_engines(3)
        for i, record in enumerate(records):
            hub.register(record["session"], i)
        worker.check()
        self.assertTrue(self.ready())
        old = [e.process for e in worker.engines]
        for record in records:
            os.kill(record["pid"], signal.SIGKILL)
        wait_until(lambda: all(p.poll() is not None for p in old), "the three engines to exit")

        before = self.queries(hub)
        worker.check()
        self.assertEqual(self.queries(hub) - before, 1, "not one question for the look")
        self.assertTrue(all(e.process is not None and e.process not in old for e in worker.engines), "not all started again")
        self.assertEqual(len(self.wait_for_engines(6)), 6)
        self.assertFalse(self.ready())
        self.assertEqual(self.unregistrations(hub), 0, "engines without the worker as their nanny were unregistered")


class SettledLookTest(WorkerCase):
    def test_once_all_are_registered_a_look_asks_about_them_alone_and_falls_back_to_the_whole_list(self):
        hub = self.start_hub()
        worker = self.make_worker(count=3)
        worker.check()
        for i, engine in enumerate(worker.engines):
            hub.register(engine.session_id, i)
        worker.check()  # the whole list: all registered
        self.assertTrue(self.ready())
        since = time.monotonic()
        worker.check()  # settled: one question about these three alone
        self.assertEqual(hub.request_types(since), ["queue_request"])
        self.assertTrue(self.ready())

        hub.forget(worker.engines[1].session_id)  # the hub no longer lists one: the same look asks for the whole list
        since = time.monotonic()
        worker.check()
        self.assertEqual(hub.request_types(since), ["queue_request", "connection_request"])
        self.assertFalse(self.ready())
        self.assertEqual(worker.engines[1].standing.misses, 1)
        since = time.monotonic()
        worker.check()  # not settled while one is missed: the whole list
        self.assertEqual(hub.request_types(since), ["connection_request"])


class TrustTest(WorkerCase):
    def test_a_reply_with_a_bad_signature_is_not_trusted(self):
        hub = self.start_hub()
        worker = self.make_worker()
        worker.check()
        engine = worker.engines[0]
        process, session = engine.process, engine.session_id
        hub.register(session, 0)
        worker.check()
        self.assertTrue(self.ready())

        hub.reply_key = b"not the key"
        self.assertIsNone(worker.hub.registered(), "a forged reply was taken for an answer")
        hub.forget(session)  # forged "unknown" answers must not restart the engine...
        for _ in range(worker.timing.misses_to_restart + 1):
            worker.check()
        self.assertIs(engine.process, process)
        self.assertIsNone(process.poll())
        self.assertEqual(engine.standing.misses, 0)
        hub.register(session, 0)  # ... nor forged "registered" ones make it ready
        worker.check()
        self.assertFalse(self.ready())

        hub.reply_key = self.key
        worker.check()
        self.assertTrue(self.ready())

    def test_a_hub_answering_with_bad_signatures_is_not_taken_for_the_hub(self):
        hub = self.start_hub()
        hub.reply_key = b"not the key"
        worker = self.make_worker()
        self.start_worker(worker)
        wait_until(lambda: len(hub.requests) >= 3, "three queries")
        self.assertEqual(self.engines(), [], "an engine started on a forged answer")
        hub.reply_key = self.key
        self.wait_for_engines(1)


if __name__ == "__main__":
    unittest.main(buffer=True)
