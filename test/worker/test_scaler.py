"""The scaler: its adaptive policy (pure), the bounds it keeps, and a scale-down against the watcher's real
server, with a stand-in for the Kubernetes API (the calls it gets) and for the workers' drains."""
import json
import os
import tempfile
import threading
import time
import unittest
import uuid

from helpers import free_port
from ipp_cluster import client, scale_requests, server, sizing
from ipp_cluster import scaler as scaler_module
from ipp_cluster.scaler import DRAINED_COST, Scaler
from test_reporting import Watcher


class FakeKube:
    def __init__(self, replicas):
        self.counts = dict(replicas)
        self.calls = []

    def replicas(self, deployment):
        return self.counts[deployment]

    def scale(self, deployment, n):
        self.calls.append(("scale", deployment, n))
        self.counts[deployment] = n

    def annotate(self, pod, annotations):
        self.calls.append(("annotate", pod, annotations))


class AdaptiveTest(unittest.TestCase):
    def test_up_at_once_to_cover_the_work_within_the_bounds(self):
        a = sizing.Adaptive(1, 4, 20, engines_per_pod=2)
        self.assertEqual(a.decide(0, 1, 5)[0], 3)
        self.assertEqual(a.decide(1, 1, 50)[0], 4)

    def test_down_only_after_the_idle_time_to_the_largest_recent_target_and_at_most_half(self):
        a = sizing.Adaptive(1, 8, 20, engines_per_pod=1)
        a.moved(0, 8)
        for t in range(0, 20):
            self.assertEqual(a.decide(t, 8, 0 if t != 5 else 6), (8, None), f"moved at {t} s")
        count, reason = a.decide(21, 8, 0)
        self.assertEqual(count, 6, reason)  # the 6 asked for at 5 s is within the last 20 s
        a.moved(21, 6)
        self.assertEqual(a.decide(30, 6, 0), (6, None), "a second scale-down within one idle period")
        self.assertEqual(a.decide(42, 6, 0)[0], 3)  # half of 6 at most, though 1 would do

    def test_no_flapping_a_burst_inside_the_idle_time_keeps_the_pods(self):
        a = sizing.Adaptive(1, 4, 20, engines_per_pod=1)
        a.moved(0, 4)
        for t in range(0, 60, 5):
            self.assertEqual(a.decide(t, 4, 4 if t % 15 == 0 else 0), (4, None))


class RequestTest(unittest.TestCase):
    def test_counts_outside_the_bounds_and_groups_that_do_not_scale_are_refused_naming_them(self):
        bounds = {"default": sizing.Bounds("ipp-workers", 1, 4, 1)}
        with self.assertRaisesRegex(sizing.ScalingError, "scales from 1 to 4 worker pods .minWorkers, maxWorkers.; got 5"):
            sizing.check_request("default", 5, bounds)
        with self.assertRaisesRegex(sizing.ScalingError, "'gpu' does not scale .groups that scale: default."):
            sizing.check_request("gpu", 1, bounds)
        for bad in (True, 2.5, "2"):
            with self.assertRaises(sizing.ScalingError):
                sizing.check_request("default", bad, bounds)


class ScalerCase(unittest.TestCase):
    """Three pods of one engine each; the workers' drains stood in for: a pod asked to drain reports
    "drained", unless its engine is busy ("busy")."""

    def setUp(self):
        self.key = uuid.uuid4().hex.encode()
        self.watcher = Watcher(self, self.key)
        self.busy = {"pod-0"}
        self.state = self.watcher.state
        self.observe()
        self.stop = threading.Event()
        self.addCleanup(self.stop.set)
        threading.Thread(target=self.workers, daemon=True).start()
        folder = tempfile.mkdtemp()
        self.bounds_file = os.path.join(folder, "sizing.json")
        with open(self.bounds_file, "w") as f:
            json.dump({"groups": {"default": {"deployment": "w", "minimum": 1, "maximum": 4, "enginesPerPod": 1}}, "notReadySeconds": 0}, f)
        self.kube = FakeKube({"w": 3})
        call = lambda method, path, body: client.request(self.watcher.url, self.key, method, path, body)  # noqa: E731
        self.scaler = Scaler(self.kube, call, self.bounds_file)
        self.scaler.reload()

    def observe(self):
        pods = [p for p in ("pod-0", "pod-1", "pod-2") if self.state.drain_states.get(p) != "drained"]
        registered = {i: f"u{i}" for i, p in enumerate(("pod-0", "pod-1", "pod-2")) if p in pods}
        queues = {i: {"queue": int(f"pod-{i}" in self.busy), "tasks": 0, "completed": 0} for i in registered}
        self.state.observe("hub", registered, {**queues, "unassigned": 0}, time.time(), 0.01)

    def workers(self):
        while not self.stop.is_set():
            for i, pod in enumerate(("pod-0", "pod-1", "pod-2")):
                drain = ("busy" if pod in self.busy else "drained") if pod in self.state.draining else None
                self.state.report(pod, "default", [f"u{i}"], time.time(), drain)
            self.observe()
            time.sleep(0.05)



