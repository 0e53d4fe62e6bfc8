"""The supervisor: the worker's loop over its engines. Each look asks the hub one question for all the
engines (serving the nannies while it waits), reaps the engines that exited, tells the hub of those
that went (their nanny connection closed), judges the others by the answer (see policy): asks a new
hub to take back the engines that run on, kills those to be restarted; keeps the readiness file, and
starts what is to be started. Once all are registered, a look asks about this pod's engines alone
(see Hub.confirm), which costs the hub the same at any cluster size. Between looks it serves the nannies and watches the controller's
connection (see hub_watch): a controller that listens again is asked at once."""
import os
import random
import time

from . import hub as hub_client
from . import policy, stopping
from .drain import Drain
from .engine_procs import EngineProcesses
from .engines import Engine, engine_env
from .hub_watch import GONE, HubWatch
from .log import log
from .relay import NannyService


class Worker(EngineProcesses):
    def __init__(self, command, *, hub, ready_file, count, timing, nanny_socket=None, forks=None, subreaper=False, output=None, reporter=None):
        """`command`: the engine's command (without its session); `hub`: a hub.Hub; `timing`: a
        policy.Timing. `nanny_socket`: where engines started by ipp-engine ask the worker to be their
        nanny; without it, each engine starts ipyparallel's own. `forks`: a started
        forkserver.ForkServer to start the engines from, or None; `subreaper`: whether this process
        is a child subreaper (then it reaps the orphans that come to it). `output`: an
        output.OutputPump that each engine writes its output into, or None (the worker's stdout);
        `reporter`: a reporter.Reporter told of the engines' session ids, or None."""
        self.command = command
        self.hub = hub
        self.ready_file = ready_file
        self.timing = timing
        self.engines = [Engine(i) for i in range(count)]
        self.waiting_announced = False
        self.stopping = False
        self.look_now = False  # set when an engine has gone: look again without waiting
        self.gone = {}  # session id -> engine name: engines gone, of which the hub is still to be told
        self.nannies = None
        self.env = None
        if nanny_socket:
            self.nannies = NannyService(hub.context, hub.messages, nanny_socket, find_engine=self.find_engine, engine_gone=self.engine_gone)
            self.env = engine_env(nanny_socket)
        self.forks = forks
        self.subreaper = subreaper
        self.output = output
        self.reporter = reporter
        self.drain = Drain(self, reporter) if reporter is not None else None
        self.watch = HubWatch(hub.context, hub.url)
        if self.nannies is not None:
            self.nannies.watch(self.watch.monitor, self.on_hub_events)

    def on_hub_events(self):
        """The controller's connection has closed (it has gone: not ready) or been made (ask it now)."""
        for event in self.watch.events():
            if event == GONE:
                log("the controller's connection has closed: it has gone")
                self.set_ready(False)
            else:
                log(f"a controller listens at {self.hub.url}: asking it now")
                self.look_now = True

    def set_ready(self, ready):
        if ready:
            lines = "".join(f"{e.engine_id} {e.session_id}\n" for e in self.engines)
            with open(self.ready_file + ".tmp", "w") as f:
                f.write(lines)
            os.replace(self.ready_file + ".tmp", self.ready_file)
        elif os.path.exists(self.ready_file):
            os.remove(self.ready_file)

    def drop_nanny(self, engine):
        """Stops being `engine`'s nanny without a word to the hub (this process is stopping it)."""
        if self.nannies is not None:
            self.nannies.drop(engine)

    def engine_gone(self, engine):
        """`engine` has exited (its nanny's connection closed). Only gathered here: the next look
        tells the hub, in one question for all that went, so that the nannies never wait on the hub."""
        self.drop_nanny(engine)
        self.gone[engine.session_id] = str(engine)
        engine.gone = True
        self.look_now = True

    def find_engine(self, pid):
        return next((e for e in self.engines if e.process is not None and e.process.pid == pid), None)

    def serve(self, seconds):
        """Waits `seconds`, serving as the engines' nanny and watching the controller's connection meanwhile."""
        if self.nannies is None:
            if self.watch.monitor.poll(seconds * 1000):
                self.on_hub_events()
        else:
            self.nannies.serve(seconds)

    def wait_for_hub(self, sock, seconds):
        """Waits for the hub's answer on `sock`, serving as the engines' nanny meanwhile."""
        if self.nannies is None:
            return hub_client.poll(sock, seconds)
        return self.nannies.wait_for(sock, seconds)

    def ask_hub(self):
        """The hub's Answer, or None when it does not answer. Once every engine is registered with one
        hub and none has gone, a question about this pod's engines alone (Hub.confirm); otherwise, or
        when that does not confirm them, the hub's whole list (Hub.registered)."""
        settled = self.settled()
        if settled is not None:
            engines, hub = settled
            answer = self.hub.confirm(engines, hub, wait=self.wait_for_hub)
            if answer is not hub_client.UNCONFIRMED:
                return answer
        return self.hub.registered(wait=self.wait_for_hub)

    def settled(self):
        """({session id: engine id}, the hub's session id) when every engine runs, registered with that
        one hub and not being taken back by another, and none has gone since the last look; otherwise None."""
        standings = [e.standing for e in self.engines if e.process is not None]
        if self.gone or any(e.gone for e in self.engines) or not standings or len(standings) < len(self.engines):
            return None
        hubs = {s.registered_with for s in standings}
        if None in hubs or len(hubs) > 1 or any(s.engine_id is None or s.taken_back_by is not None or s.misses for s in standings):
            return None
        return {e.session_id: e.standing.engine_id for e in self.engines}, hubs.pop()

    def unregister_gone(self, registered, stopping=()):
        """Unregisters in one go, under the ids the hub's answer `registered` gives them now, the
        engines gone since the last answer and `stopping` (engines about to be stopped), those of them it
        lists. An engine the worker kills itself is never among them."""
        gone = policy.unregistrations(self.gone, registered)
        ids = {**policy.unregistrations([e.session_id for e in stopping], registered), **gone}
        if ids:
            self.hub.unregister(list(ids.values()))
        for session, engine_id in gone.items():
            log(f"{self.gone[session]} has exited: unregistered id {engine_id}")
        self.gone.clear()

    def judge(self, answer, now):
        """Takes the hub's answer about every running engine; asks a new hub to take back those that
        run on, kills those to be restarted."""
        restart = {}  # reason -> engines
        take_back = {}  # session id -> engine
        for engine in self.engines:
            if engine.process is None:
                continue
            verdict = policy.judge(engine.standing, answer.registered.get(engine.session_id), answer.hub, now, self.timing)
            if verdict.newly_registered:
                log(f"{engine} registered as id {verdict.standing.engine_id}")
            elif engine.standing.taken_back_by is not None and verdict.standing.taken_back_by is None:
                log(f"{engine} taken back as id {verdict.standing.engine_id}")
            engine.standing = verdict.standing
            if verdict.take_back:
                take_back[engine.session_id] = engine
            if verdict.restart is not None:
                restart.setdefault(verdict.restart, []).append(engine)
        if take_back:  # first: the new hub is to have the requests before its first heartbeat
            self.take_back(take_back, answer.hub)
        for reason, engines in restart.items():
            self.kill(engines, reason)

    def take_back(self, engines, hub):
        """Asks `hub`, which does not know these running engines ({session id: engine}), to take them back,
        each under its id, in one go; kills those it refuses."""
        log(f"a new controller: asking it to take back {len(engines)} running engine(s)")
        result = self.hub.take_back({session: engine.engine_id for session, engine in engines.items()}, wait=self.wait_for_hub)
        now = time.monotonic()
        for session, engine in engines.items():
            if session not in result.refused:
                engine.standing = policy.taking_back(engine.standing, hub, now, result.heartbeat_seconds)
        for session, why in result.refused.items():
            log(f"{engines[session]} not taken back: {why}")
        self.kill([engines[session] for session in result.refused], "the new controller did not take it back")

    def check(self):
        """One look at the engines and (one question) at the hub; returns the seconds until the next look."""
        answer = self.ask_hub()
        self.reap_exited(time.monotonic())
        self.look_now = False  # what has gone so far is taken into this look
        if answer is None:  # the controller is away; running engines keep trying by themselves
            self.set_ready(False)
            if not self.waiting_announced:
                log(f"waiting for the controller at {self.hub.url}")
                self.waiting_announced = True
            return self.timing.wait_seconds
        self.waiting_announced = False
        registered = answer.registered
        self.unregister_gone(registered)
        self.judge(answer, time.monotonic())
        if self.drain is not None and self.drain.look(answer):  # drained: no engine runs or starts
            self.set_ready(False)
            return self.timing.wait_seconds
        self.set_ready(all(e.process is not None and e.session_id in registered for e in self.engines))
        now = time.monotonic()
        for engine in self.engines:
            if engine.process is None and engine.start_after <= now:
                self.start_engine(engine, answer.hub)
        # One registering (or just started), or gone but not reaped yet: look again soon.
        registering = any(e.process is not None and (e.gone or e.session_id not in registered) for e in self.engines)
        pauses = [e.start_after - now for e in self.engines if e.process is None]
        return policy.next_delay(registering=registering, pauses=pauses, timing=self.timing, jitter=random.uniform(0.8, 1.2))

    def run(self):
        while not self.stopping:
            deadline = time.monotonic() + self.check()
            while not self.stopping and not self.look_now and (left := deadline - time.monotonic()) > 0:
                self.serve(min(0.2, left))
        self.shutdown()
        self.close()

    def close(self):
        self.close_forks()
        if self.nannies is not None:
            if self.watch.monitor in self.nannies.handlers:
                self.nannies.unwatch(self.watch.monitor)
            self.nannies.close()
        self.watch.close()

    def shutdown(self):
        """Stops every engine (see stop_engines) as the worker stops."""
        self.set_ready(False)
        running = [e for e in self.engines if e.process is not None]
        if not running and not self.gone:
            return
        answer = self.ask_hub()
        self.stop_engines(answer.registered if answer is not None else {}, "the worker is shutting down")

    def stop_engines(self, registered, why):
        stopping.stop_engines(self, registered, why)

    def request_stop(self, signum, _frame):
        log(f"received signal {signum}")
        self.stopping = True
