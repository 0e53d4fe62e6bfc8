"""Stand-in engines for measuring the controller's hub: many per process, each doing what an engine does
towards the hub and nothing else (no kernel, no tasks).

    python3 -m ipp_worker.standin --file ENGINE_JSON --key-file KEY --count N [--name PREFIX] [--seconds S]

Each stand-in registers as ipyparallel's engines do (a signed `registration_request` with its uuid on the
registration port; the hub's `registration_reply` gives its id), and from then on answers the heart
monitor as an engine's Heart does: the ping that arrives on its own SUB socket (hb_ping) is sent back
unchanged on its own DEALER (hb_pong), whose identity is its uuid. The hub finishes a registration at
the first heartbeat, so a stand-in is listed (`rc.ids`) once both have happened.

The registrations of one process share one connection (the hub answers one connection's requests in
order, as hub.Hub.take_back relies on); the heartbeats do not: every stand-in has its two heartbeat
connections, as many as real engines would open.

Prints one JSON line per second: {"replied", "refused", "pongs", "pings"} (stand-ins given an id, stand-ins
refused, heartbeats answered and pings seen so far), and ends after --seconds, or at SIGTERM.
"""
import argparse
import json
import signal
import sys
import time

import zmq

from .wire import Messages, WireError

REPORT_SECONDS = 1.0


def connection(engine_file, key_file):
    """(the engine file's contents, its Messages) from the files an engine is given."""
    with open(engine_file) as f:
        info = json.load(f)
    with open(key_file, "rb") as f:
        key = f.read().strip()
    return info, Messages(key, info["signature_scheme"])


def url(info, port):
    return f"{info['interface']}:{info[port]}"


class StandIns:
    """`count` stand-in engines named `<name>-<i>`, driven by `step`."""

    def __init__(self, info, messages, count, name):
        self.info, self.messages = info, messages
        self.context = zmq.Context()
        # Two sockets a stand-in, and the registration socket; the default allows 1023.
        self.context.set(zmq.MAX_SOCKETS, 2 * count + 16)
        self.poller = zmq.Poller()
        self.registration = self.socket(zmq.DEALER, url(info, "registration"))
        self.poller.register(self.registration, zmq.POLLIN)
        self.waiting = [f"{name}-{i}" for i in range(count)]
        self.hearts = {}  # SUB socket -> DEALER socket
        self.ids = {}  # uuid -> id the hub gave
        self.refused = 0
        self.pings = 0
        self.pongs = 0

    def socket(self, kind, address, identity=None):
        sock = self.context.socket(kind)
        sock.linger = 0
        if identity is not None:
            sock.setsockopt(zmq.IDENTITY, identity)
        if kind == zmq.SUB:
            sock.setsockopt(zmq.SUBSCRIBE, b"")
        sock.connect(address)
        return sock

    def register(self):
        """Sends every stand-in's registration_request at once: a start of many engines together."""
        for uuid in self.waiting:
            self.registration.send_multipart(self.messages.pack("registration_request", {"uuid": uuid}))

    def registered(self, reply, uuid):
        """The hub answered `uuid`'s request: with an id, its heart starts (as an engine's does, only now)."""
        content = reply["content"]
        if reply["msg_type"] != "registration_reply" or content.get("status") != "ok":
            self.refused += 1
            return
        self.ids[uuid] = content["id"]
        ping = self.socket(zmq.SUB, url(self.info, "hb_ping"))
        self.hearts[ping] = self.socket(zmq.DEALER, url(self.info, "hb_pong"), identity=uuid.encode())
        self.poller.register(ping, zmq.POLLIN)

    def step(self, timeout_ms):
        """Handles what arrived within `timeout_ms`: registration replies, and pings to answer."""
        for sock, _event in self.poller.poll(timeout_ms):
            if sock is self.registration:
                while self.waiting and self.registration.poll(0):
                    try:
                        reply = self.messages.unpack(self.registration.recv_multipart())
                    except WireError as e:
                        print(f"standin: {e}", file=sys.stderr, flush=True)
                        continue
                    self.registered(reply, self.waiting.pop(0))
                continue
            ping = sock.recv_multipart()
            self.pings += 1
            self.hearts[sock].send_multipart(ping)
            self.pongs += 1

    def counts(self):
        return {"replied": len(self.ids), "refused": self.refused, "pongs": self.pongs, "pings": self.pings}

    def close(self):
        self.context.destroy(linger=0)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Stand-in engines: registration and heartbeats only.")
    parser.add_argument("--file", required=True, help="the engine connection file")
    parser.add_argument("--key-file", required=True, help="the file holding the session key")
    parser.add_argument("--count", type=int, required=True, help="how many stand-ins this process runs")
    parser.add_argument("--name", default="standin", help="the stand-ins' uuids are NAME-0, NAME-1, ...")
    parser.add_argument("--seconds", type=float, default=float("inf"), help="end after this long")
    args = parser.parse_args(argv)
    info, messages = connection(args.file, args.key_file)
    standins = StandIns(info, messages, args.count, args.name)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    end = time.monotonic() + args.seconds
    next_report = time.monotonic()
    standins.register()
    try:
        while not stopping and time.monotonic() < end:
            standins.step(100)
            if time.monotonic() >= next_report:
                print(json.dumps(standins.counts()), flush=True)
                next_report += REPORT_SECONDS
    finally:
        print(json.dumps(standins.counts()), flush=True)
        standins.close()


if __name__ == "__main__":
    main()
