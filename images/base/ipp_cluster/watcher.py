"""The watcher (`ipp-watcher`): one process beside the controller, a client of its hub like any other
(never on the engines' path), that keeps the cluster's state (see state) and serves it (see server).

Every IPP_WATCH_SECONDS it asks the hub which engines are registered, their queues and the task records
that ended with an error since it last asked (see hub). Workers report where their engines run and send
their log lines, which it keeps (see logstore).

Environment:
  IPP_CLIENT_FILE    the client connection file, with the key
  IPP_METRICS_PORT   `GET /metrics` (Prometheus's text format), for scrapers: no key needed
  IPP_WATCHER_PORT   the requests signed with the cluster's key: /status, /logs, the workers' /report
  IPP_WATCH_SECONDS  how often to ask the hub (seconds, > 0)
  IPP_CLUSTER        (optional) the cluster's name, a `cluster` label on every metric
"""
import json
import os
import sys
import time

from . import process, server
from .hub import Hub, HubError
from .logstore import LogStore
from .process import logger
from .state import ClusterState

# How long a question may wait for the hub's answer, and the Client for its connection.
QUESTION_SECONDS = 10.0


log = logger("ipp-watcher")


def required(name, parse=str):
    return process.required("ipp-watcher", name, parse)


def poll(hub, state):
    """One look at the hub."""
    started = time.monotonic()
    session, registered = hub.registered()
    queues = hub.queues()
    failures = hub.new_failures()
    state.failures(failures)
    state.observe(session, registered, queues, time.time(), time.monotonic() - started)


def connect(client_file):
    """An ipyparallel Client of the hub, once the controller answers."""
    import ipyparallel as ipp

    announced = False
    while True:
        try:
            return ipp.Client(client_file, timeout=QUESTION_SECONDS)
        except Exception as e:  # the controller not up yet (a TimeoutError), or restarting
            if not announced:
                log(f"waiting for the controller: {type(e).__name__}: {e}")
                announced = True
            time.sleep(1)


def watch(client_file, state, interval):
    hub = Hub(connect(client_file), QUESTION_SECONDS)
    log("connected to the controller")
    failing = False
    while True:
        try:
            poll(hub, state)
            if failing:
                log("the controller answers again")
            failing = False
        except HubError as e:  # the controller away or restarting: ask again at the next turn
            if not failing:
                log(f"the controller does not answer: {e}")
            failing = True
        time.sleep(interval)


def main():
    client_file = required("IPP_CLIENT_FILE")
    metrics_port = required("IPP_METRICS_PORT", int)
    api_port = required("IPP_WATCHER_PORT", int)
    interval = required("IPP_WATCH_SECONDS", float)
    with open(client_file) as f:
        key = json.load(f)["key"].encode()
    state, logs = ClusterState(), LogStore()
    server.serve(metrics_port, server.metrics_handler(state, os.environ.get("IPP_CLUSTER", "")))
    server.serve(api_port, server.api_handler(state, logs, key, os.environ.get("IPP_SCALER_URL") or None))
    log(f"metrics on :{metrics_port}, the cluster's status and logs on :{api_port}; asking the controller every {interval:g} s")
    watch(client_file, state, interval)


if __name__ == "__main__":
    sys.exit(main())
