"""`ipp-engine` (ipp_worker.engine) run as a process, with a fake ipyparallel (fakes/site) on PYTHONPATH:
it wires the worker in as the engine's nanny when IPP_NANNY_SOCKET is set, and is plain ipengine
otherwise; and the worker's fork server loads it, preloads and forks engines that ask the worker."""
import os
import signal
import socket
import subprocess
import sys
import threading
import unittest

from helpers import ENGINE, FAKE_PYTHONPATH, FAKES, WorkerCase, env_without_ipp, wait_until
from ipp_worker.nanny_protocol import NannyRequest, decode_request, encode_reply, read_line

sys.path.append(str(FAKES))  # for the fake app's own imports: its constants are read here
from fakes.site.ipyparallel.engine import app as fake_app  # noqa: E402

WORKER_URL = "tcp://127.0.0.1:4242"  # what the fake worker's end answers


class NannyEnd:
    """The worker's end of the nanny socket, faked with the protocol module: takes one request,
    answers `url` (or, without one, refuses: closes), then notes when the engine's connection closes."""

    def __init__(self, path, url=WORKER_URL):
        self.url = url
        self.requests = []
        self.closed = threading.Event()
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        self.listener.listen(1)
        self.listener.settimeout(30)
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        with conn:
            self.requests.append(decode_request(read_line(conn)))
            if self.url is not None:
                conn.sendall(encode_reply(self.url))
                conn.recv(1)  # b"" once the engine has exited
        self.closed.set()

    def close(self):
        self.listener.close()


class LauncherCase(WorkerCase):
    def engine_env(self, nanny_end=None, **values):
        env = env_without_ipp(PYTHONPATH=FAKE_PYTHONPATH, FAKE_ENGINE_LOG=self.engine_log, **values)
        if nanny_end is not None:
            env["IPP_NANNY_SOCKET"] = nanny_end
        return env

    def nanny_end(self, url=WORKER_URL):
        path = os.path.join(self.dir, "nanny.sock")
        end = NannyEnd(path, url)
        self.addCleanup(end.close)
        return path, end

    def run_engine(self, *flags, **env):
        return subprocess.run([sys.executable, str(ENGINE), *flags], env=self.engine_env(**env), capture_output=True, text=True, timeout=30)

    def record(self, session):
        [record] = [r for r in self.engines() if r["session"] == session]
        return record


class NannyWiringTest(LauncherCase):
    def test_with_the_workers_socket_the_engine_asks_the_worker_to_be_its_nanny(self):
        path, end = self.nanny_end()
        proc = subprocess.Popen([sys.executable, str(ENGINE), "--Session.session=s1"], env=self.engine_env(path, FAKE_IPP_HOLD="1"))
        self.addCleanup(proc.wait)
        self.addCleanup(proc.kill)
        record = self.wait_for_engines(1)[0]
        self.assertEqual(end.requests, [NannyRequest(proc.pid, fake_app.ENGINE_ID, "s1", fake_app.CONTROL_URL, fake_app.REGISTRATION_URL)])
        self.assertEqual(record["control_url"], WORKER_URL, "the engine's control socket does not go through the worker")
        self.assertEqual(record["nanny_pipe"], "socket")
        self.assertFalse(end.closed.wait(0.3), "the connection closed while the engine runs")
        proc.send_signal(signal.SIGKILL)
        self.assertTrue(end.closed.wait(5), "the connection outlived the engine")

    def test_a_refusal_fails_the_engine_with_a_clear_error(self):
        path, end = self.nanny_end(url=None)
        result = self.run_engine("--Session.session=s2", nanny_end=path)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("the worker did not take this engine's nanny on", result.stderr)
        self.assertEqual(len(end.requests), 1)

    def test_without_the_workers_socket_the_engine_starts_ipyparallels_own_nanny(self):
        result = self.run_engine("--Session.session=s3")
        self.assertEqual(result.returncode, 0, result.stderr)
        record = self.record("s3")
        self.assertEqual((record["control_url"], record["nanny_pipe"]), ("tcp://127.0.0.1:1", "str"))

    def test_with_the_nanny_disabled_the_engine_has_none_and_asks_nobody(self):
        path, end = self.nanny_end()
        result = self.run_engine("--Session.session=s4", "--IPEngine.enable_nanny=False", nanny_end=path)
        self.assertEqual(result.returncode, 0, result.stderr)
        record = self.record("s4")
        self.assertEqual((record["control_url"], record["nanny_pipe"]), (fake_app.CONTROL_URL, "NoneType"))
        self.assertEqual(end.requests, [])

    def test_the_engine_runs_with_its_flags_and_exits_with_its_status(self):
        flags = ["--Session.session=s5", "--timeout=30", "--IPEngine.max_heartbeat_misses=0"]
        result = self.run_engine(*flags, FAKE_IPP_EXIT="3")
        self.assertEqual(result.returncode, 3, result.stderr)
        record = self.record("s5")
        self.assertEqual(record["argv"], flags)
        self.assertEqual(record["sys_argv"], [str(ENGINE), *flags])
        self.assertEqual(record["preloaded"], [], "a new process preloads nothing")


class ForkedFromTheWorkerTest(LauncherCase):
    def test_the_fork_server_loads_ipp_engine_preloads_once_and_forks_engines_that_ask_the_worker(self):
        self.start_hub()
        env = self.worker_env(2, IPP_FORK_ENGINES="1", **self.engine_env(FAKE_IPP_HOLD="1"))
        proc, log = self.start_worker_process([str(ENGINE), "--IPEngine.max_heartbeat_misses=0"], env)
        records = self.wait_for_engines(2, timeout=10)
        for record in records:
            self.assertEqual(record["ppid"], proc.pid, f"not the worker's child\n{log()}")
            self.assertEqual(record["comm"], "ipp-engine")
            self.assertEqual(record["preloaded"], list(fake_app.PRELOADED), "not forked from a process that ran preload()")
            self.assertEqual(record["argv"], ["--IPEngine.max_heartbeat_misses=0", f"--Session.session={record['session']}"])
            self.assertTrue(record["control_url"].startswith("tcp://127.0.0.1:"))
            self.assertNotEqual(record["control_url"], fake_app.CONTROL_URL, "the control channel does not go through the worker")
            self.assertEqual(record["nanny_pipe"], "socket")
        wait_until(lambda: log().count("its control channel goes through this worker") == 2, "the worker to take both on")
        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(15), 0, log())


if __name__ == "__main__":
    unittest.main(buffer=True)