class ScaleDownTest(ScalerCase):
    def test_only_idle_pods_are_drained_marked_and_removed(self):
        self.scaler.wanted["default"] = 1
        self.assertEqual(self.scaler.apply("default"), 1)
        self.assertEqual(self.kube.calls, [("annotate", "pod-1", {"controller.kubernetes.io/pod-deletion-cost": DRAINED_COST}),
                                           ("annotate", "pod-2", {"controller.kubernetes.io/pod-deletion-cost": DRAINED_COST}),
                                           ("scale", "w", 1)])
        self.assertEqual(self.state.snapshot()["decisions"], [{"group": "default", "direction": "down", "count": 1}])
        self.assertIn("removing pod-1, pod-2 (drained)", self.scaler.decisions[-1]["reason"])

    def test_a_pod_that_turns_busy_is_kept_and_called_off(self):
        self.scaler.wanted["default"] = 1
        self.busy = {"pod-0", "pod-2"}
        self.state.report("pod-2", "default", ["u2"], time.time())
        self.state.engines[2]["queued"] = 0  # idle in the snapshot the scaler chooses from, busy by the drain's time
        scaler_module.DRAIN_SECONDS = 1.0
        self.addCleanup(setattr, scaler_module, "DRAIN_SECONDS", 20.0)
        self.assertEqual(self.scaler.apply("default"), 2)
        self.assertNotIn("pod-2", self.state.draining)
        self.assertEqual([c for c in self.kube.calls if c[0] == "scale"], [("scale", "w", 2)])


class ReleaseTest(ScalerCase):
    def test_a_drain_no_scale_down_uses_is_called_off_at_the_next_look(self):
        self.state.drain(["pod-1"], True)  # as a scaler that restarted mid-drain left it
        self.scaler.look()
        self.assertNotIn("pod-1", self.state.draining)
        self.assertIn(("annotate", "pod-1", {"controller.kubernetes.io/pod-deletion-cost": None}), self.kube.calls)
        self.assertEqual([c for c in self.kube.calls if c[0] == "scale"], [])

    def test_a_failed_scale_releases_the_drained_pods(self):
        def refuse(deployment, n):
            raise scaler_module.KubeError("PATCH: 422 admission denied")

        self.kube.scale = refuse
        self.scaler.wanted["default"] = 2
        with self.assertRaises(scaler_module.KubeError):
            self.scaler.apply("default")
        self.assertEqual(self.state.draining, set())
        self.assertEqual(self.scaler.removing, set())


class StateTest(ScalerCase):
    def test_what_was_asked_outlives_a_restart_of_the_scaler(self):
        self.scaler.state_file = os.path.join(os.path.dirname(self.bounds_file), "state.json")
        scale_requests.adapt(self.scaler, {"group": "default", "minimum": 1, "maximum": 3, "idle_seconds": 30})
        again = Scaler(self.kube, self.scaler.watcher, self.bounds_file)
        again.state_file = self.scaler.state_file
        scale_requests.load_state(again)
        a = again.adaptive["default"]
        self.assertEqual((a.minimum, a.maximum, a.idle_seconds, a.engines_per_pod), (1, 3, 30, 1))
        scale_requests.adapt(self.scaler, {"group": "default", "off": True})
        after = Scaler(self.kube, self.scaler.watcher, self.bounds_file)
        after.state_file = self.scaler.state_file
        scale_requests.load_state(after)
        self.assertEqual((after.adaptive, after.wanted), ({}, {"default": self.kube.counts["w"]}))


class ForwardTest(unittest.TestCase):
    def test_the_watcher_passes_scaling_requests_to_the_scaler_which_checks_the_key_again(self):
        key = uuid.uuid4().hex.encode()
        folder = tempfile.mkdtemp()
        bounds_file = os.path.join(folder, "sizing.json")
        with open(bounds_file, "w") as f:
            json.dump({"groups": {"default": {"deployment": "w", "minimum": 1, "maximum": 4, "enginesPerPod": 1}}, "notReadySeconds": 0}, f)
        scaler = Scaler(FakeKube({"w": 2}), lambda *a: {"engines": [], "pods": {}, "unassigned": 0}, bounds_file)
        port = free_port()
        s = server.serve(port, scale_requests.handler(scaler, key), host="127.0.0.1")
        self.addCleanup(s.server_close)
        self.addCleanup(s.shutdown)
        watcher = Watcher(self, key)
        watcher.server.RequestHandlerClass = server.api_handler(watcher.state, watcher.logs, key, f"http://127.0.0.1:{port}")
        answer = client.request(watcher.url, key, "GET", "/scaling")
        self.assertEqual(answer["groups"]["default"]["workers"], 2)
        with self.assertRaisesRegex(client.WatcherError, "scales from 1 to 4 worker pods .minWorkers, maxWorkers.; got 9"):
            client.request(watcher.url, key, "POST", "/scale", {"workers": 9})
        with self.assertRaisesRegex(client.WatcherError, "not signed with the cluster's key"):
            client.request(f"http://127.0.0.1:{port}", b"another key", "GET", "/scaling")

    def test_without_a_scaler_the_watcher_says_how_to_change_the_count(self):
        key = uuid.uuid4().hex.encode()
        watcher = Watcher(self, key)
        with self.assertRaisesRegex(client.WatcherError, "change `workers` in the stack's config and run `pulumi up`"):
            client.request(watcher.url, key, "POST", "/scale", {"workers": 2})


if __name__ == "__main__":
    unittest.main()
