"""What the watcher knows of the cluster, from its polls of the hub and the workers' reports: the engines
registered, where each runs (its worker pod and group, as the workers report them), which are busy and
how much work waits, and counters of what happened. No I/O here.

The counters come from what the hub keeps for as long as it runs, so that none misses what happened
between two polls and a restarted watcher counts on from the same totals:
  - every engine id the hub has given (its queue_status lists them all, registered or gone): each is a
    registration, and each no longer registered a loss;
  - each engine's count of the tasks it finished, ok or not (queue_status's `completed`), also once it
    has gone;
  - the task records (db_query) for the failures: tasks that ended with an error, raised on their engine
    or lost with it. The hub keeps its last 1024 records (DictDB.record_limit): when more tasks end
    between two polls, failures among the records culled unseen are missed.
A new hub (the controller restarted) gives ids from 0 again: what is counted per id starts over then,
while the totals go on.
"""
import collections
import threading

UNKNOWN = "unknown"  # the group and pod of an engine no worker has reported (one started by hand)
RECENT_FAILURES = 20


class ClusterState:
    def __init__(self):
        self.lock = threading.Lock()
        self.hub = None  # the session id of the hub answering
        self.engines = {}  # engine id -> {"uuid", "queued"}: the engines registered
        self.unassigned = 0
        self.uuids = {}  # engine id -> session id, of every engine seen registered under this hub
        self.places = {}  # engine session id -> (group, pod), from the workers' reports
        self.pods = {}  # pod -> group, every pod ever reported
        self.reported_at = {}  # pod -> Unix time of its last report
        self.drain_states = {}  # pod -> its worker's drain state ("busy", "drained"), when it has one
        self.draining = set()  # the pods the scaler wants drained (told in the answers to their reports)
        self.decisions = collections.Counter()  # (group, "up" or "down") -> the scaler's changes of the count
        self.finished_by_id = {}  # engine id -> tasks finished, as last counted under this hub
        self.gone_ids = set()  # engine ids counted as lost under this hub
        self.completed = collections.Counter()  # group -> tasks finished on its engines (ok or not)
        self.failed = collections.Counter()  # group -> tasks that ended with an error (raised, or lost with the engine)
        self.registrations = collections.Counter()  # group -> engines registered
        self.losses = collections.Counter()  # group -> engines no longer registered
        self.recent_failures = collections.deque(maxlen=RECENT_FAILURES)
        self.polls = 0
        self.poll_seconds = 0.0  # summed: the watcher's own cost
        self.last_poll = None  # Unix time of the last poll that got an answer

    def place(self, uuid):
        return self.places.get(uuid, (UNKNOWN, UNKNOWN))

    def group_of(self, engine_id):
        return self.place(self.uuids.get(engine_id))[0]

    def uuid_of(self, engine):
        """The session id of `engine`: an engine id seen under this hub (as text), else taken to be a session id already."""
        with self.lock:
            if engine.isdigit() and int(engine) in self.uuids:
                return self.uuids[int(engine)]
        return engine

    def report(self, pod, group, sessions, now, drain=None):
        """A worker's report: its pod, its group, its engines' session ids and its drain state; whether
        the pod is to drain."""
        with self.lock:
            self.pods[pod] = group
            self.reported_at[pod] = now
            if drain:
                self.drain_states[pod] = str(drain)
            else:
                self.drain_states.pop(pod, None)
            for uuid in sessions:
                self.places[uuid] = (group, pod)
            return pod in self.draining

    def decision(self, group, direction):
        """The scaler changed a group's count (its log says why)."""
        with self.lock:
            self.decisions[(group, direction)] += 1

    def drain(self, pods, wanted):
        """The scaler's word: these pods are to drain (`wanted`), or no longer."""
        with self.lock:
            self.draining = self.draining | set(pods) if wanted else self.draining - set(pods)
            for pod in pods:  # a drain asked again waits for the worker's new word, not an old one
                self.drain_states.pop(pod, None)

    def observe(self, hub, registered, queues, now, seconds):
        """A poll's answers: `hub` the hub's session id, `registered` {engine id: session id} of the
        engines registered, `queues` queue_status() ({engine id: {queue, tasks, completed}} of every id
        the hub has given, and "unassigned"); `seconds` the poll's own time."""
        with self.lock:
            if hub != self.hub:  # a new hub: its ids are new ones
                self.hub, self.uuids, self.finished_by_id, self.gone_ids = hub, {}, {}, set()
            self.uuids.update(registered)
            for eid, q in queues.items():
                if not isinstance(eid, int):
                    continue
                group = self.group_of(eid)
                if eid not in self.finished_by_id:
                    self.registrations[group] += 1
                self.completed[group] += q.get("completed", 0) - self.finished_by_id.get(eid, 0)
                self.finished_by_id[eid] = q.get("completed", 0)
                if eid not in registered and eid not in self.gone_ids:
                    self.gone_ids.add(eid)
                    self.losses[group] += 1
            self.engines = {
                eid: {"uuid": uuid, "queued": queues.get(eid, {}).get("queue", 0) + queues.get(eid, {}).get("tasks", 0)} for eid, uuid in registered.items()
            }
            self.unassigned = int(queues.get("unassigned", 0))
            self.polls += 1
            self.poll_seconds += seconds
            self.last_poll = now

    def failures(self, records):
        """Task records that ended with an error, new since the last poll: {msg_id, engine_uuid, completed, result_content}."""
        with self.lock:
            for rec in records:
                group, pod = self.place(rec.get("engine_uuid"))
                content = rec.get("result_content") or {}
                self.failed[group] += 1
                self.recent_failures.append(
                    {
                        "msg_id": rec.get("msg_id"),
                        "group": group,
                        "pod": pod,
                        "ename": content.get("ename", content.get("status", "")),
                        "evalue": str(content.get("evalue", ""))[:200],
                        "completed": str(rec.get("completed", "")),
                    }
                )

    def snapshot(self):
        """The state as plain data (what /status answers)."""
        with self.lock:
            engines = []
            for eid, e in sorted(self.engines.items()):
                group, pod = self.place(e["uuid"])
                engines.append({"id": eid, "uuid": e["uuid"], "group": group, "pod": pod, "busy": e["queued"] > 0, "queued": e["queued"]})
            counted = (self.completed, self.failed, self.registrations, self.losses)
            groups = sorted({e["group"] for e in engines} | set(self.pods.values()) | {g for c in counted for g in c})
            return {
                "engines": engines,
                "unassigned": self.unassigned,
                "groups": {
                    g: {
                        "engines": sum(1 for e in engines if e["group"] == g),
                        "busy": sum(1 for e in engines if e["group"] == g and e["busy"]),
                        "completed": self.completed[g],
                        "failed": self.failed[g],
                        "registrations": self.registrations[g],
                        "losses": self.losses[g],
                    }
                    for g in groups
                },
                "pods": {
                    p: {"group": g, "reported": self.reported_at.get(p), "drain": self.drain_states.get(p), "draining": p in self.draining}
                    for p, g in sorted(self.pods.items())
                },
                "decisions": [{"group": g, "direction": d, "count": n} for (g, d), n in sorted(self.decisions.items())],
                "recent_failures": list(self.recent_failures),
                "polls": self.polls,
                "poll_seconds": self.poll_seconds,
                "last_poll": self.last_poll,
            }
