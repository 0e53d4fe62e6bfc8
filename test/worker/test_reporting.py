"""The worker's reports to the watcher (IPP_WATCHER_URL): the worker as the container runs it, against the
watcher's real server, with engines started as new processes and forked; the output pump; and the
reporter's behaviour while the watcher does not answer."""
import os
import signal
import subprocess
import sys
import time
import unittest

from helpers import BASE_DIR, WorkerCase, free_port, wait_until
from ipp_cluster import server
from ipp_cluster.logstore import LogStore
from ipp_cluster.state import ClusterState
from ipp_worker.output import OutputPump
from ipp_worker.reporter import MAX_LINES, Reporter
from test_fork_server import ForkCase


class Watcher:
    """The watcher's server of signed requests on a free port, with its state and logs."""

    def __init__(self, case, key, port=None, logs=None):
        self.state, self.logs = ClusterState(), logs or LogStore()
        self.port = port or free_port()
        self.server = server.serve(self.port, server.api_handler(self.state, self.logs, key))
        case.addCleanup(self.stop)
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def lines(self, pod, source=None):
        return self.logs.lines(pod, source, count=0)


class ReportingWorkerTest(ForkCase):
    def reporting_env(self, engines, watcher, **values):
        return self.worker_env(
            engines,
            IPP_WATCHER_URL=watcher.url,
            IPP_POD_NAME="pod-7",
            IPP_WORKER_GROUP="gpu",
            PYTHONPATH=str(BASE_DIR),  # ipp_cluster, as the images' .pth file puts it
            FAKE_ENGINE_LOG=self.engine_log,
            **values,
        )

    def check_reports(self, proc, log, watcher, count):
        records = self.wait_for_engines(count)
        sessions = sorted(r["session"] for r in records)
        wait_until(lambda: all(watcher.state.place(s) == ("gpu", "pod-7") for s in sessions), "the engines' places")
        for session in sessions:
            wanted = [f"hello stdout {session}", f"hello stderr {session}"]
            wait_until(lambda s=session, w=wanted: sorted(watcher.lines("pod-7", s)) == sorted(w), f"{session}'s lines at the watcher")
            for line in wanted:  # still in the container's log too
                self.assertIn(line, log())
        self.assertTrue(any("[ipp-worker] " in line for line in watcher.lines("pod-7", "worker")))
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(15), 0, log())
        # The worker's last words reached the watcher before it exited.
        self.assertTrue(any("received signal" in line for line in watcher.lines("pod-7", "worker")), watcher.lines("pod-7", "worker"))

    def test_engines_started_as_processes_report_their_place_and_lines(self):
        self.start_hub()
        watcher = Watcher(self, self.key)
        proc, log = self.start_worker_process(self.engine_command("say:hello"), self.reporting_env(2, watcher))
        self.check_reports(proc, log, watcher, 2)

    def test_forked_engines_too(self):
        self.start_hub()
        watcher = Watcher(self, self.key)
        proc, log = self.start_worker_process([self.fork_program(), "say:hello", self.engine_log], self.reporting_env(3, watcher, IPP_FORK_ENGINES="1"))
        self.check_reports(proc, log, watcher, 3)
        self.assertEqual(len(self.preloads()), 1, "the engines were not forked")

    def test_without_a_watcher_url_engines_write_to_the_containers_log_as_before(self):
        self.start_hub()
        proc, log = self.start_worker_process(self.engine_command("say:hello"), self.worker_env(1, FAKE_ENGINE_LOG=self.engine_log))
        session = self.wait_for_engines(1)[0]["session"]
        wait_until(lambda: f"hello stderr {session}" in log(), "the engine's line")
        self.assertEqual(sorted(os.listdir(f"/proc/{self.engines()[0]['pid']}/fd"))[:3], ["0", "1", "2"])
        self.assertEqual(os.readlink(f"/proc/{self.engines()[0]['pid']}/fd/1"), os.readlink(f"/proc/{proc.pid}/fd/1"))

    def test_a_watcher_url_without_the_pod_and_group_is_refused(self):
        env = self.worker_env(1, IPP_WATCHER_URL="http://127.0.0.1:1")
        result = subprocess.run([sys.executable, str(self.worker_script()), *self.engine_command()], env=env, capture_output=True, text=True, timeout=10)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("IPP_POD_NAME must be set", result.stderr)

    def worker_script(self):
        from helpers import WORKER

        return WORKER


class OutputPumpTest(unittest.TestCase):
    def test_lines_whole_in_pieces_long_and_unfinished(self):
        got, echoed = [], bytearray()

        class Out:
            def write(self, data):
                echoed.extend(data)

            def flush(self):
                pass

        pump = OutputPump(lambda source, text: got.append((source, text)), out=Out())
        w = pump.pipe("s1")
        os.write(w, b"one\ntw")
        time.sleep(0.05)
        os.write(w, b"o\n" + b"x" * 70000 + b"\nthree")
        os.close(w)
        pump.drain(2)
        wait_until(lambda: got and got[-1] == ("s1", "three"), "the unfinished last line")
        self.assertEqual([t[:5] for _, t in got], ["one", "two", "xxxxx", "three"])
        self.assertEqual(len(got[2][1]), 70000)
        self.assertEqual(bytes(echoed), b"one\ntwo\n" + b"x" * 70000 + b"\nthree\n")
        self.assertEqual(len(pump.selector.get_map()), 1, "the closed pipe is still watched")


class ReporterTest(WorkerCase):
    def test_lines_wait_while_the_watcher_does_not_answer_and_go_once_it_does(self):
        port = free_port()
        said = []
        reporter = Reporter(f"http://127.0.0.1:{port}", self.key, "pod-1", "default", interval=0.05, say=lambda *a, **k: said.append(a[0]))
        self.addCleanup(reporter.close, 0.2)
        for i in range(MAX_LINES + 5):
            reporter.line("worker", f"line {i}")
        reporter.engines(["u1"])
        wait_until(lambda: said, "a word about the watcher not answering")
        self.assertEqual(len(said), 1)
        watcher = Watcher(self, self.key, port, LogStore(max_pod_bytes=2**30))
        wait_until(lambda: len(watcher.lines("pod-1")) == MAX_LINES, "every kept line at the watcher", timeout=10)
        self.assertEqual(watcher.lines("pod-1")[0], "line 5", "the oldest lines go first")
        self.assertEqual(watcher.state.place("u1"), ("default", "pod-1"))

    def test_a_report_signed_with_another_key_is_refused_and_kept(self):
        watcher = Watcher(self, b"the cluster's real key")
        reporter = Reporter(watcher.url, self.key, "pod-1", "default", interval=0.05, say=lambda *a, **k: None)
        self.addCleanup(reporter.close, 0.2)
        reporter.line("worker", "hello")
        time.sleep(0.3)
        self.assertEqual(watcher.lines("pod-1"), [])
        self.assertEqual(reporter.lines, [("worker", "hello")])

    def test_close_sends_the_last_lines_within_its_time(self):
        watcher = Watcher(self, self.key)
        reporter = Reporter(watcher.url, self.key, "pod-1", "default", interval=60, say=lambda *a, **k: None)
        reporter.line("worker", "last words")
        started = time.monotonic()
        reporter.close(1.0)
        self.assertLess(time.monotonic() - started, 1.5)
        self.assertEqual(watcher.lines("pod-1"), ["last words"])


if __name__ == "__main__":
    unittest.main()
