"""The supervisor: the worker's loop over its engines. Each look asks the hub one question for all the
engines (serving the nannies while it waits), reaps the engines that exited, tells the hub of those
that went (their nanny connection closed), judges the others by the answer (see policy), keeps the
readiness file, and starts what is to be started."""
import os
import random
import subprocess
import time
import uuid

from . import hub as hub_client
from . import policy, procs, stopping
from .drain import Drain
from .engines import Engine, engine_env
from .log import log
from .relay import NannyService


class Worker:
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

    def set_ready(self, ready):
        if ready:
            lines = "".join(f"{e.engine_id} {e.session_id}\n" for e in self.engines)
            with open(self.ready_file + ".tmp", "w") as f:
                f.write(lines)
            os.replace(self.ready_file + ".tmp", self.ready_file)
        elif os.path.exists(self.ready_file):
            os.remove(self.ready_file)

    def start_engine(self, engine, hub):
        """Starts `engine` to register with `hub` (the session id of the hub that has just answered)."""
        engine.session_id = str(uuid.uuid4())
        argv = self.command + [f"--Session.session={engine.session_id}"]
        engine.process = None
        if self.reporter is not None:  # before it registers: the watcher then knows where it runs
            self.reporter.engines(e.session_id for e in self.engines if e.session_id is not None)
        out = self.output.pipe(engine.session_id) if self.output is not None else None
        try:
            if self.forks is not None:
                try:
                    engine.process = self.forks.start(argv[1:], output=out)
                    log(f"forked {engine} as pid {engine.process.pid}: {' '.join(argv)}")
                except OSError as e:
                    log(f"the fork server failed ({e}): engines are started as new processes from now on")
                    self.close_forks()
            if engine.process is None:
                log(f"starting {engine}: {' '.join(argv)}")
                engine.process = subprocess.Popen(argv, env=self.env, stdout=out, stderr=out)
        finally:
            if out is not None:
                os.close(out)
        engine.standing = policy.Standing(started_at=time.monotonic(), hub_at_start=hub)
        engine.gone = False

    def reap(self, engine, now):
        """Notes that `engine` has exited; returns the pause before it is started again."""
        lived = now - engine.standing.started_at
        engine.backoff = policy.backoff_after_exit(lived, engine.backoff, self.timing)
        log(f"{engine} exited with {engine.process.returncode} after {lived:.0f} s")
        engine.process = None
        engine.start_after = now + engine.backoff
        return engine.backoff

    def close_forks(self):
        if self.forks is not None:
            self.forks.close()
            self.forks = None

    def reap_strays(self):
        known = {e.process.pid for e in self.engines if e.process is not None}
        if self.forks is not None:
            known.add(self.forks.process.pid)
        procs.reap_strays(known)

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
        """Waits `seconds`, serving as the engines' nanny meanwhile."""
        if self.nannies is None:
            time.sleep(seconds)
        else:
            self.nannies.serve(seconds)

    def wait_for_hub(self, sock, seconds):
        """Waits for the hub's answer on `sock`, serving as the engines' nanny meanwhile."""
        if self.nannies is None:
            return hub_client.poll(sock, seconds)
        return self.nannies.wait_for(sock, seconds)

    def ask_hub(self):
        return self.hub.registered(wait=self.wait_for_hub)

    def kill(self, engines, reason):
        """Kills `engines` outright, each with its whole process tree (ipyparallel's nanny too, when it has one)."""
        engines = [e for e in engines if e.process is not None]
        for engine in engines:
            log(f"killing {engine}: {reason}")
            self.drop_nanny(engine)
        running = [e.process.pid for e in engines if e.process.poll() is None]
        if running:
            procs.kill_trees(running)
        for engine in engines:
            engine.process.wait()
            engine.process = None
            engine.start_after = 0.0

    def reap_exited(self, now):
        for engine in self.engines:
            if engine.process is not None and engine.process.poll() is not None:
                if engine.nanny is not None:  # gone before its connection's closing was seen
                    self.engine_gone(engine)
                self.reap(engine, now)
        if self.subreaper:  # also once the fork server has gone
            self.reap_strays()

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
        """Takes the hub's answer about every running engine; kills those to be restarted."""
        restart = {}  # reason -> engines
        for engine in self.engines:
            if engine.process is None:
                continue
            verdict = policy.judge(engine.standing, answer.registered.get(engine.session_id), answer.hub, now, self.timing)
            if verdict.newly_registered:
                log(f"{engine} registered as id {verdict.standing.engine_id}")
            engine.standing = verdict.standing
            if verdict.restart is not None:
                restart.setdefault(verdict.restart, []).append(engine)
        for reason, engines in restart.items():
            self.kill(engines, reason)

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
            self.nannies.close()

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
