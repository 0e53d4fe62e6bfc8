"""The watcher's two HTTP servers: Prometheus's `GET /metrics` on one port (no key: counts only), and on
another the requests signed with the cluster's key (see auth): `GET /status`, `GET /logs` and the
workers' `POST /report`."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from . import auth, metrics

MAX_REPORT_BYTES = 4 * 1024 * 1024  # a worker's report (its log lines since the last one)


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # the default writes a line per request
        pass

    def send(self, code, body, kind="application/json"):
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def metrics_handler(state, cluster=""):
    """`GET /metrics`, and nothing else; every sample labelled with the `cluster`'s name."""

    class Metrics(Handler):
        def do_GET(self):
            if urlparse(self.path).path != "/metrics":
                return self.send(404, {"error": "only /metrics here"})
            return self.send(200, metrics.exposition(state.snapshot(), cluster), metrics.CONTENT_TYPE)

    return Metrics


def api_handler(state, logs, key):
    """The requests signed with the cluster's key: the status and the logs, and the workers' reports."""

    class Api(Handler):
        def signed(self, body=b""):
            if auth.verify(key, self.command, self.path, self.headers, body):
                return True
            self.send(403, {"error": "not signed with the cluster's key"})
            return False

        def do_GET(self):
            if not self.signed():
                return None
            url = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/status":
                return self.send(200, state.snapshot())
            if url.path == "/logs":
                return self.send(200, {"lines": logs_of(state, logs, query)})
            return self.send(404, {"error": f"no {url.path}"})

        def do_POST(self):
            size = int(self.headers.get("Content-Length", 0))
            if size > MAX_REPORT_BYTES:
                self.close_connection = True
                return self.send(413, {"error": f"a report is at most {MAX_REPORT_BYTES} bytes"})
            body = self.rfile.read(size)
            if not self.signed(body):
                return None
            if urlparse(self.path).path != "/report":
                return self.send(404, {"error": f"no {self.path}"})
            try:
                report = json.loads(body)
                state.report(str(report["pod"]), str(report["group"]), [str(s) for s in report.get("engines", [])])
                logs.add(str(report["pod"]), report.get("lines", []))
            except (ValueError, KeyError, TypeError) as e:
                return self.send(400, {"error": f"not a report: {type(e).__name__}: {e}"})
            return self.send(200, {"ok": True})

    return Api


def logs_of(state, logs, query):
    """The lines a /logs query asks for: of `pod`, or of `engine` (an engine id or session id), the last `lines`."""
    pod, source = query.get("pod"), None
    if "engine" in query:
        source = state.uuid_of(query["engine"])
        pod = pod or state.place(source)[1]
    return logs.lines(pod, source, int(query.get("lines", 100)))


def serve(port, handler_class):
    """Serves on every address of the pod (or container), in threads of its own."""
    server = ThreadingHTTPServer(("0.0.0.0", port), handler_class)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
