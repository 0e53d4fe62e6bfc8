"""What the worker's tests share: paths (the packages go on sys.path here), waiting, and WorkerCase,
a base class with a temporary folder, a key, an engine connection file, a fake hub on a free port,
workers made with short periods, and what the fake engines recorded."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
WORKER_DIR = REPO / "images" / "worker"
BASE_DIR = REPO / "images" / "base"  # ipp_cluster, which the base image puts on every image's Python path
WORKER = WORKER_DIR / "ipp-worker"
ENGINE = WORKER_DIR / "ipp-engine"
FRONTEND = REPO / "images" / "frontend" / "ipp-frontend"
FAKES = HERE / "fakes"
FAKE_SITE = FAKES / "site"  # a fake ipyparallel (and what an engine imports)
FAKE_PYTHONPATH = os.pathsep.join([str(FAKE_SITE), str(FAKES)])  # for ipp-engine with the fake ipyparallel

for folder in (WORKER_DIR, BASE_DIR):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from fakes.fake_hub import FakeHub  # noqa: E402
from ipp_worker.hub import Hub  # noqa: E402
from ipp_worker.policy import Timing  # noqa: E402
from ipp_worker.supervisor import Worker  # noqa: E402

# Short periods, so that a test takes a second rather than minutes.
FAST = {"wait_seconds": 0.05, "backoff_min_seconds": 0.1, "backoff_max_seconds": 0.4}
QUERY_TIMEOUT_MS = 300


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def alive(pid):
    """Whether `pid` runs (a zombie, killed but not yet reaped, does not count)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def gone(pid):
    """Whether `pid` has gone entirely (reaped)."""
    return not os.path.exists(f"/proc/{pid}")


