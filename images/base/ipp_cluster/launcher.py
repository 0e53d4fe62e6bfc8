"""ipyparallel's own Cluster API on this cluster (Kubernetes): the launchers `kubernetes` (entry points
`ipyparallel.controller_launchers` and `ipyparallel.engine_launchers`):

    import ipyparallel as ipp
    cluster = ipp.Cluster(controller="kubernetes", engines="kubernetes", n=4)
    rc = cluster.start_and_connect_sync()   # 4 more engines (whole worker pods), a client of the stack's controller
    cluster.stop_cluster_sync()             # the pods it added go again (idle ones, as scale() does)

The controller is the stack's own: its launcher starts and stops nothing, and gives the profile's client
file as the connection. An engine set is worker pods of one group (`group`, "default"; e.g.
`config={"KubernetesEngineSetLauncher": {"group": "gpu"}}`): `start(n)` adds the pods that hold n engines,
rounded up to whole pods, through the scaler and returns once their engines answer; `stop()` scales the
group down by as many. Single engines are neither signalled nor stopped by the launchers (pods hold
engines together): the client's `rc.send_signal()` and `rc.shutdown()` do that.
"""
import json
import asyncio
import math
import os

from ipyparallel.cluster.launcher import BaseLauncher
from traitlets import Dict, Integer, List, Unicode

from . import client
from .view import Scaling

CLIENT_FILE = os.path.join("security", "ipcontroller-client.json")


class KubernetesControllerLauncher(BaseLauncher):
    name = Unicode("kubernetes-controller")
    entrypoint_name = "kubernetes"
    args = List(["the stack's controller"])

    def client_file(self):
        return os.path.join(self.profile_dir, CLIENT_FILE)

    async def start(self):
        if not os.path.exists(self.client_file()):
            raise FileNotFoundError(f"no client file of the stack's controller at {self.client_file()}: run this where the cluster's notebook runs")
        return self.notify_start({"controller": "the stack's"})

    async def stop(self):
        """The stack's controller stays: only `pulumi destroy` removes it."""
        self.notify_stop({"exit_code": 0})

    async def get_connection_info(self, timeout=None):
        with open(self.client_file()) as f:
            return {"client": json.load(f), "engine": {}}

    def signal(self, sig):
        raise NotImplementedError("the stack's controller is not signalled from a notebook")

    async def join(self, timeout=None):
        """The stack's controller does not stop with this launcher."""


class KubernetesEngineSetLauncher(BaseLauncher):
    name = Unicode("kubernetes")
    entrypoint_name = "kubernetes"
    args = List(["kubernetes"])
    environment = Dict()  # the Cluster may set the engines' connection here; the stack's workers have theirs
    engine_set_id = Unicode()
    group = Unicode("default", config=True, help="The worker group whose pods hold the engines.")
    timeout = Integer(300, config=True, help="How long start and stop wait for the engines (seconds).")
    pods = Integer(0, help="The worker pods this set added.").tag(to_dict=True)

    def client_file(self):
        return os.path.join(self.profile_dir, CLIENT_FILE) if self.profile_dir else None

    async def call(self, method, path, body=None, timeout=client.TIMEOUT_SECONDS):
        return await asyncio.get_running_loop().run_in_executor(None, lambda: client.call(method, path, body, self.client_file(), timeout))

    async def group_state(self):
        groups = (await self.call("GET", "/scaling"))["groups"]
        if self.group not in groups:
            raise RuntimeError(f"the worker group {self.group!r} does not scale (groups that scale: {', '.join(sorted(groups)) or 'none'})")
        return groups[self.group]

    async def scale(self, workers):
        answer = Scaling(await self.call("POST", "/scale", {"group": self.group, "workers": workers, "timeout": self.timeout}, timeout=self.timeout + 60))
        if not answer["done"]:
            raise TimeoutError(str(answer))
        return answer

    async def start(self, n=1):
        state = await self.group_state()
        self.pods = math.ceil(n / state["enginesPerPod"])
        answer = await self.scale(state["workers"] + self.pods)
        return self.notify_start({"group": self.group, "pods": self.pods, "workers": answer["workers"]})

    async def stop(self):
        state = await self.group_state()
        answer = await self.scale(max(state["minimum"], state["workers"] - self.pods))
        self.notify_stop({"exit_code": 0, "group": self.group, "workers": answer["workers"]})

    def signal(self, sig):
        raise NotImplementedError("the engines of a kubernetes engine set are signalled through the client: rc.send_signal(sig, targets)")

    async def join(self, timeout=None):
        """Engines of pods stop when the set is stopped; nothing to wait for here."""
