"""A drain: the scaler, before it removes this worker's pod, asks (through the watcher's answer to the
worker's reports) that its engines take no more work. At its next look the worker asks the hub how many
tasks each of its registered engines holds; when none holds any, it unregisters them all and stops them
(the hub then gives them nothing more) and starts none while the drain lasts; when one is busy, it says so
and asks again at the next look. The worker reports its state ("drained" or "busy") with every report.
When the watcher no longer asks for the drain (the scaler kept the pod after all), the engines start again.

A task the hub gives an engine between its answer and the unregistration is not lost: the hub fails it
with EngineError, or resubmits it elsewhere when the view has retries."""
from .log import log

DRAINED, BUSY = "drained", "busy"


class Drain:
    def __init__(self, worker, reporter):
        self.worker = worker
        self.reporter = reporter
        self.state = None  # None (working), BUSY (asked, an engine had work) or DRAINED
        reporter.on_drain = self.wake

    def wake(self):
        self.worker.look_now = True

    def set(self, state):
        self.state = state
        self.reporter.drain_state(state)

    def look(self, answer):
        """At a look with the hub's `answer`: whether the worker is drained (then it starts no engine)."""
        if not self.reporter.drain_wanted:
            if self.state is not None:
                log("no longer asked to drain: starting the engines again")
                self.set(None)
            return False
        if self.state == DRAINED:
            return True
        registered = answer.registered
        ids = [registered[e.session_id] for e in self.worker.engines if e.process is not None and e.session_id in registered]
        held = self.worker.hub.queues(ids, wait=self.worker.wait_for_hub) if ids else {}
        if held is None:  # no answer: ask again at the next look
            return False
        busy = sorted(eid for eid, n in held.items() if n > 0)
        if busy:
            if self.state != BUSY:
                log(f"asked to drain, but engines {busy} have tasks: asking again at the next look")
            self.set(BUSY)
            return False
        self.worker.set_ready(False)  # NotReady first: the ReplicaSet removes NotReady pods before others
        self.worker.stop_engines(registered, "drained for the pod's removal")
        log("drained: every engine unregistered and stopped; waiting for the pod's removal")
        self.set(DRAINED)
        return True
