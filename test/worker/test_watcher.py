"""The watcher's parts (images/base/ipp_cluster): the state it keeps from its polls and the workers'
reports, the metrics it exposes, the logs it keeps, the signed requests, its servers, its questions
to the hub, and `ipp_cluster.status()` and `logs()` against a real server."""
import concurrent.futures
import json
import os
import shutil
import tempfile
import unittest
import urllib.error
import urllib.request

import helpers  # noqa: F401  (puts ipp_cluster on the path)
import ipp_cluster
from ipp_cluster import auth, metrics, server
from ipp_cluster.hub import Hub, HubError
from ipp_cluster.logstore import LINE_OVERHEAD, LogStore
from ipp_cluster.state import UNKNOWN, ClusterState
from ipp_cluster.view import Status

KEY = b"0123456789abcdef0123456789abcdef"


def queues(**engines):
    """queue_status() as the hub answers it: e<ID>=(queue, tasks, completed)."""
    answer = {int(k[1:]): {"queue": q, "tasks": t, "completed": c} for k, (q, t, c) in engines.items()}
    answer["unassigned"] = 0
    return answer


class StateTest(unittest.TestCase):
    def setUp(self):
        self.state = ClusterState()
        self.state.report("pod-a", "default", ["u0", "u1"], 0)
        self.state.report("pod-b", "gpu", ["u2"], 0)

    def observe(self, registered, q, hub="hub-1"):
        self.state.observe(hub, registered, q, now=1.0, seconds=0.01)
        return self.state.snapshot()

    def test_engines_by_group_and_pod_busy_and_queued(self):
        s = self.observe({0: "u0", 1: "u1", 2: "u2"}, {**queues(e0=(1, 0, 0), e1=(0, 0, 0), e2=(0, 3, 0)), "unassigned": 7})
        self.assertEqual([(e["id"], e["group"], e["pod"], e["busy"], e["queued"]) for e in s["engines"]], [
            (0, "default", "pod-a", True, 1), (1, "default", "pod-a", False, 0), (2, "gpu", "pod-b", True, 3)])
        self.assertEqual(s["unassigned"], 7)
        self.assertEqual((s["groups"]["default"]["engines"], s["groups"]["default"]["busy"], s["groups"]["gpu"]["busy"]), (2, 1, 1))

    def test_counters_come_from_the_hubs_totals_and_never_miss_what_happened_between_polls(self):
        self.observe({0: "u0", 1: "u1"}, queues(e0=(0, 0, 5), e1=(0, 0, 2)))
        # Between two polls: engine 1 finished 3 more and went; engine 3 registered (the restarted one).
        self.state.report("pod-a", "default", ["u3"], 0)
        s = self.observe({0: "u0", 3: "u3"}, queues(e0=(0, 0, 9), e1=(0, 0, 5), e3=(0, 0, 1)))
        g = s["groups"]["default"]
        self.assertEqual((g["completed"], g["registrations"], g["losses"], g["engines"]), (9 + 5 + 1, 3, 1, 2))
        s = self.observe({0: "u0", 3: "u3"}, queues(e0=(0, 0, 9), e1=(0, 0, 5), e3=(0, 0, 1)))
        self.assertEqual((s["groups"]["default"]["completed"], s["groups"]["default"]["losses"]), (15, 1), "counted twice")

    def test_a_new_hub_counts_its_ids_afresh_and_the_totals_go_on(self):
        self.observe({0: "u0"}, queues(e0=(0, 0, 10)))
        s = self.observe({0: "u1"}, queues(e0=(0, 0, 2)), hub="hub-2")
        g = s["groups"]["default"]
        self.assertEqual((g["completed"], g["registrations"]), (12, 2))

    def test_failures_by_the_group_that_ran_them_and_the_recent_ones_listed(self):
        self.state.failures(
            [
                {"msg_id": "m1", "engine_uuid": "u2", "result_content": {"status": "error", "ename": "ZeroDivisionError", "evalue": "x"}},
                {"msg_id": "m2", "engine_uuid": "nobody", "result_content": {"status": "error", "ename": "EngineError"}},
            ]
        )
        s = self.state.snapshot()
        self.assertEqual((s["groups"]["gpu"]["failed"], s["groups"][UNKNOWN]["failed"]), (1, 1))
        listed = [(f["msg_id"], f["pod"], f["ename"]) for f in s["recent_failures"]]
        self.assertEqual(listed, [("m1", "pod-b", "ZeroDivisionError"), ("m2", UNKNOWN, "EngineError")])

    def test_an_engine_id_or_a_session_id_finds_the_engine_also_once_it_has_gone(self):
        self.observe({0: "u0"}, queues(e0=(0, 0, 0)))
        self.observe({}, queues(e0=(0, 0, 0)))
        self.assertEqual((self.state.uuid_of("0"), self.state.uuid_of("u2")), ("u0", "u2"))


