"""A drain (the scaler's way to remove a pod without killing a busy engine): the worker, told by the
watcher's answer to its reports, asks the hub what its engines hold; it waits while one holds a task,
then unregisters and stops them all and starts none until the drain is called off."""
import time
import unittest

from helpers import WorkerCase, alive, wait_until
from ipp_worker.reporter import Reporter
from test_reporting import Watcher


class DrainTest(WorkerCase):
    def setUp(self):
        super().setUp()
        self.hub = self.start_hub()
        self.watcher = Watcher(self, self.key)
        self.reporter = Reporter(self.watcher.url, self.key, "pod-1", "default", interval=0.1, say=lambda *a, **k: None)
        self.addCleanup(setattr, self.reporter, "stopped", True)
        self.worker = self.make_worker(count=2, reporter=self.reporter)
        self.start_worker(self.worker)
        self.records = self.wait_for_engines(2)
        for i, record in enumerate(self.records):
            self.hub.register(record["session"], 10 + i)
        wait_until(self.ready, "the ready file")

    def drain_state(self):
        return self.watcher.state.snapshot()["pods"]["pod-1"]["drain"]

    def test_a_busy_engine_holds_the_drain_until_it_is_idle_then_every_engine_goes(self):
        self.hub.held = {11: 1}
        self.watcher.state.drain(["pod-1"], True)
        wait_until(lambda: self.drain_state() == "busy", "the worker to report busy")
        self.assertEqual(self.hub.requests_of_type("unregistration_request"), [])
        self.assertTrue(all(alive(r["pid"]) for r in self.records), "an engine stopped while one was busy")
        self.assertTrue(self.ready())
        asked = self.hub.requests_of_type("queue_request")
        self.assertEqual(sorted(asked[-1][1]["targets"]), [10, 11])

        self.hub.held = {}
        wait_until(lambda: self.drain_state() == "drained", "the worker to report drained", timeout=10)
        self.assertEqual(sorted(c["id"] for _, c in self.hub.requests_of_type("unregistration_request")), [10, 11])
        wait_until(lambda: not any(alive(r["pid"]) for r in self.records), "the engines to stop")
        self.assertFalse(self.ready(), "a drained pod still Ready")
        time.sleep(0.5)
        self.assertEqual(len(self.engines()), 2, "an engine started while drained")

    def test_a_drain_called_off_starts_the_engines_again(self):
        self.watcher.state.drain(["pod-1"], True)
        wait_until(lambda: self.drain_state() == "drained", "the worker to report drained", timeout=10)
        self.watcher.state.drain(["pod-1"], False)
        wait_until(lambda: self.drain_state() is None, "the worker to report working")
        started = self.wait_for_engines(4)
        for i, record in enumerate(started[2:]):
            self.hub.register(record["session"], 20 + i)
        wait_until(self.ready, "the ready file again")


if __name__ == "__main__":
    unittest.main()
