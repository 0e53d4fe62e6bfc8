"""The worker's engine processes: starting one (forked from the fork server, or as a new process),
reaping those that exited (and the orphans a subreaper inherits), and killing some outright. A part of
the supervisor's Worker, which it is mixed into."""
import os
import subprocess
import time
import uuid

from . import policy, procs
from .log import log


class EngineProcesses:
    """Mixed into the Worker, whose command, engines, timing, forks, output, reporter and nannies it uses."""

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
