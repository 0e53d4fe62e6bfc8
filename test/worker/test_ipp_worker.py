"""The worker entrypoint's supervisor logic (images/worker/ipp-worker), without Docker.

A fake hub on loopback answers the worker's signed `connection_request`s with signed replies whose
header names the hub and whose content lists the registered engines, and a fake engine (a small
Python script) stands in for `ipengine`. The worker is driven directly (one `check()` at a time, or
`run()` in a thread with short periods) or, for the signal and environment handling, run as the
container runs it: as a process.
"""
import hashlib
import hmac
import importlib.machinery
import importlib.util
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
from datetime import datetime, timezone
from pathlib import Path
from unittest import mock

import zmq

SCRIPT = Path(__file__).resolve().parents[2] / "images" / "worker" / "ipp-worker"


def load_worker_module():
    loader = importlib.machinery.SourceFileLoader("ipp_worker", str(SCRIPT))
    spec = importlib.util.spec_from_loader("ipp_worker", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


ipp_worker = load_worker_module()

DELIMITER = b"<IDS|MSG>"

# Stands in for `ipengine`: records how it was started (in LOG_DIR/<session>.json), then
#   sleep            sleeps until it is killed;
#   nanny            also starts a "nanny" child in a session of its own, then sleeps;
#   exit:CODE        exits at once with CODE;
#   exit-after:S     exits with 0 after S seconds;
#   slow-stop:S      sleeps until it is killed, or exits S seconds after a SIGTERM.
FAKE_ENGINE = r'''
import json, os, signal, subprocess, sys, time
mode, log_dir = sys.argv[1], sys.argv[2]
flags = sys.argv[3:]
session = [f.split("=", 1)[1] for f in flags if f.startswith("--Session.session=")][0]
record = {"pid": os.getpid(), "session": session, "flags": flags, "mode": mode, "time": time.time()}
if mode == "nanny":
    nanny = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"], start_new_session=True)
    record["nanny"] = nanny.pid
path = os.path.join(log_dir, session + ".json")
with open(path + ".tmp", "w") as f:
    json.dump(record, f)
os.replace(path + ".tmp", path)
if mode.startswith("exit:"):
    sys.exit(int(mode.split(":")[1]))
if mode.startswith("exit-after:"):
    time.sleep(float(mode.split(":")[1]))
    sys.exit(0)
if mode.startswith("slow-stop:"):
    def stop(signum, frame):
        time.sleep(float(mode.split(":")[1]))
        sys.exit(0)
    signal.signal(signal.SIGTERM, stop)
while True:
    time.sleep(300)
'''


# Stands in for `ipp-engine`: asks the worker (IPP_NANNY_SOCKET) to be its nanny, with CONTROL_URL as
# the controller's control port, records the answer (LOG_DIR/<session>.json), then serves its control
# socket as an engine does: every message it gets is appended to LOG_DIR/<session>.control and sent
# back as it came; a SIGINT is noted in LOG_DIR/<session>.sigint.
NANNY_ENGINE = r'''
import json, os, signal, socket, sys, time
import zmq
log_dir, control_url = sys.argv[1], sys.argv[2]
flags = sys.argv[3:]
session = [f.split("=", 1)[1] for f in flags if f.startswith("--Session.session=")][0]
def interrupted(signum, frame):
    open(os.path.join(log_dir, session + ".sigint"), "w").close()
signal.signal(signal.SIGINT, interrupted)
conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
conn.connect(os.environ["IPP_NANNY_SOCKET"])
request = {"pid": os.getpid(), "engine_id": 7, "identity": session, "control_url": control_url, "registration_url": "tcp://127.0.0.1:9"}
conn.sendall(json.dumps(request).encode() + b"\n")
url = conn.makefile("rb").readline().decode().strip()
record = {"pid": os.getpid(), "session": session, "nanny_url": url, "time": time.time(), "flags": flags}
path = os.path.join(log_dir, session + ".json")
with open(path + ".tmp", "w") as f:
    json.dump(record, f)
os.replace(path + ".tmp", path)
if not url:
    sys.exit(3)
control = zmq.Context().socket(zmq.ROUTER)
control.identity = session.encode()
control.connect(url)
while True:
    if control.poll(100):
        frames = control.recv_multipart()
        with open(os.path.join(log_dir, session + ".control"), "a") as f:
            f.write(json.dumps([x.decode("utf8", "replace") for x in frames]) + "\n")
        control.send_multipart(frames)
'''


# Stands in for `ipp-engine` as a program the fork server loads (IPP_FORK_ENGINES=1): `preload()`
# notes the process it ran in (and leaves a file LOG_DIR/preload-<pid>, LOG_DIR from the environment's
# FAKE_ENGINE_LOG); `main(argv)` records how the engine was started (LOG_DIR/<session>.json), then
#   sleep      sleeps until it is killed;
#   orphan     leaves a process behind whose parent has exited (it exits itself 0.3 s later), then sleeps.
# Run as a script, it runs main(sys.argv[1:]) without preload().
FORK_ENGINE = r'''
import json, os, sys, time
PRELOADED_IN = None

def preload():
    global PRELOADED_IN
    PRELOADED_IN = os.getpid()
    open(os.path.join(os.environ["FAKE_ENGINE_LOG"], f"preload-{os.getpid()}"), "w").close()

def main(argv):
    mode, log_dir = argv[0], argv[1]
    flags = argv[2:]
    session = [f.split("=", 1)[1] for f in flags if f.startswith("--Session.session=")][0]
    with open("/proc/self/comm") as f:
        comm = f.read().strip()
    record = {"pid": os.getpid(), "ppid": os.getppid(), "session": session, "flags": flags, "mode": mode,
              "preloaded_in": PRELOADED_IN, "comm": comm, "nanny_socket": os.environ.get("IPP_NANNY_SOCKET"),
              "time": time.time()}
    if mode == "orphan":
        read, write = os.pipe()
        middle = os.fork()
        if middle == 0:
            orphan = os.fork()
            if orphan == 0:
                time.sleep(0.3)
                os._exit(0)
            os.write(write, str(orphan).encode())
            os._exit(0)
        record["orphan"] = int(os.read(read, 64))
        os.waitpid(middle, 0)
    path = os.path.join(log_dir, session + ".json")
    with open(path + ".tmp", "w") as f:
        json.dump(record, f)
    os.replace(path + ".tmp", path)
    while True:
        time.sleep(300)

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
'''


def sign(key, frames):
    mac = hmac.new(key, digestmod=hashlib.sha256)
    for frame in frames:
        mac.update(frame)
    return mac.hexdigest().encode()


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


def wait_until(predicate, what, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


class FakeHub:
    """The controller's hub, as far as the worker sees it: a ROUTER on 127.0.0.1 that drops requests
    not signed with the key, answers `connection_request` with `connection_reply` listing the
    registered engines (id -> session id, as ipyparallel's hub does: an engine still registering is
    not listed), leaves other requests (unregistrations) unanswered, and records what it was sent
    and what it answered."""

    def __init__(self, key, port=None):
        self.key = key
        self.reply_key = key  # the key replies are signed with; another one forges them
        self.session = str(uuid.uuid4())  # the hub's own session id, in every reply's header
        self.registered = {}  # engine session id -> engine id
        self.silent = False  # receive, but do not answer
        self.requests = []  # (header, content) of every correctly signed request
        self.answers = []  # (time.monotonic(), {session id: engine id}) for every connection_request answered
        self.bad_requests = 0
        self.context = zmq.Context()
        self.socket = self.context.socket(zmq.ROUTER)
        self.socket.linger = 0
        if port is None:
            self.port = self.socket.bind_to_random_port("tcp://127.0.0.1")
        else:
            self.port = port
            deadline = time.monotonic() + 5
            while True:  # the previous hub's listener may take a moment to close
                try:
                    self.socket.bind(f"tcp://127.0.0.1:{port}")
                    break
                except zmq.ZMQError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def register(self, session_id, engine_id):
        self.registered[session_id] = engine_id

    def forget(self, session_id):
        self.registered.pop(session_id, None)

    def requests_of_type(self, msg_type):
        return [(h, c) for h, c in list(self.requests) if h["msg_type"] == msg_type]

    def answers_about(self, session_id, before=None):
        """What each answer said of `session_id` (its engine id, or -1 when not listed), oldest first;
        only answers given before the time.monotonic() `before`, if given."""
        return [snap.get(session_id, -1) for t, snap in list(self.answers) if before is None or t < before]

    def answer_times(self):
        return [t for t, _ in list(self.answers)]

    def stop(self):
        if not self._stop.is_set():
            self._stop.set()
            self._thread.join(5)
            self.context.term()

    def _serve(self):
        try:
            while not self._stop.is_set():
                if self.socket.poll(20):
                    self._handle(self.socket.recv_multipart())
        finally:
            self.socket.close()

    def _handle(self, frames):
        try:
            i = frames.index(DELIMITER)
        except ValueError:
            self.bad_requests += 1
            return
        identities, signature, parts = frames[:i], frames[i + 1], frames[i + 2 : i + 6]
        if len(parts) != 4 or not hmac.compare_digest(signature, sign(self.key, parts)):
            self.bad_requests += 1
            return
        header, _parent, _metadata, content = (json.loads(p) for p in parts)
        self.requests.append((header, content))
        if header["msg_type"] != "connection_request" or self.silent:
            return
        snapshot = dict(self.registered)
        self.answers.append((time.monotonic(), snapshot))
        reply = {"status": "ok", "engines": {str(eid): sid for sid, eid in snapshot.items()}}
        reply_header = {
            "msg_id": str(uuid.uuid4()),
            "msg_type": "connection_reply",
            "session": self.session,
            "username": "hub",
            "date": datetime.now(timezone.utc).isoformat(),
            "version": "5.3",
        }
        out = [json.dumps(part).encode() for part in (reply_header, header, {}, reply)]
        self.socket.send_multipart([*identities, DELIMITER, sign(self.reply_key, out), *out])


class WorkerTest(unittest.TestCase):
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
        with open(self.engine_file, "w") as f:
            json.dump(
                {
                    "ssh": "",
                    "interface": "tcp://127.0.0.1",
                    "registration": self.port,
                    "location": "127.0.0.1",
                    "pack": "json",
                    "unpack": "json",
                    "signature_scheme": "hmac-sha256",
                },
                f,
            )
        self.ready_file = os.path.join(self.dir, "ready")
        self.engine_log = os.path.join(self.dir, "engines")
        os.mkdir(self.engine_log)
        self.engine_script = os.path.join(self.dir, "fake-engine.py")
        with open(self.engine_script, "w") as f:
            f.write(FAKE_ENGINE)
        # Short periods, so that a test takes a second rather than minutes.
        patcher = mock.patch.multiple(
            ipp_worker,
            WAIT_SECONDS=0.05,
            QUERY_TIMEOUT_MS=300,
            BACKOFF_MIN_SECONDS=0.1,
            BACKOFF_MAX_SECONDS=0.4,
        )
        patcher.start()
        self.addCleanup(patcher.stop)

    # --- fixtures

    def start_hub(self):
        hub = FakeHub(self.key, self.port)
        self.addCleanup(hub.stop)
        return hub

    def replace_hub(self, hub):
        """A controller restart: the hub goes, a new one with another session takes its port."""
        hub.stop()
        return self.start_hub()

    def engine_command(self, mode="sleep"):
        return [sys.executable, self.engine_script, mode, self.engine_log]

    def make_worker(self, mode="sleep", check_seconds=0.05, registration_seconds=60.0, count=1):
        hub = ipp_worker.Hub(self.engine_file, self.key_file)
        worker = ipp_worker.Worker(
            self.engine_command(mode), hub, self.ready_file, check_seconds, registration_seconds, count
        )
        self.addCleanup(self.discard_worker, worker)
        return worker

    def start_worker(self, worker):
        """`run()` in a thread, stopped (as by SIGTERM) when the test ends."""
        thread = threading.Thread(target=worker.run, daemon=True)
        worker.test_thread = thread
        thread.start()

    def record_starts(self, worker):
        """The times (monotonic) at which the worker starts engines, from now on."""
        starts = []
        start_engine = worker.start_engine

        def recording_start_engine(engine, hub):
            starts.append(time.monotonic())
            start_engine(engine, hub)

        worker.start_engine = recording_start_engine
        return starts

    def record_readiness(self, worker):
        """Every readiness the worker sets (True or False), from now on."""
        history = []
        set_ready = worker.set_ready

        def recording_set_ready(ready):
            history.append(ready)
            set_ready(ready)

        worker.set_ready = recording_set_ready
        return history

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
        worker.hub.close()

    def engines(self):
        """What each engine started so far recorded, oldest first."""
        records = []
        for name in os.listdir(self.engine_log):
            if name.endswith(".json"):
                with open(os.path.join(self.engine_log, name)) as f:
                    records.append(json.load(f))
        return sorted(records, key=lambda r: r["time"])

    def wait_for_engines(self, count, timeout=5.0):
        return wait_until(lambda: len(self.engines()) >= count and self.engines(), f"{count} engine(s) to start", timeout)

    def kill_engines(self):
        for record in self.engines():
            for pid in (record["pid"], record.get("nanny")):
                if pid and alive(pid):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass

    def ready(self):
        return os.path.exists(self.ready_file)

    def ready_lines(self):
        with open(self.ready_file) as f:
            return [line.split() for line in f.read().splitlines()]

    def worker_env(self, engines):
        env = {k: v for k, v in os.environ.items() if not k.startswith("IPP_")}
        env.update(
            IPP_ENGINES=str(engines),
            IPP_ENGINE_FILE=self.engine_file,
            IPP_KEY_FILE=self.key_file,
            IPP_READY_FILE=self.ready_file,
            IPP_CHECK_SECONDS="0.2",
            IPP_REGISTRATION_SECONDS="120",
        )
        return env

    def start_worker_process(self, engines, mode="sleep", fork=False):
        """The worker as the container runs it; returns the process and a function reading its output.
        `fork`: with IPP_FORK_ENGINES=1 and the fork server's fake engine program."""
        output_path = os.path.join(self.dir, "worker.log")
        env = self.worker_env(engines)
        command = self.engine_command(mode)
        if fork:
            program = os.path.join(self.dir, "fork-engine")
            with open(program, "w") as f:
                f.write(f"#!{sys.executable}\n{FORK_ENGINE}")
            os.chmod(program, 0o755)
            env.update(IPP_FORK_ENGINES="1", FAKE_ENGINE_LOG=self.engine_log)
            command = [program, mode, self.engine_log]
        with open(output_path, "wb") as output:
            proc = subprocess.Popen(
                [sys.executable, str(SCRIPT), *command],
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )

        def stop():
            if proc.poll() is None:
                proc.kill()
                proc.wait()

        self.addCleanup(stop)

        def log():
            with open(output_path) as f:
                return f.read()

        return proc, log

    # --- waiting for the controller

    def test_waits_for_the_hub_and_starts_no_engine_until_it_answers(self):
        worker = self.make_worker(count=3)
        flags = ["--IPEngine.max_heartbeat_misses=0", "--log-level=WARN"]
        worker.command = worker.command + flags
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
            self.assertEqual(engine.hub_at_start, hub.session, "the worker did not remember which hub answered")
        answers = hub.answer_times()
        self.assertLess(answers[0], starts[0], "the hub was not asked before the engines started")
        # Started together, on the hub's first answer: none waited for another to register.
        self.assertEqual(len(starts), 3)
        self.assertEqual(len([t for t in answers if t < starts[-1]]), 1, "the engines were not started together")
        self.assertFalse(self.ready())
        self.assertEqual(hub.bad_requests, 0)

    # --- readiness

    def test_ready_file_exists_exactly_while_the_hub_reports_the_engine_registered(self):
        hub = self.start_hub()
        worker = self.make_worker()
        worker.check()  # the hub answers: the engine starts
        session = worker.engines[0].session_id
        self.assertIsNotNone(session)

        self.assertEqual(worker.check(), ipp_worker.WAIT_SECONDS)
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
        for _ in range(ipp_worker.MISSES_TO_RESTART + 1):
            self.assertEqual(worker.check(), ipp_worker.WAIT_SECONDS)
            self.assertFalse(self.ready())
        self.assertIs(engine.process, process)
        self.assertIsNone(process.poll())

        hub.silent = False
        worker.check()
        self.assertTrue(self.ready())

    # --- one question per look

    def test_the_hub_is_asked_once_per_look_however_many_engines_there_are(self):
        hub = self.start_hub()
        for count in (1, 8):
            with self.subTest(count=count):
                worker = self.make_worker(count=count)
                queries = lambda: len(hub.requests_of_type("connection_request"))  # noqa: E731
                before = queries()
                worker.check()  # the hub answers: all the engines start
                self.assertEqual(queries() - before, 1)
                self.assertTrue(all(e.process is not None for e in worker.engines))
                for i in range(3):  # all registering
                    worker.check()
                    self.assertEqual(queries() - before, 2 + i)
                for i, engine in enumerate(worker.engines[: count // 2]):
                    hub.register(engine.session_id, 100 * count + i)
                worker.check()  # some registered, some registering
                self.assertEqual(queries() - before, 5)
                for i, engine in enumerate(worker.engines):
                    hub.register(engine.session_id, 100 * count + i)
                worker.check()  # all registered
                self.assertTrue(self.ready())
                self.assertEqual(len(self.ready_lines()), count)
                self.assertEqual(queries() - before, 6)
                unregistered = len(hub.requests_of_type("unregistration_request"))
                worker.stopping = True
                worker.run()  # shutdown: one more question, then an unregistration for each
                self.assertEqual(queries() - before, 7)
                arrived = lambda: len(hub.requests_of_type("unregistration_request")) - unregistered  # noqa: E731
                wait_until(lambda: arrived() >= count, "the unregistrations to arrive")
                time.sleep(0.1)
                self.assertEqual(arrived(), count)
        self.assertEqual({h["msg_type"] for h, _ in hub.requests}, {"connection_request", "unregistration_request"})
        self.assertEqual(hub.bad_requests, 0)

    # --- restarts

    def test_an_engine_the_hub_has_forgotten_is_killed_with_its_nanny_and_a_new_one_started(self):
        hub = self.start_hub()
        worker = self.make_worker(mode="nanny")
        starts = self.record_starts(worker)
        self.start_worker(worker)
        first = self.wait_for_engines(1)[0]
        hub.register(first["session"], 0)
        wait_until(self.ready, "the ready file")

        hub.forget(first["session"])
        second = self.wait_for_engines(2)[1]
        self.assertNotEqual(second["session"], first["session"])
        self.assertEqual(worker.engines[0].session_id, second["session"])
        self.assertFalse(alive(first["pid"]), "the forgotten engine still runs")
        wait_until(lambda: not alive(first["nanny"]), "the forgotten engine's nanny to die", timeout=2)
        self.assertTrue(alive(second["pid"]))

        answers = hub.answers_about(first["session"], before=starts[1])
        last_registered = max(i for i, eid in enumerate(answers) if eid >= 0)
        self.assertEqual(
            answers[last_registered + 1 :],
            [-1] * ipp_worker.MISSES_TO_RESTART,
            "not restarted after exactly MISSES_TO_RESTART answers that it is unknown",
        )
        self.assertEqual(hub.requests_of_type("unregistration_request"), [], "a forgotten engine's id was unregistered")
        self.assertFalse(self.ready(), "ready before the new engine registered")
        self.assertEqual(hub.bad_requests, 0)

    def three_registered(self, **worker_options):
        """A worker of three engines, all registered with a fresh hub: (hub, worker, the engines' records)."""
        hub = self.start_hub()
        worker = self.make_worker(count=3, **worker_options)
        self.start_worker(worker)
        records = self.wait_for_engines(3)
        for i, record in enumerate(records):
            hub.register(record["session"], i)
        wait_until(self.ready, "the ready file")
        return hub, worker, records

    def test_one_engine_of_three_that_exits_is_started_again_alone(self):
        hub, worker, records = self.three_registered()
        processes = [e.process for e in worker.engines]
        history = self.record_readiness(worker)

        victim = next(e for e in worker.engines if e.session_id == records[1]["session"])
        os.kill(records[1]["pid"], signal.SIGKILL)
        replacement = self.wait_for_engines(4)[3]
        self.assertEqual(victim.session_id, replacement["session"], "another engine than the one that exited was replaced")
        for engine, process in zip(worker.engines, processes):
            if engine is not victim:
                self.assertIs(engine.process, process, "an engine that kept running was restarted")
                self.assertIsNone(process.poll())
        for record in (records[0], records[2]):
            self.assertTrue(alive(record["pid"]), "an engine that kept running was disturbed")
        wait_until(lambda: False in history, "the worker to drop readiness")
        self.assertFalse(self.ready(), "ready while the new engine registers")

        hub.register(replacement["session"], 3)
        wait_until(self.ready, "the ready file again")
        self.assertEqual(sorted(self.ready_lines()), sorted([["0", records[0]["session"]], ["2", records[2]["session"]], ["3", replacement["session"]]]))
        self.assertEqual(len(self.engines()), 4)
        self.assertEqual(hub.requests_of_type("unregistration_request"), [])

    def test_one_engine_of_three_the_hub_has_forgotten_is_killed_alone(self):
        hub, worker, records = self.three_registered(mode="nanny")
        processes = [e.process for e in worker.engines]

        hub.forget(records[0]["session"])
        replacement = self.wait_for_engines(4)[3]
        self.assertFalse(alive(records[0]["pid"]), "the forgotten engine still runs")
        wait_until(lambda: not alive(records[0]["nanny"]), "the forgotten engine's nanny to die", timeout=2)
        for record in records[1:]:
            self.assertTrue(alive(record["pid"]), "an engine the hub knows was killed")
            self.assertTrue(alive(record["nanny"]), "the nanny of an engine the hub knows was killed")
        self.assertEqual(sum(e.process is not p for e, p in zip(worker.engines, processes)), 1)
        self.assertFalse(self.ready())
        hub.register(replacement["session"], 3)
        wait_until(self.ready, "the ready file again")
        self.assertEqual(len(self.engines()), 4)

    def test_a_new_hub_answering_while_the_engine_registers_restarts_it(self):
        hub = self.start_hub()
        worker = self.make_worker()
        starts = self.record_starts(worker)
        self.start_worker(worker)
        first = self.wait_for_engines(1)[0]
        wait_until(lambda: hub.answers_about(first["session"]), "the hub to be asked about the engine")

        new_hub = self.replace_hub(hub)
        second = self.wait_for_engines(2)[1]
        self.assertNotEqual(second["session"], first["session"])
        self.assertFalse(alive(first["pid"]), "the engine registering with the old hub still runs")
        self.assertEqual(new_hub.answers_about(first["session"], before=starts[1]), [-1], "not restarted at the new hub's first answer")
        wait_until(lambda: worker.engines[0].hub_at_start == new_hub.session, "the new engine to set out for the new hub")
        self.assertEqual(new_hub.requests_of_type("unregistration_request"), [])

    def test_a_registered_engine_a_new_hub_does_not_list_is_restarted_at_its_first_answer(self):
        hub = self.start_hub()
        worker = self.make_worker(check_seconds=0.3)
        starts = self.record_starts(worker)
        self.start_worker(worker)
        first = self.wait_for_engines(1)[0]
        hub.register(first["session"], 0)
        wait_until(self.ready, "the ready file")

        new_hub = self.replace_hub(hub)
        second = self.wait_for_engines(2)[1]
        self.assertFalse(alive(first["pid"]), "the engine the new hub does not know still runs")
        self.assertEqual(
            new_hub.answers_about(first["session"], before=starts[1]), [-1], "not restarted at the new hub's first answer"
        )
        self.assertEqual(new_hub.requests_of_type("unregistration_request"), [])
        new_hub.register(second["session"], 0)
        wait_until(self.ready, "the ready file again")

    def test_an_engine_still_registering_with_the_same_hub_is_left_alone(self):
        hub = self.start_hub()
        worker = self.make_worker(registration_seconds=60)
        self.start_worker(worker)
        first = self.wait_for_engines(1)[0]
        wait_until(lambda: len(hub.answers_about(first["session"])) >= 10, "ten answers about the registering engine")
        self.assertEqual(len(self.engines()), 1, "a registering engine was restarted")
        self.assertTrue(alive(first["pid"]))
        self.assertFalse(self.ready())

        hub.register(first["session"], 0)  # registered at last, however slowly
        wait_until(self.ready, "the ready file")
        self.assertEqual(len(self.engines()), 1)

    def test_an_engine_not_registered_when_the_hub_would_have_given_up_is_restarted(self):
        hub = self.start_hub()
        with mock.patch.object(ipp_worker, "REGISTRATION_GRACE_SECONDS", 0.2):
            worker = self.make_worker(registration_seconds=0.3)
            starts = self.record_starts(worker)
            self.start_worker(worker)
            first, second = self.wait_for_engines(2)[:2]
            self.stop_worker(worker)
        self.assertNotEqual(second["session"], first["session"])
        self.assertGreaterEqual(starts[1] - starts[0], 0.5, "restarted before the registration window and its grace were over")
        self.assertFalse(alive(first["pid"]))
        self.assertIn(-1, hub.answers_about(first["session"]))

    # --- engines that keep failing

    def test_an_engine_that_keeps_exiting_is_restarted_with_growing_backoff(self):
        self.start_hub()
        worker = self.make_worker(mode="exit:3")
        starts, pauses = self.record_starts(worker), []
        reap = worker.reap

        def recording_reap(engine):
            pause = reap(engine)
            pauses.append(pause)
            return pause

        worker.reap = recording_reap
        self.start_worker(worker)
        wait_until(lambda: len(starts) >= 5, "five engine starts", timeout=10)
        self.stop_worker(worker)

        # BACKOFF_MIN_SECONDS doubling up to BACKOFF_MAX_SECONDS (0.1 and 0.4 here).
        self.assertEqual(pauses[:4], [0.1, 0.2, 0.4, 0.4])
        for i, pause in enumerate(pauses[: len(starts) - 1]):
            gap = starts[i + 1] - starts[i]
            self.assertGreaterEqual(gap, pause, f"engine {i + 2} started {gap:.3f} s after the previous one, not after a pause of {pause} s")

    def test_an_engine_that_ran_a_while_before_exiting_is_restarted_without_pause(self):
        self.start_hub()
        with mock.patch.object(ipp_worker, "QUICK_EXIT_SECONDS", 0.2):
            worker = self.make_worker(mode="exit-after:0.3")
            engine = worker.engines[0]
            engine.backoff = 0.4  # as after earlier failures
            worker.check()
            first = engine.process
            wait_until(lambda: first.poll() is not None, "the engine to exit")
            worker.check()
        self.assertEqual(engine.backoff, 0.0)
        self.assertIsNotNone(engine.process, "not started again in the look that found it exited")
        self.assertIsNot(engine.process, first)

    # --- engines forked from the fork server

    def preloads(self):
        """The pids of the processes that ran the fake program's preload()."""
        return [int(name.split("-")[1]) for name in os.listdir(self.engine_log) if name.startswith("preload-")]

    def fork_server_pid(self):
        preloads = self.preloads()
        self.assertEqual(len(preloads), 1, f"preload() ran {len(preloads)} times")
        return preloads[0]

    def test_forked_engines_are_the_workers_children_and_share_one_preload(self):
        hub = self.start_hub()
        proc, log = self.start_worker_process(3, fork=True)
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
        wait_until(lambda: not os.path.exists(f"/proc/{records[1]['pid']}"), "the killed engine to be reaped")
        self.assertIn(f"exited with -9", log())

        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(15), 0, log())
        for record in [*records, fourth]:
            self.assertFalse(alive(record["pid"]), "an engine outlived the worker")
        wait_until(lambda: not alive(server), "the fork server to end with the worker")

    def test_what_a_forked_engine_leaves_behind_is_reaped(self):
        self.start_hub()
        proc, log = self.start_worker_process(2, mode="orphan", fork=True)
        for record in self.wait_for_engines(2):
            self.assertIsNotNone(record["preloaded_in"], "not forked")
            orphan = record["orphan"]
            wait_until(lambda: not os.path.exists(f"/proc/{orphan}"), "the orphan to be reaped", timeout=3)
            self.assertTrue(alive(record["pid"]))

    def test_a_worker_of_one_engine_starts_it_as_a_new_process(self):
        self.start_hub()
        proc, log = self.start_worker_process(1, fork=True)
        record = self.wait_for_engines(1)[0]
        self.assertIsNone(record["preloaded_in"], "forked from a fork server")
        self.assertEqual(record["ppid"], proc.pid)
        self.assertEqual(self.preloads(), [], "a fork server started")

    def test_without_its_fork_server_the_worker_starts_engines_as_new_processes(self):
        hub = self.start_hub()
        proc, log = self.start_worker_process(2, mode="orphan", fork=True)
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
        wait_until(lambda: not os.path.exists(f"/proc/{orphan}"), "the orphan to be reaped", timeout=3)
        self.assertIn("the fork server failed", log())
        hub.register(third["session"], 0)
        hub.register(records[1]["session"], 1)
        wait_until(self.ready, "the ready file")

    # --- shutdown

    def test_sigterm_unregisters_the_engine_stops_it_and_removes_the_ready_file(self):
        hub = self.start_hub()
        proc, log = self.start_worker_process(1)
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
        proc, log = self.start_worker_process(3, mode="slow-stop:1")
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
        worker.check()  # a first miss: not restarted yet
        self.assertIsNotNone(worker.engines[0].process)

        worker.stopping = True  # as SIGTERM does
        worker.run()
        time.sleep(0.2)  # an unregistration would be on its way
        self.assertEqual(new_hub.requests_of_type("unregistration_request"), [], "another engine's id was unregistered")
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
        unregistered = lambda: sorted(c["id"] for _, c in hub.requests_of_type("unregistration_request"))  # noqa: E731
        wait_until(lambda: len(unregistered()) >= 2, "the unregistrations to arrive")  # sent on their own
        time.sleep(0.1)
        self.assertEqual(unregistered(), [5, 6])
        for session in sessions:
            self.assertFalse(alive(by_session[session]["pid"]))
        wait_until(lambda: not alive(by_session[sessions[1]]["nanny"]), "the unknown engine's nanny to die", timeout=2)
        self.assertTrue(all(e.process is None for e in worker.engines))

    # --- trust

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
        for _ in range(ipp_worker.MISSES_TO_RESTART + 1):
            worker.check()
        self.assertIs(engine.process, process)
        self.assertIsNone(process.poll())
        self.assertEqual(engine.misses, 0)
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


class NannyTest(unittest.TestCase):
    """The worker as its engines' nanny: signals, the control channel relayed, prompt unregistration."""

    setUp = WorkerTest.setUp
    start_hub = WorkerTest.start_hub
    start_worker = WorkerTest.start_worker
    stop_worker = WorkerTest.stop_worker
    discard_worker = WorkerTest.discard_worker
    engines = WorkerTest.engines
    wait_for_engines = WorkerTest.wait_for_engines
    kill_engines = WorkerTest.kill_engines

    def nanny_worker(self, count=1):
        """A running worker of `count` nanny-asking engines, a hub, and a controller control port (ROUTER)."""
        hub = self.start_hub()
        context = zmq.Context()
        self.addCleanup(context.term)
        control = context.socket(zmq.ROUTER)
        control.linger = 0
        control.router_mandatory = True
        self.addCleanup(control.close)
        control_port = control.bind_to_random_port("tcp://127.0.0.1")
        script = os.path.join(self.dir, "nanny-engine.py")
        with open(script, "w") as f:
            f.write(NANNY_ENGINE)
        command = [sys.executable, script, self.engine_log, f"tcp://127.0.0.1:{control_port}"]
        worker = ipp_worker.Worker(
            command, ipp_worker.Hub(self.engine_file, self.key_file), self.ready_file, 0.05, 60.0, count, os.path.join(self.dir, "nanny.sock")
        )
        self.addCleanup(self.discard_worker, worker)
        self.start_worker(worker)
        records = wait_until(lambda: [r for r in self.engines() if "nanny_url" in r][:count] if len([r for r in self.engines() if "nanny_url" in r]) >= count else None, "the engines' nanny requests")
        for i, record in enumerate(records):
            hub.register(record["session"], i)
        return hub, worker, control, records

    def send_control(self, control, identity, msg_type, content, key=None):
        """Sends a control message to the engine `identity` through the controller's port, once it can be routed."""
        header = {"msg_id": str(uuid.uuid4()), "msg_type": msg_type, "session": "client", "username": "test", "date": "2026-01-01T00:00:00Z", "version": "5.3"}
        parts = [json.dumps(p).encode() for p in (header, {}, {}, content)]

        def sent():
            try:
                control.send_multipart([identity.encode(), DELIMITER, sign(key or self.key, parts), *parts])
                return True
            except zmq.ZMQError:  # not connected yet
                return False

        wait_until(sent, "the nanny's connection to the controller's control port")
        return header

    def receive(self, control, timeout=2.0):
        if not control.poll(int(timeout * 1000)):
            return None
        frames = control.recv_multipart()
        i = frames.index(DELIMITER)
        parts = frames[i + 2 : i + 6]
        self.assertEqual(frames[i + 1], sign(self.key, parts), "an unsigned (or wrongly signed) reply")
        header, parent, _metadata, content = (json.loads(p) for p in parts)
        return {"from": frames[0].decode(), "header": header, "parent": parent, "content": content}

    def control_log(self, record):
        path = os.path.join(self.engine_log, record["session"] + ".control")
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return [json.loads(line) for line in f]

    def test_a_signal_request_is_answered_by_the_worker_and_delivered_to_that_engine_alone(self):
        _hub, _worker, control, records = self.nanny_worker(count=2)
        target, other = records
        request = self.send_control(control, target["session"], "signal_request", {"sig": 2})
        reply = self.receive(control)
        self.assertIsNotNone(reply, "no signal_reply")
        self.assertEqual((reply["from"], reply["header"]["msg_type"], reply["parent"]["msg_id"], reply["content"]), (target["session"], "signal_reply", request["msg_id"], {"status": "ok"}))
        sigint = lambda r: os.path.exists(os.path.join(self.engine_log, r["session"] + ".sigint"))
        wait_until(lambda: sigint(target), "SIGINT in the engine", timeout=2)
        self.assertFalse(sigint(other), "the other engine was signalled")
        self.assertEqual(self.control_log(target), [], "the signal request reached the engine's control socket")
        # By name, as a client may send it.
        self.send_control(control, other["session"], "signal_request", {"sig": "SIGINT"})
        self.assertEqual(self.receive(control)["content"], {"status": "ok"})
        wait_until(lambda: sigint(other), "SIGINT in the other engine", timeout=2)

    def test_other_control_messages_go_to_the_engine_and_its_replies_back(self):
        _hub, _worker, control, [record] = self.nanny_worker()
        request = self.send_control(control, record["session"], "abort_request", {"msg_ids": ["x"]})
        echoed = self.receive(control)
        self.assertIsNotNone(echoed, "the engine's reply did not come back through the worker")
        self.assertEqual((echoed["from"], echoed["header"]["msg_id"]), (record["session"], request["msg_id"]))
        [seen] = self.control_log(record)
        self.assertIn("abort_request", "".join(seen))

    def test_a_bad_signature_or_an_unknown_signal_changes_nothing(self):
        _hub, _worker, control, [record] = self.nanny_worker()
        self.send_control(control, record["session"], "signal_request", {"sig": 9}, key=b"wrong")
        self.assertIsNone(self.receive(control, timeout=0.5), "answered a forged request")
        self.send_control(control, record["session"], "signal_request", {"sig": "SIGNOPE"})
        reply = self.receive(control)
        self.assertEqual((reply["content"]["status"], reply["content"]["ename"]), ("error", "ValueError"))
        self.assertTrue(alive(record["pid"]), "the engine was signalled")

    def test_an_engine_killed_with_sigkill_is_unregistered_at_once_and_started_again(self):
        hub, _worker, _control, [record] = self.nanny_worker()
        killed = time.monotonic()
        os.kill(record["pid"], signal.SIGKILL)
        wait_until(lambda: hub.requests_of_type("unregistration_request"), "the unregistration", timeout=2)
        self.assertLess(time.monotonic() - killed, 1.0, "the hub was told late")
        self.assertEqual([c for _, c in hub.requests_of_type("unregistration_request")], [{"id": 0}])
        wait_until(lambda: len([r for r in self.engines() if "nanny_url" in r]) >= 2, "the engine to be started again", timeout=3)

    def test_an_engine_the_worker_kills_is_not_unregistered(self):
        hub, worker, _control, [record] = self.nanny_worker()
        wait_until(lambda: worker.engines[0].nanny is not None and worker.engines[0].engine_id is not None, "the engine to be registered")
        hub.forget(record["session"])  # a new controller would have given its id to another engine
        wait_until(lambda: not alive(record["pid"]), "the forgotten engine to be killed", timeout=3)
        time.sleep(0.3)
        self.assertEqual(hub.requests_of_type("unregistration_request"), [], "a forgotten engine's id was unregistered")

    def test_a_request_from_a_process_that_is_no_engine_of_the_worker_is_refused(self):
        _hub, worker, _control, _records = self.nanny_worker()
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.connect(worker.nannies.path)
        conn.sendall(json.dumps({"pid": os.getpid(), "engine_id": 1, "identity": "x", "control_url": "tcp://127.0.0.1:9", "registration_url": "tcp://127.0.0.1:9"}).encode() + b"\n")
        conn.settimeout(2)
        self.assertEqual(conn.recv(100), b"", "a stranger got a nanny")
        conn.close()


class EnvironmentTest(unittest.TestCase):
    """The timing values and the number of engines come from the program (lib/runtime.ts) only: no
    defaults of the script's own."""

    def run_worker(self, **overrides):
        with tempfile.TemporaryDirectory(prefix="ipp-worker-test-") as d:
            env = {k: v for k, v in os.environ.items() if not k.startswith("IPP_")}
            env.update(
                IPP_ENGINES="1",
                IPP_ENGINE_FILE=os.path.join(d, "missing-engine.json"),
                IPP_KEY_FILE=os.path.join(d, "missing-key"),
                IPP_READY_FILE=os.path.join(d, "ready"),
                IPP_CHECK_SECONDS="3",
                IPP_REGISTRATION_SECONDS="120",
            )
            for name, value in overrides.items():
                if value is None:
                    env.pop(name, None)
                else:
                    env[name] = value
            return subprocess.run(
                [sys.executable, str(SCRIPT), "ipengine"], env=env, capture_output=True, text=True, timeout=30
            )

    def assert_refused(self, result, message):
        """The worker exited with an error naming the problem, not with a traceback."""
        self.assertNotEqual(result.returncode, 0)
        self.assertIn(message, result.stderr)
        self.assertNotIn("Traceback", result.stderr)

    def test_registration_and_check_seconds_are_required(self):
        for name in ("IPP_REGISTRATION_SECONDS", "IPP_CHECK_SECONDS"):
            with self.subTest(name=name):
                result = self.run_worker(**{name: None})
                self.assertNotEqual(result.returncode, 0)
                self.assertIn(f"environment variable {name} must be set", result.stderr)
                with mock.patch.dict(os.environ, {name: ""}), self.assertRaises(SystemExit) as exit:
                    ipp_worker.required_seconds(name)
                self.assertIn(f"environment variable {name} must be set", str(exit.exception.code))

    def test_registration_and_check_seconds_must_be_positive_numbers(self):
        for name in ("IPP_REGISTRATION_SECONDS", "IPP_CHECK_SECONDS"):
            with self.subTest(name=name):
                result = self.run_worker(**{name: "0"})
                self.assert_refused(result, f"environment variable {name} must be a positive number")
            for value in ("-5", "soon", "nan", "inf", "1e999"):
                with self.subTest(name=name, value=value):
                    with mock.patch.dict(os.environ, {name: value}), self.assertRaises(SystemExit) as exit:
                        ipp_worker.required_seconds(name)
                    self.assertIn(f"environment variable {name} must be a positive number", str(exit.exception.code))
        with mock.patch.dict(os.environ, {"IPP_CHECK_SECONDS": "0.5"}):
            self.assertEqual(ipp_worker.required_seconds("IPP_CHECK_SECONDS"), 0.5)

    def test_fork_engines_is_0_or_1(self):
        for value in ("yes", "2", " 1"):
            with self.subTest(value=value):
                result = self.run_worker(IPP_FORK_ENGINES=value)
                self.assert_refused(result, f"environment variable IPP_FORK_ENGINES must be 0 or 1, not {value!r}")

    def test_the_number_of_engines_is_required_and_from_1_to_256(self):
        result = self.run_worker(IPP_ENGINES=None)
        self.assert_refused(result, "environment variable IPP_ENGINES must be set")
        for value in ("0", "257", "x"):
            with self.subTest(value=value):
                result = self.run_worker(IPP_ENGINES=value)
                self.assert_refused(result, f"environment variable IPP_ENGINES must be a whole number from 1 to 256, not {value!r}")
        for value in ("-1", "2.5", " 3", "+3", "3_0", "1e2", "\u0663"):
            with self.subTest(value=value):
                with mock.patch.dict(os.environ, {"IPP_ENGINES": value}), self.assertRaises(SystemExit) as exit:
                    ipp_worker.required_count("IPP_ENGINES", 256)
                self.assertIn("must be a whole number from 1 to 256", str(exit.exception.code))
        for value, count in (("1", 1), ("16", 16), ("256", 256)):
            with mock.patch.dict(os.environ, {"IPP_ENGINES": value}):
                self.assertEqual(ipp_worker.required_count("IPP_ENGINES", 256), count)


if __name__ == "__main__":
    unittest.main(buffer=True)
