"""The cluster's status as people read it: a table in a terminal, a table in JupyterLab."""
import html


class Status:
    """The watcher's snapshot, shown by worker group and pod."""

    def __init__(self, snapshot):
        self.snapshot = snapshot

    def __getitem__(self, key):
        return self.snapshot[key]

    def rows(self):
        """(group, pod, engines, busy, queued) of every pod with engines."""
        pods = {}
        for e in self.snapshot["engines"]:
            row = pods.setdefault((e["group"], e["pod"]), [0, 0, 0])
            row[0] += 1
            row[1] += int(e["busy"])
            row[2] += e["queued"]
        return [(g, p, *counts) for (g, p), counts in sorted(pods.items())]

    def summary(self):
        s = self.snapshot
        busy = sum(v["busy"] for v in s["groups"].values())
        return f"{len(s['engines'])} engines ({busy} busy), {s['unassigned']} tasks unassigned"

    def __str__(self):
        head = ("group", "pod", "engines", "busy", "queued")
        rows = [tuple(map(str, r)) for r in self.rows()]
        widths = [max(len(x) for x in col) for col in zip(head, *rows)]
        fmt = "  ".join(f"{{:<{w}}}" for w in widths)
        lines = [self.summary(), fmt.format(*head), *(fmt.format(*r) for r in rows)]
        for g, v in sorted(self.snapshot["groups"].items()):
            lines.append(f"group {g}: {v['completed']} tasks completed, {v['failed']} failed, {v['registrations']} engines registered, {v['losses']} lost")
        for f in self.snapshot["recent_failures"][-5:]:
            lines.append(f"failed: {f['msg_id']} on {f['pod']} ({f['group']}): {f['ename']}: {f['evalue']}")
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self):
        cell = lambda x: f"<td>{html.escape(str(x))}</td>"  # noqa: E731
        rows = "".join(f"<tr>{''.join(cell(x) for x in r)}</tr>" for r in self.rows())
        groups = "".join(
            f"<tr>{cell(g)}{cell(v['engines'])}{cell(v['busy'])}{cell(v['completed'])}{cell(v['failed'])}{cell(v['losses'])}</tr>"
            for g, v in sorted(self.snapshot["groups"].items())
        )
        esc = lambda x: html.escape(str(x))  # noqa: E731
        failures = "".join(
            f"<li><code>{esc(f['msg_id'])}</code> on {esc(f['pod'])}: {esc(f['ename'])}: {esc(f['evalue'])}</li>" for f in self.snapshot["recent_failures"][-5:]
        )
        return (
            f"<div><b>{html.escape(self.summary())}</b>"
            "<table><tr><th>group</th><th>pod</th><th>engines</th><th>busy</th><th>queued</th></tr>"
            f"{rows}</table>"
            "<table><tr><th>group</th><th>engines</th><th>busy</th><th>completed</th><th>failed</th><th>lost</th></tr>"
            f"{groups}</table>" + (f"<p>Recent failures:</p><ul>{failures}</ul>" if failures else "") + "</div>"
        )


class Scaling(dict):
    """The scaler's answer: a scale's outcome, or each scaling group's state, as lines when printed."""

    def lines(self):
        out = []
        if "done" in self:
            state = "done" if self["done"] else f"still pending: {self['pending']}"
            asked = f"group {self['group']}: {self['workers']} worker pods asked"
            out.append(f"{asked}, {self['engines']} engines answering after {self['seconds']:.1f} s; {state}")
        for name, g in sorted(self.get("groups", {}).items()):
            adaptive = g.get("adaptive")
            how = f"adapting from {adaptive['minimum']} to {adaptive['maximum']} (idle {adaptive['idle_seconds']:g} s)" if adaptive else "not adapting"
            out.append(f"group {name}: {g['workers']} worker pods (bounds {g['minimum']} to {g['maximum']}), {how}")
        for d in self.get("decisions", [])[-5:]:
            out.append(f"{d['time']}: group {d['group']} {d['from']} -> {d['to']} pods: {d['reason']}")
        return out

    def __str__(self):
        return "\n".join(self.lines())

    __repr__ = __str__
