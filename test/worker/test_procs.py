"""Processes from Linux's side (ipp_worker.procs): process trees from /proc, killing them whole,
process names, and reaping what comes to a subreaper."""
import os
import subprocess
import sys
import textwrap
import unittest

from helpers import WORKER_DIR, alive, wait_until
from ipp_worker.forkserver import ForkedProcess
from ipp_worker.procs import kill_trees, process_trees

SLEEP = "import time; time.sleep(60)"


def run_python(code):
    """Runs `code` in a new interpreter that can import the package; its stdout."""
    env = {**os.environ, "PYTHONPATH": str(WORKER_DIR)}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True, timeout=30, check=True).stdout


class TreesTest(unittest.TestCase):
    def test_a_tree_takes_in_every_descendant_and_dies_whole(self):
        # A parent whose child runs in a session of its own (as ipyparallel's nanny does).
        child = f"subprocess.Popen([sys.executable, '-c', {SLEEP!r}], start_new_session=True)"
        code = f"import subprocess, sys, time; c = {child}; print(c.pid, flush=True); time.sleep(60)"
        parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        self.addCleanup(parent.wait)
        child = int(parent.stdout.readline())
        self.addCleanup(lambda: alive(child) and os.kill(child, 9))
        self.assertEqual(sorted(process_trees([parent.pid])), sorted([parent.pid, child]))
        kill_trees([parent.pid, 999999999])  # one gone already: skipped
        self.assertEqual(parent.wait(5), -9)
        wait_until(lambda: not alive(child), "the child to die")


class NamesAndReapingTest(unittest.TestCase):
    def test_a_process_names_itself(self):
        out = run_python("""
            from ipp_worker.procs import set_process_name
            set_process_name("ipp-fork-server-and-more")
            print(open("/proc/self/comm").read().strip())
        """)
        self.assertEqual(out.strip(), "ipp-fork-server", "not the name cut to 15 bytes")

    def test_the_open_files_limit_is_raised_to_the_ceiling_for_the_process_and_its_children(self):
        out = run_python("""
            import resource, subprocess, sys
            from ipp_worker.procs import raise_open_files_limit
            hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 256), hard))
            print(hard, raise_open_files_limit())
            child = "import resource; print(*resource.getrlimit(resource.RLIMIT_NOFILE))"
            print(subprocess.run([sys.executable, "-c", child], capture_output=True, text=True).stdout.strip())
        """)
        (hard, raised), child = (line.split() for line in out.splitlines())
        self.assertEqual(raised, hard)
        self.assertEqual(child, [hard, hard])

    def test_a_subreaper_reaps_the_orphans_that_come_to_it_but_not_its_engines(self):
        out = run_python("""
            import os, time
            from ipp_worker.procs import become_subreaper, processes, reap_strays
            assert become_subreaper()
            engine = os.fork()
            if engine == 0:
                time.sleep(0.2)
                os._exit(0)
            middle = os.fork()
            if middle == 0:
                if os.fork() == 0:
                    os._exit(0)  # the orphan: exits at once, to be reaped by the subreaper
                time.sleep(0.1)
                os._exit(0)
            os.waitpid(middle, 0)
            time.sleep(0.5)
            zombies = lambda: sorted(pid for pid, state, ppid in processes() if ppid == os.getpid() and state == "Z")
            before = zombies()
            reap_strays({engine})
            print(len(before), zombies() == [engine])
        """)
        self.assertEqual(out.split(), ["2", "True"], "not the orphan alone reaped")


class ForkedProcessTest(unittest.TestCase):
    def test_a_forked_process_is_polled_waited_for_and_terminated_like_a_popen(self):
        pid = os.fork()
        if pid == 0:
            os.execv(sys.executable, [sys.executable, "-c", SLEEP])
        process = ForkedProcess(pid)
        self.assertIsNone(process.poll())
        process.terminate()
        self.assertEqual(process.wait(), -15)
        self.assertEqual(process.poll(), -15)
        process.terminate()  # gone: nothing happens


if __name__ == "__main__":
    unittest.main(buffer=True)