def wait_until(predicate, what, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


def kill(pids):
    for pid in pids:
        if pid and alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def env_without_ipp(**values):
    """This process's environment without any IPP_ variable, plus `values`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IPP_")}
    env.update(values)
    return env


class WorkerCase(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="ipp-worker-test-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        self.addCleanup(self.kill_engines)
        self.key = uuid.uuid4().hex.encode()
        self.key_file = os.path.join(self.dir, "session-key")
        with open(self.key_file, "wb") as f:
            f.write(self.key + b"\n")
        self.port = free_port()
        self.engine_file = os.path.join(self.dir, "ipcontroller-engine.json")
        info = {"ssh": "", "interface": "tcp://127.0.0.1", "registration": self.port, "location": "127.0.0.1"}
        with open(self.engine_file, "w") as f:
            json.dump({**info, "pack": "json", "unpack": "json", "signature_scheme": "hmac-sha256"}, f)
        self.ready_file = os.path.join(self.dir, "ready")
        self.engine_log = os.path.join(self.dir, "engines")
        os.mkdir(self.engine_log)

    # --- the hub

    def start_hub(self):
        hub = FakeHub(self.key, self.port)
        self.addCleanup(hub.stop)
        return hub

    def replace_hub(self, hub):
        """A controller restart: the hub goes, a new one with another session takes its port."""
        hub.stop()
        return self.start_hub()

    # --- workers

    def engine_command(self, mode="sleep"):
        return [sys.executable, str(FAKES / "fake_engine.py"), mode, self.engine_log]

    def make_worker(self, mode="sleep", check_seconds=0.05, registration_seconds=60.0, count=1, command=None, query_timeout_ms=QUERY_TIMEOUT_MS, **options):
        """A Worker of the fake engine (in `mode`) or `command`; `options`: Timing fields, or the Worker's own keywords."""
        timing = {k: options.pop(k) for k in list(options) if k in Timing._fields}
        worker = Worker(
            command or self.engine_command(mode),
            hub=Hub(self.engine_file, self.key_file, timeout_ms=query_timeout_ms),
            ready_file=self.ready_file,
            count=count,
            timing=Timing(check_seconds, registration_seconds, **{**FAST, **timing}),
            **options,
        )
        self.addCleanup(self.discard_worker, worker)
        return worker

    def start_worker(self, worker):
        """`run()` in a thread, stopped (as by SIGTERM) when the test ends."""
        thread = threading.Thread(target=worker.run, daemon=True)
        worker.test_thread = thread
        thread.start()

    def stop_worker(self, worker):
        worker.stopping = True
        thread = getattr(worker, "test_thread", None)
        if thread is not None:
            thread.join(15)
            self.assertFalse(thread.is_alive(), "the worker did not stop")

    def discard_worker(self, worker):
        worker.stopping = True
        thread = getattr(worker, "test_thread", None)
        if thread is not None:
            thread.join(15)
        worker.kill(worker.engines, "the test is over")
        worker.close()
        worker.hub.close()

    def record_calls(self, worker, name, pick):
        """A list that grows by pick(time, args, result) at each call of the worker's method `name`
        from now on (`time`: time.monotonic() as it was called)."""
        calls = []
        method = getattr(worker, name)

        def recording(*args):
            at = time.monotonic()
            result = method(*args)
            calls.append(pick(at, args, result))
            return result

        setattr(worker, name, recording)
        return calls

    def record_starts(self, worker):
        """The times (monotonic) at which the worker starts engines, from now on (a list that grows)."""
        return self.record_calls(worker, "start_engine", lambda at, args, result: at)

    def record_readiness(self, worker):
        """Every readiness the worker sets (True or False), from now on."""
        return self.record_calls(worker, "set_ready", lambda at, args, result: args[0])

    # --- what the engines recorded

    def engines(self):
        """What each engine started so far recorded, oldest first."""
        records = []
        for name in os.listdir(self.engine_log):
            if name.endswith(".json"):
                with open(os.path.join(self.engine_log, name)) as f:
                    records.append(json.load(f))
        return sorted(records, key=lambda r: r["time"])

    def three_registered(self, first_id=0, **worker_options):
        """A worker of three engines, registered with a fresh hub as ids first_id.. : (hub, worker, the engines' records)."""
        hub = self.start_hub()
        worker = self.make_worker(count=3, **worker_options)
        self.start_worker(worker)
        records = self.wait_for_engines(3)
        for i, record in enumerate(records):
            hub.register(record["session"], first_id + i)
        wait_until(self.ready, "the ready file")
        return hub, worker, records

    def wait_for_engines(self, count, timeout=5.0, where=None):
        """The records once there are `count` of them (of those `where(record)` accepts, if given)."""

        def found():
            records = [r for r in self.engines() if where is None or where(r)]
            return records if len(records) >= count else None

        return wait_until(found, f"{count} engine(s) to start", timeout)

    def kill_engines(self):
        kill([pid for record in self.engines() for pid in (record["pid"], record.get("nanny"))])

    def ready(self):
        return os.path.exists(self.ready_file)

    def ready_lines(self):
        with open(self.ready_file) as f:
            return [line.split() for line in f.read().splitlines()]

    # --- the worker as the container runs it

    def worker_env(self, engines, **values):
        return env_without_ipp(
            IPP_ENGINES=str(engines),
            IPP_ENGINE_FILE=self.engine_file,
            IPP_KEY_FILE=self.key_file,
            IPP_READY_FILE=self.ready_file,
            IPP_CHECK_SECONDS="0.2",
            IPP_REGISTRATION_SECONDS="120",
            **values,
        )

    def start_worker_process(self, command, env):
        """`ipp-worker COMMAND...` as the container runs it; returns the process and a function reading its output."""
        output_path = os.path.join(self.dir, "worker.log")
        with open(output_path, "wb") as output:
            proc = subprocess.Popen([sys.executable, str(WORKER), *command], env=env, stdout=output, stderr=subprocess.STDOUT)

        def stop():
            if proc.poll() is None:
                proc.kill()
                proc.wait()

        self.addCleanup(stop)

        def log():
            with open(output_path) as f:
                return f.read()

        return proc, log

