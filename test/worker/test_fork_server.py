"""Engines forked from the fork server (IPP_FORK_ENGINES=1): the worker as the container runs it with
a fake engine program; and the worker falling back to new processes when the server fails it."""
import os
import signal
import sys
import unittest
from unittest import mock

from helpers import FAKES, WorkerCase, alive, gone, wait_until
from ipp_worker.forkserver import ForkServer


class ForkCase(WorkerCase):
    def fork_program(self):
        """The fake engine program (fakes/fork_engine.py) as a script of its own, as ipp-engine is."""
        program = os.path.join(self.dir, "fork-engine")
        with open(program, "w") as f:
            f.write(f"#!{sys.executable}\nimport sys\nsys.path.insert(0, {str(FAKES)!r})\n")
            f.write("from fork_engine import main, preload  # noqa: F401\n")
            f.write("if __name__ == '__main__':\n    sys.exit(main(sys.argv[1:]))\n")
        os.chmod(program, 0o755)
        return program

    def start_forking_worker(self, engines, mode="sleep"):
        env = self.worker_env(engines, IPP_FORK_ENGINES="1", FAKE_ENGINE_LOG=self.engine_log)
        return self.start_worker_process([self.fork_program(), mode, self.engine_log], env)

    def preloads(self):
        """The pids of the processes that ran the fake program's preload()."""
        return [int(name.split("-")[1]) for name in os.listdir(self.engine_log) if name.startswith("preload-")]

    def fork_server_pid(self):
        preloads = self.preloads()
        self.assertEqual(len(preloads), 1, f"preload() ran {len(preloads)} times")
        return preloads[0]


class ForkedEnginesTest(ForkCase):
    def test_forked_engines_are_the_workers_children_and_share_one_preload(self):
        hub = self.start_hub()
        proc, log = self.start_forking_worker(3)
        records = self.wait_for_engines(3)
        server = self.fork_server_pid()
        self.assertNotEqual(server, proc.pid)
        for i, record in enumerate(records):
            self.assertEqual(record["ppid"], proc.pid, f"engine {i} is not the worker's child\n{log()}")
            self.assertEqual(record["preloaded_in"], server, "an engine not forked from the fork server")
            self.assertNotEqual(record["pid"], server)
            self.assertEqual(record["comm"], "ipp-engine")
            self.assertEqual(record["flags"], [f"--Session.session={record['session']}"])
            self.assertEqual(record["nanny_socket"], os.path.join(self.dir, f"ipp-nanny-{proc.pid}.sock"))
            hub.register(record["session"], i)
        self.assertEqual(len({r["session"] for r in records}), 3)
        wait_until(self.ready, "the ready file")
        with open(f"/proc/{server}/comm") as f:
            self.assertEqual(f.read().strip(), "ipp-fork-server")

        # One killed: the worker reaps it (no zombie left) and forks another, again its own child.
        os.kill(records[1]["pid"], signal.SIGKILL)
        fourth = self.wait_for_engines(4)[3]
        self.assertEqual(fourth["ppid"], proc.pid)
        self.assertEqual(fourth["preloaded_in"], server)
        wait_until(lambda: gone(records[1]["pid"]), "the killed engine to be reaped")
        self.assertIn("exited with -9", log())

        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(15), 0, log())
        for record in [*records, fourth]:
            self.assertFalse(alive(record["pid"]), "an engine outlived the worker")
        wait_until(lambda: not alive(server), "the fork server to end with the worker")

    def test_what_a_forked_engine_leaves_behind_is_reaped(self):
        self.start_hub()
        self.start_forking_worker(2, mode="orphan")
        for record in self.wait_for_engines(2):
            self.assertIsNotNone(record["preloaded_in"], "not forked")
            orphan = record["orphan"]
            wait_until(lambda: gone(orphan), "the orphan to be reaped", timeout=3)  # noqa: B023
            self.assertTrue(alive(record["pid"]))

    def test_a_worker_of_one_engine_starts_it_as_a_new_process(self):
        self.start_hub()
        proc, _log = self.start_forking_worker(1)
        record = self.wait_for_engines(1)[0]
        self.assertIsNone(record["preloaded_in"], "forked from a fork server")
        self.assertEqual(record["ppid"], proc.pid)
        self.assertEqual(self.preloads(), [], "a fork server started")


class FallbackTest(ForkCase):
    def test_without_its_fork_server_the_worker_starts_engines_as_new_processes(self):
        hub = self.start_hub()
        proc, log = self.start_forking_worker(2, mode="orphan")
        records = self.wait_for_engines(2)
        server = self.fork_server_pid()
        os.kill(server, signal.SIGKILL)
        os.kill(records[0]["pid"], signal.SIGKILL)
        try:
            third = self.wait_for_engines(3)[2]
        except AssertionError as e:
            raise AssertionError(log()) from e
        self.assertIsNone(third["preloaded_in"], "started from a fork server that was killed?")
        self.assertEqual(third["ppid"], proc.pid)
        orphan = third["orphan"]  # still this worker's to reap, the fork server gone
        wait_until(lambda: gone(orphan), "the orphan to be reaped", timeout=3)
        self.assertIn("the fork server failed", log())
        hub.register(third["session"], 0)
        hub.register(records[1]["session"], 1)
        wait_until(self.ready, "the ready file")

    def falls_back(self, misbehaviour, reason):
        """A worker whose fork server misbehaves (fakes/fork_engine.py's FAKE_PRELOAD) starts its
        engines as new processes, saying why."""
        self.start_hub()
        program = self.fork_program()
        env = {**os.environ, "FAKE_ENGINE_LOG": self.engine_log, "FAKE_PRELOAD": misbehaviour}
        forks = ForkServer(program, env, timeout=0.3)
        worker = self.make_worker(count=2, command=[program, "sleep", self.engine_log], forks=forks)
        with mock.patch("ipp_worker.engine_procs.log") as log:
            worker.check()
        records = self.wait_for_engines(2)
        self.assertEqual([r["preloaded_in"] for r in records], [None, None], "forked")
        self.assertEqual({r["ppid"] for r in records}, {os.getpid()})
        self.assertIsNone(worker.forks)
        self.assertIsNotNone(forks.process.poll(), "the fork server still runs")
        said = [call.args[0] for call in log.call_args_list]
        self.assertIn(f"the fork server failed ({reason}): engines are started as new processes from now on", said)
        self.assertEqual(self.preloads(), [])

    def test_a_start_the_fork_server_does_not_answer_in_time_falls_back_to_new_processes(self):
        self.falls_back("sleep:1", "timed out")

    def test_a_bad_answer_from_the_fork_server_falls_back_to_new_processes(self):
        self.falls_back("garbage", "the fork server answered b'{\"pid\": \"not a pid\"}\\n'")


if __name__ == "__main__":
    unittest.main(buffer=True)
