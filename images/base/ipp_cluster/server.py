"""The watcher's two HTTP servers: Prometheus's `GET /metrics` on one port (no key: counts only), and on
another the requests signed with the cluster's key (see auth): `GET /status`, `GET /logs` and the
workers' `POST /report`."""
import json
import threading
import time
import urllib.error
import urllib.request
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


# The longest a scale may wait for its engines (scale_requests.MAX_TIMEOUT_SECONDS), and a margin.
FORWARD_SECONDS = 3600 + 120
# Asked of the scaler, which checks the signature itself: the watcher passes them on as they came.
SCALER_PATHS = ("/scale", "/adapt", "/scaling")
NO_SCALER = (
    "this cluster does not scale from where you work: the scaler runs on the Kubernetes target, for worker groups "
    "with minWorkers/maxWorkers; elsewhere change `workers` in the stack's config and run `pulumi up`"
)


def api_handler(state, logs, key, scaler_url=None):
    """The requests signed with the cluster's key: the status and the logs, the workers' reports, the
    scaler's drains; and those for the scaler (SCALER_PATHS), passed on to `scaler_url`."""

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
            if url.path in SCALER_PATHS:
                return self.to_scaler(b"")
            return self.send(404, {"error": f"no {url.path}"})

        def do_POST(self):
            size = int(self.headers.get("Content-Length", 0))
            if size > MAX_REPORT_BYTES:
                self.close_connection = True
                return self.send(413, {"error": f"a report is at most {MAX_REPORT_BYTES} bytes"})
            body = self.rfile.read(size)
            if not self.signed(body):
                return None
            path = urlparse(self.path).path
            if path in SCALER_PATHS:
                return self.to_scaler(body)
            if path not in ("/report", "/drain", "/decision"):
                return self.send(404, {"error": f"no {self.path}"})
            try:
                request = json.loads(body)
                if path == "/drain":
                    state.drain([str(p) for p in request["pods"]], bool(request["drain"]))
                    return self.send(200, {"ok": True})
                if path == "/decision":
                    state.decision(str(request["group"]), {"up": "up", "down": "down"}[request["direction"]])
                    return self.send(200, {"ok": True})
                pod = str(request["pod"])
                drain = state.report(pod, str(request["group"]), [str(s) for s in request.get("engines", [])], time.time(), request.get("drain"))
                logs.add(pod, request.get("lines", []))
            except (ValueError, KeyError, TypeError) as e:
                return self.send(400, {"error": f"not a {path[1:]} request: {type(e).__name__}: {e}"})
            return self.send(200, {"ok": True, "drain": drain})

        def to_scaler(self, body):
            """Passes the request on to the scaler, signature and all, and its answer back."""
            if not scaler_url:
                return self.send(501, {"error": NO_SCALER})
            headers = {k: v for k, v in self.headers.items() if k.lower().startswith("x-ipp-") or k.lower() == "content-type"}
            forward = urllib.request.Request(scaler_url + self.path, body if self.command == "POST" else None, headers, method=self.command)
            try:
                with urllib.request.urlopen(forward, timeout=FORWARD_SECONDS) as response:
                    return self.send(response.status, response.read().decode())
            except urllib.error.HTTPError as e:
                return self.send(e.code, e.read().decode())
            except OSError as e:
                return self.send(503, {"error": f"the scaler does not answer: {e}"})

    return Api


def logs_of(state, logs, query):
    """The lines a /logs query asks for: of `pod`, or of `engine` (an engine id or session id), the last `lines`."""
    pod, source = query.get("pod"), None
    if "engine" in query:
        source = state.uuid_of(query["engine"])
        pod = pod or state.place(source)[1]
    return logs.lines(pod, source, int(query.get("lines", 100)))


def serve(port, handler_class, host="0.0.0.0"):
    """Serves on every address of the pod (or container), or `host`, in threads of its own."""
    server = ThreadingHTTPServer((host, port), handler_class)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
