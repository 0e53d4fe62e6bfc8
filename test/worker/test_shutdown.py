"""The worker's shutdown: on SIGTERM (the worker as the container runs it) and when `run()` is told to
stop, engines the hub knows are unregistered under the ids it gives them then and stopped together;
the others are killed."""
import signal
import time
import unittest
import uuid

from helpers import WorkerCase, alive, wait_until


class SigtermTest(WorkerCase):
    def start(self, engines, mode="sleep"):
        return self.start_worker_process(self.engine_command(mode), self.worker_env(engines))

    def test_sigterm_unregisters_the_engine_stops_it_and_removes_the_ready_file(self):
        hub = self.start_hub()
        proc, log = self.start(1)
        engine = self.wait_for_engines(1)[0]
        hub.register(engine["session"], 7)
        wait_until(self.ready, "the ready file")
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(15), 0, log())

        unregistrations = hub.requests_of_type("unregistration_request")  # only correctly signed ones count
        self.assertEqual(len(unregistrations), 1, log())
        header, content = unregistrations[0]
        self.assertEqual(content, {"id": 7})
        queries = hub.requests_of_type("connection_request")
        self.assertEqual(header["session"], queries[-1][0]["session"], "not sent by the worker's session")
        self.assertEqual(hub.bad_requests, 0)
        self.assertFalse(alive(engine["pid"]), "the engine outlived the worker")
        self.assertFalse(self.ready(), "the ready file outlived the worker")

    def test_sigterm_unregisters_all_engines_and_stops_them_together(self):
        hub = self.start_hub()
        # Each engine takes a second to stop: one after another, three would take three.
        proc, log = self.start(3, mode="slow-stop:1")
        records = self.wait_for_engines(3)
        ids = {record["session"]: 20 + i for i, record in enumerate(records)}
        for session, eid in ids.items():
            hub.register(session, eid)
        wait_until(self.ready, "the ready file")
        hub.register(records[0]["session"], 40)  # the id the hub gives now is the one that counts
        ids[records[0]["session"]] = 40
        wait_until(lambda: ["40", records[0]["session"]] in self.ready_lines(), "the worker to see the new id")
        signalled = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(15), 0, log())
        took = time.monotonic() - signalled
        self.assertLess(took, 2.5, f"stopping 3 engines took {took:.1f} s: not in parallel?\n{log()}")

        unregistrations = hub.requests_of_type("unregistration_request")
        self.assertEqual(sorted(c["id"] for _, c in unregistrations), sorted(ids.values()), log())
        for record in records:
            self.assertFalse(alive(record["pid"]), "an engine outlived the worker")
        self.assertFalse(self.ready(), "the ready file outlived the worker")
        self.assertEqual(hub.bad_requests, 0)


class StoppingTest(WorkerCase):
    def test_stopping_unregisters_nothing_when_the_hub_no_longer_knows_the_engine(self):
        hub = self.start_hub()
        worker = self.make_worker(mode="nanny")
        worker.check()
        hub.register(worker.engines[0].session_id, 0)
        worker.check()
        self.assertTrue(self.ready())
        engine = self.wait_for_engines(1)[0]

        new_hub = self.replace_hub(hub)  # a controller restart; the new hub gives id 0 to another engine
        new_hub.register(str(uuid.uuid4()), 0)
        worker.check()  # it will not take the engine back under id 0: restarted
        self.assertIsNotNone(worker.engines[0].process)

        worker.stopping = True  # as SIGTERM does
        worker.run()
        time.sleep(0.2)  # an unregistration would be on its way
        unregistered = [c["id"] for _h, c in new_hub.requests_of_type("unregistration_request")]
        self.assertNotIn(0, unregistered, "another engine's id was unregistered")
        self.assertFalse(alive(engine["pid"]))
        # Killed (SIGKILL takes a moment to land), not left running to unregister the old id.
        wait_until(lambda: not alive(engine["nanny"]), "the nanny to die", timeout=2)
        self.assertFalse(self.ready())

    def test_stopping_unregisters_the_engines_the_hub_knows_and_kills_the_others(self):
        hub = self.start_hub()
        worker = self.make_worker(mode="nanny", count=3)
        worker.check()
        records = self.wait_for_engines(3)
        by_session = {r["session"]: r for r in records}
        sessions = [e.session_id for e in worker.engines]
        hub.register(sessions[0], 5)
        hub.register(sessions[2], 6)  # the second is still registering

        worker.stopping = True
        worker.run()

        def unregistered():
            return sorted(c["id"] for _, c in hub.requests_of_type("unregistration_request"))

        wait_until(lambda: len(unregistered()) >= 2, "the unregistrations to arrive")  # sent on their own
        time.sleep(0.1)
        self.assertEqual(unregistered(), [5, 6])
        for session in sessions:
            self.assertFalse(alive(by_session[session]["pid"]))
        wait_until(lambda: not alive(by_session[sessions[1]]["nanny"]), "the unknown engine's nanny to die", timeout=2)
        self.assertTrue(all(e.process is None for e in worker.engines))


if __name__ == "__main__":
    unittest.main(buffer=True)
