"""Stands in for `ipp-engine`: asks the worker (IPP_NANNY_SOCKET) to be its nanny, with CONTROL_URL as
the controller's control port, records the answer (LOG_DIR/<session>.json), then serves its control
socket as an engine does: every message it gets is appended to LOG_DIR/<session>.control and sent
back as it came; a SIGINT is noted in LOG_DIR/<session>.sigint.

    python3 nanny_engine.py LOG_DIR CONTROL_URL [flags...]
"""
import json
import os
import signal
import socket
import sys
import time

import zmq
from records import mark, session_of, write_record


def main(log_dir, control_url, flags):
    session = session_of(flags)
    signal.signal(signal.SIGINT, lambda signum, frame: mark(log_dir, session, "sigint"))
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.connect(os.environ["IPP_NANNY_SOCKET"])
    request = {"pid": os.getpid(), "engine_id": 7, "identity": session, "control_url": control_url, "registration_url": "tcp://127.0.0.1:9"}
    conn.sendall(json.dumps(request).encode() + b"\n")
    url = conn.makefile("rb").readline().decode().strip()
    write_record(log_dir, {"pid": os.getpid(), "session": session, "nanny_url": url, "time": time.time(), "flags": flags})
    if not url:
        return 3
    control = zmq.Context().socket(zmq.ROUTER)
    control.identity = session.encode()
    control.connect(url)
    while True:
        if control.poll(100):
            frames = control.recv_multipart()
            with open(os.path.join(log_dir, session + ".control"), "a") as f:
                f.write(json.dumps([x.decode("utf8", "replace") for x in frames]) + "\n")
            control.send_multipart(frames)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3:]))