class MetricsTest(unittest.TestCase):
    def test_every_metric_has_help_and_type_and_the_counters_end_in_total(self):
        state = ClusterState()
        state.report("pod-a", "de\"fault", ["u0"], 0)
        state.observe("h", {0: "u0"}, queues(e0=(0, 1, 4)), now=12.5, seconds=0.25)
        text = metrics.exposition(state.snapshot(), cluster="lab")
        for name, kind, _help, _read in metrics.METRICS:
            self.assertIn(f"# TYPE {name} {kind}\n", text)
            self.assertIn(f"# HELP {name} ", text)
            self.assertEqual(name.endswith("_total"), kind == "counter", name)
        self.assertIn('ipp_engines_registered{cluster="lab",group="de\\"fault"} 1\n', text)
        self.assertIn('ipp_engine_tasks_queued{cluster="lab",group="de\\"fault",worker_pod="pod-a",engine="0"} 1\n', text)
        self.assertIn('ipp_tasks_completed_total{cluster="lab",group="de\\"fault"} 4\n', text)
        self.assertIn('ipp_watcher_last_poll_timestamp_seconds{cluster="lab"} 12.5\n', text)


class LogsTest(unittest.TestCase):
    def test_bounded_per_pod_and_in_all_the_longest_silent_pod_dropped_first(self):
        store = LogStore(max_pod_bytes=10 * (LINE_OVERHEAD + 10), max_bytes=25 * (LINE_OVERHEAD + 10))
        store.add("a", [["worker", f"line {i:05d}"] for i in range(30)])
        self.assertEqual(store.lines("a", count=0), [f"line {i:05d}" for i in range(20, 30)])
        store.add("b", [["u1", "b" * 10]] * 10)
        store.add("c", [["u2", "c" * 10]] * 10)
        self.assertEqual(store.lines("a"), [], "the pod heard from longest ago stays")
        self.assertEqual((len(store.lines("b")), len(store.lines("c", "u2"))), (10, 10))
        self.assertEqual(store.lines("c", "u1"), [])


class AuthTest(unittest.TestCase):
    def test_a_signature_holds_for_its_request_only_and_not_for_long(self):
        headers = auth.sign(KEY, "POST", "/report", b"{}", now=1000)
        self.assertTrue(auth.verify(KEY, "POST", "/report", headers, b"{}", now=1100))
        self.assertFalse(auth.verify(KEY, "POST", "/report", headers, b"{ }", now=1100))
        self.assertFalse(auth.verify(KEY, "GET", "/report", headers, b"{}", now=1100))
        self.assertFalse(auth.verify(b"another key", "POST", "/report", headers, b"{}", now=1100))
        self.assertFalse(auth.verify(KEY, "POST", "/report", headers, b"{}", now=1000 + auth.SKEW_SECONDS + 1))
        self.assertFalse(auth.verify(KEY, "POST", "/report", {}, b"{}", now=1000))


class ServerTest(unittest.TestCase):
    """The two servers on free ports, and ipp_cluster's client functions against them."""

    def setUp(self):
        self.state, self.logs = ClusterState(), LogStore()
        self.metrics_port, self.api_port = helpers.free_port(), helpers.free_port()
        for port, handler in ((self.metrics_port, server.metrics_handler(self.state, "lab")), (self.api_port, server.api_handler(self.state, self.logs, KEY))):
            s = server.serve(port, handler)
            self.addCleanup(s.server_close)
            self.addCleanup(s.shutdown)
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir)
        self.client_file = os.path.join(self.dir, "ipcontroller-client.json")
        with open(self.client_file, "w") as f:
            json.dump({"location": "127.0.0.1", "key": KEY.decode()}, f)
        os.environ["IPP_WATCHER_URL"] = f"http://127.0.0.1:{self.api_port}"
        self.addCleanup(os.environ.pop, "IPP_WATCHER_URL")

    def request(self, method, path, body=b"", key=KEY, port=None):
        port = port or self.api_port
        req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", body if method == "POST" else None, auth.sign(key, method, path, body), method=method)
        try:
            with urllib.request.urlopen(req, timeout=5) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def report(self, pod, group, engines, lines, key=KEY):
        return self.request("POST", "/report", json.dumps({"pod": pod, "group": group, "engines": engines, "lines": lines}).encode(), key)

    def test_metrics_without_a_key_and_nothing_else_there(self):
        status, body = self.request("GET", "/metrics", key=b"", port=self.metrics_port)
        self.assertEqual(status, 200)
        self.assertIn(b'ipp_watcher_polls_total{cluster="lab"} 0', body)
        self.assertEqual(self.request("GET", "/status", port=self.metrics_port)[0], 404)

    def test_status_logs_and_reports_need_the_clusters_key(self):
        self.assertEqual(self.request("GET", "/status", key=b"wrong")[0], 403)
        self.assertEqual(self.report("p", "g", [], [], key=b"wrong")[0], 403)
        self.assertEqual(self.request("GET", "/status")[0], 200)
        self.assertEqual(self.request("POST", "/report", b"not json")[0], 400)
        try:  # refused before it is read: the server answers and closes, while the client may still be sending
            refused = self.request("POST", "/report", b"x" * (server.MAX_REPORT_BYTES + 1))[0]
        except urllib.error.URLError:
            refused = 413
        self.assertEqual(refused, 413)
        self.assertEqual(self.state.snapshot()["groups"], {})

    def test_status_and_the_logs_of_an_engine_whose_pod_has_gone(self):
        self.assertEqual(self.report("pod-a", "default", ["u0"], [["worker", "started"], ["u0", "engine says hi"], ["u0", "engine's last words"]])[0], 200)
        self.state.observe("h", {0: "u0"}, queues(e0=(0, 0, 3)), now=1.0, seconds=0.0)
        status = ipp_cluster.status(client_file=self.client_file)
        self.assertIsInstance(status, Status)
        self.assertIn("1 engines (0 busy), 0 tasks unassigned", str(status))
        self.assertIn("pod-a", status._repr_html_())
        self.assertEqual(ipp_cluster.logs(engine=0, client_file=self.client_file), "engine says hi\nengine's last words")
        self.state.observe("h", {}, queues(e0=(0, 0, 3)), now=2.0, seconds=0.0)  # gone
        self.assertEqual(ipp_cluster.logs(engine="u0", lines=1, client_file=self.client_file), "engine's last words")
        self.assertEqual(ipp_cluster.logs(pod="pod-a", client_file=self.client_file).splitlines()[0], "started")
        with self.assertRaises(ValueError):
            ipp_cluster.logs(client_file=self.client_file)


