"""The cluster's state in Prometheus's text exposition format: gauges of what is, counters of what
happened (a counter never misses a short task the way a sampled gauge would). A worker pod is
`worker_pod`, not `pod`: scrapers put the scraped pod (the controller's) under `pod`."""

# name, type, help, how to read it from a snapshot: [(labels, value), ...]
METRICS = [
    ("ipp_engines_registered", "gauge", "Engines registered with the controller, by worker group.",
     lambda s: [({"group": g}, v["engines"]) for g, v in s["groups"].items()]),
    ("ipp_engines_busy", "gauge", "Engines with a task running or queued, by worker group.",
     lambda s: [({"group": g}, v["busy"]) for g, v in s["groups"].items()]),
    ("ipp_tasks_unassigned", "gauge", "Load-balanced tasks the scheduler has not given to an engine yet.",
     lambda s: [({}, s["unassigned"])]),
    ("ipp_engine_tasks_queued", "gauge", "Tasks given to each engine and not finished (running or waiting there).",
     lambda s: [({"group": e["group"], "worker_pod": e["pod"], "engine": str(e["id"])}, e["queued"]) for e in s["engines"]]),
    ("ipp_tasks_completed_total", "counter", "Tasks that engines finished (ok or with an error), by worker group.",
     lambda s: [({"group": g}, v["completed"]) for g, v in s["groups"].items()]),
    ("ipp_tasks_failed_total", "counter", "Tasks that ended with an error: raised on their engine, or lost with it. By worker group.",
     lambda s: [({"group": g}, v["failed"]) for g, v in s["groups"].items()]),
    ("ipp_engine_registrations_total", "counter", "Engines that registered with the controller, by worker group.",
     lambda s: [({"group": g}, v["registrations"]) for g, v in s["groups"].items()]),
    ("ipp_engine_losses_total", "counter", "Engines no longer registered (stopped, or lost), by worker group.",
     lambda s: [({"group": g}, v["losses"]) for g, v in s["groups"].items()]),
    ("ipp_scaler_decisions_total", "counter", "Changes of a group's count of worker pods by the scaler, by group and direction (up, down).",
     lambda s: [({"group": d["group"], "direction": d["direction"]}, d["count"]) for d in s.get("decisions", [])]),
    ("ipp_watcher_polls_total", "counter", "Questions the watcher asked the controller.",
     lambda s: [({}, s["polls"])]),
    ("ipp_watcher_poll_seconds_total", "counter", "Seconds the watcher spent asking the controller.",
     lambda s: [({}, round(s["poll_seconds"], 6))]),
    ("ipp_watcher_last_poll_timestamp_seconds", "gauge", "When the controller last answered the watcher (Unix time; 0: not yet).",
     lambda s: [({}, round(s["last_poll"] or 0, 3))]),
]


CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def escape(value):
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def exposition(snapshot, cluster=""):
    """The text a Prometheus scrape gets; every sample labelled with the `cluster`'s name when given."""
    lines = []
    for name, kind, help_text, read in METRICS:
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
        for labels, value in read(snapshot):
            labels = {**({"cluster": cluster} if cluster else {}), **labels}
            tags = ",".join(f'{k}="{escape(v)}"' for k, v in labels.items())
            lines.append(f"{name}{{{tags}}} {value}" if tags else f"{name} {value}")
    return "\n".join(lines) + "\n"
