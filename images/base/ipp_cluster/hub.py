"""The watcher's questions to the controller's hub, through an ipyparallel Client (the cluster's key, the
client ports): which engines are registered, their queues, and the task records that ended with an
error. Each question has a time limit (the Client's own would wait for ever when the controller has gone).
The Client takes none of the engines' output: its subscription to the controller's IOPub is dropped."""
import datetime

import zmq

# How far apart the engines' clocks may be: a task record's `completed` is its engine's time.
CLOCK_SKEW = datetime.timedelta(seconds=60)
RECORD_KEYS = ["msg_id", "completed", "engine_uuid", "result_content"]


class HubError(Exception):
    pass


class Hub:
    def __init__(self, client, timeout):
        self.client = client
        self.timeout = timeout
        self.since = None  # no record that completed before this is asked for again
        self.seen = {}  # msg_id -> completed, of the records seen that completed since `since`
        # What the engines print and publish reaches every client subscribed: the watcher needs none of it.
        client._io_loop.add_callback(lambda: client._iopub_stream.socket.setsockopt(zmq.UNSUBSCRIBE, b""))

    def ask(self, msg_type, content):
        """The content of the hub's reply to one question on the query port."""
        try:
            reply = self.client._send(self.client._query_stream, msg_type, content=content).result(self.timeout)
        except Exception as e:  # a concurrent.futures.TimeoutError, or the Client closed
            raise HubError(f"no answer to {msg_type} within {self.timeout:g} s ({type(e).__name__})") from e
        if reply["content"].get("status") != "ok":
            raise HubError(f"{msg_type}: {reply['content'].get('ename', '')}: {reply['content'].get('evalue', '')}")
        return reply["header"].get("session"), reply["content"]

    def registered(self):
        """(the hub's session id, {engine id: session id} of the engines registered now)."""
        hub, content = self.ask("connection_request", {})
        return hub, {int(eid): uuid for eid, uuid in content.get("engines", {}).items()}

    def queues(self):
        """queue_status() of every engine id the hub has given: {id: {queue, tasks, completed}, "unassigned": n}."""
        _, content = self.ask("queue_request", {"targets": None, "verbose": False})
        return {(int(k) if k.isdigit() else k): v for k, v in content.items() if k != "status"}

    def new_failures(self):
        """The task records that ended with an error and were not seen before."""
        query = {"completed": {"$ne": None, **({"$gte": self.since.isoformat()} if self.since else {})}}
        _, content = self.ask("db_request", {"query": query, "keys": RECORD_KEYS})
        records = content["records"]
        new = [r for r in records if r["msg_id"] not in self.seen]
        times = {r["msg_id"]: parse_time(r["completed"]) for r in records}
        if times:
            self.since = max(times.values()) - CLOCK_SKEW
            self.seen = {msg_id: t for msg_id, t in times.items() if t >= self.since}
        return [r for r in new if (r.get("result_content") or {}).get("status", "ok") != "ok"]


def parse_time(text):
    """A record's time as the hub sends it (ISO 8601), as an aware datetime."""
    value = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)