class FakeClient:
    """What the watcher's Hub uses of an ipyparallel Client: _send(stream, msg_type, content=...) -> a future."""

    def __init__(self, answers):
        self.answers = answers  # msg_type -> function(content) -> reply, or None for no answer
        self.asked = []
        self._query_stream = "query"
        self._io_loop = self
        self._iopub_stream = None

    def add_callback(self, f):
        pass

    def _send(self, stream, msg_type, content):
        self.asked.append((msg_type, content))
        future = concurrent.futures.Future()
        answer = self.answers.get(msg_type)
        if answer is not None:
            future.set_result(answer(content))
        return future


def reply(content, session="hub-1"):
    return {"header": {"session": session}, "content": {"status": "ok", **content}}


class HubTest(unittest.TestCase):
    def test_registered_and_queues_with_integer_ids(self):
        hub = Hub(FakeClient({"connection_request": lambda c: reply({"engines": {"0": "u0", "3": "u3"}}),
                              "queue_request": lambda c: reply({"0": {"queue": 1}, "unassigned": 2})}), 1.0)
        self.assertEqual(hub.registered(), ("hub-1", {0: "u0", 3: "u3"}))
        self.assertEqual(hub.queues(), {0: {"queue": 1}, "unassigned": 2})

    def test_new_failures_once_each_asking_only_for_the_recent_records(self):
        records = [
            {"msg_id": "a", "completed": "2026-12-05T10:00:00.000000Z", "engine_uuid": "u0", "result_content": {"status": "ok"}},
            {"msg_id": "b", "completed": "2026-12-05T10:00:01.000000Z", "engine_uuid": "u0", "result_content": {"status": "error"}},
        ]
        client = FakeClient({"db_request": lambda c: reply({"records": list(records)})})
        hub = Hub(client, 1.0)
        self.assertEqual([r["msg_id"] for r in hub.new_failures()], ["b"])
        records.append({"msg_id": "c", "completed": "2026-12-05T10:00:05+00:00", "engine_uuid": "u1", "result_content": {"status": "aborted"}})
        self.assertEqual([r["msg_id"] for r in hub.new_failures()], ["c"])
        self.assertEqual(hub.new_failures(), [])
        first, later = client.asked[0][1]["query"], client.asked[-1][1]["query"]
        self.assertEqual(first, {"completed": {"$ne": None}})
        self.assertEqual(later["completed"]["$ne"], None, "$ne first: the hub's filter compares None with a date otherwise")
        self.assertEqual(list(later["completed"]), ["$ne", "$gte"])
        self.assertTrue(later["completed"]["$gte"].startswith("2026-12-05T09:59:05"))

    def test_no_answer_within_the_limit_is_an_error_not_a_wait(self):
        hub = Hub(FakeClient({}), 0.05)
        with self.assertRaises(HubError):
            hub.queues()
        error = {"header": {}, "content": {"status": "error", "ename": "IndexError", "evalue": "no engines"}}
        failing = Hub(FakeClient({"queue_request": lambda c: error}), 1.0)
        with self.assertRaisesRegex(HubError, "IndexError"):
            failing.queues()


if __name__ == "__main__":
    unittest.main()
