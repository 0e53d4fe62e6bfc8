"""A pytest plugin that runs ipyparallel's own test suite against a cluster of ipp-cluster instead of
the processes the suite starts itself (`pytest -p ipp_conformance --pyargs ipyparallel.tests`).

The suite's controller is the deployed one: its keyed client file and engine file are in
IPP_CONFORMANCE_DIR (client.json, engine.json, key). The engines the suite adds are started the way a
worker pod starts them: one `ipp-worker` per engine, with the program's engine command
(IPP_CONFORMANCE_ENGINE, a JSON list) and the program's worker environment (IPP_CONFORMANCE_WORKER_ENV,
a JSON object), plus the flag the suite gives its own engines (tracebacks without colours, which some
tests count in). The suite's own teardown stops them as a pod is stopped: SIGTERM, then the worker
unregisters its engines and exits, within a pod's grace period.
"""

import json
import os
import shutil
import subprocess
import tempfile
import time

import ipyparallel.tests as suite
from IPython.paths import get_ipython_dir

from ipyparallel import Client

DIR = os.environ["IPP_CONFORMANCE_DIR"]
ENGINE = [*json.loads(os.environ["IPP_CONFORMANCE_ENGINE"]), "--InteractiveShell.colors=nocolor"]
WORKER_ENV = json.loads(os.environ["IPP_CONFORMANCE_WORKER_ENV"])
# As long as the suite waits for its own engines.
ENGINE_SECONDS = 15
# A worker pod's grace period.
STOP_SECONDS = 15


class Worker:
    """One worker of one engine, as a pod runs it; what the suite's teardown asks of a launcher."""

    def __init__(self):
        self.ready_dir = tempfile.mkdtemp(prefix="ipp-conformance-")
        env = {**os.environ, **WORKER_ENV, "IPP_ENGINES": "1", "IPP_READY_FILE": os.path.join(self.ready_dir, "ready")}
        self.process = subprocess.Popen(["ipp-worker", *ENGINE], env=env)

    def poll(self):
        code = self.process.poll()
        if code is not None:
            shutil.rmtree(self.ready_dir, ignore_errors=True)
        return code

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            pass

    def signal(self, sig):
        self.process.send_signal(sig)


def setup():
    """The suite's own starts a controller and one engine; here the controller is the cluster's."""
    security = os.path.join(get_ipython_dir(), "profile_iptest", "security")
    os.makedirs(security, exist_ok=True)
    with open(os.path.join(DIR, "key")) as f:
        key = f.read().strip()
    for source, target in (("client.json", "ipcontroller-client.json"), ("engine.json", "ipcontroller-engine.json")):
        with open(os.path.join(DIR, source)) as f:
            info = json.load(f)
        info["key"] = key
        with open(os.path.join(security, target), "w") as f:
            json.dump(info, f)
    add_engines(1)


def add_engines(n=1, profile="iptest", total=False):
    """Starts `n` engines (with `total`, as many as make `n`), each by a worker of its own, and waits
    until the controller lists them, as the suite's own does."""
    rc = Client(profile=profile)
    base = len(rc)
    if total:
        n = max(n - base, 0)
    workers = [Worker() for _ in range(n)]
    suite.launchers.extend(workers)
    deadline = time.monotonic() + ENGINE_SECONDS
    while len(rc) < base + n:
        if any(w.poll() is not None for w in workers):
            raise RuntimeError("A test engine's worker exited.")
        if time.monotonic() > deadline:
            raise RuntimeError("Timeout waiting for engines to connect.")
        time.sleep(0.1)
    rc.close()
    return workers


suite.setup = setup
suite.add_engines = add_engines
