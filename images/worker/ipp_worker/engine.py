"""What `ipp-engine` does: `ipengine`, with the worker (ipp-worker) as its nanny.

ipyparallel's engine starts a nanny halfway through registration: a second Python process that
imports ipyparallel again, proxies the engine's control channel (answering `signal_request`s
itself) and tells the hub when the engine dies. ipp-worker, the engine's parent, does all of that
already awake and without a second interpreter. `install()` hands the nanny's job to it: the
engine's `start_nanny` (ipyparallel's IPEngine.start_nanny calls its module's start_nanny, replaced
here) connects to the worker's Unix socket (IPP_NANNY_SOCKET), says who it is and where the
controller's control port is (see nanny_protocol), and gets back the local address its control
socket is to connect to. The connection stays open for the engine's life; the worker takes its
closing as the engine's exit. Without IPP_NANNY_SOCKET, or with --IPEngine.enable_nanny=False,
this is plain ipengine.

The worker's fork server loads ipp-engine as a module in a process of its own, calls `preload()`
there once, and starts each engine by forking that process and calling `main(argv)`: the engines
then share the imports instead of each paying for them (see forkserver).
"""
import importlib
import os
import socket
import sys

from .nanny_protocol import SOCKET_VARIABLE, NannyRequest, ProtocolError, decode_reply, encode_request, read_line

# What an engine imports while it starts, beyond ipyparallel.engine.app: measured by comparing a
# running engine's sys.modules with ipp-engine's, with ipyparallel 8.8 (Debian's) and 9.2 (PyPI's).
# None of it starts a thread or opens a socket on import.
ENGINE_MODULES = (
    "ipyparallel.engine.kernel",
    "ipykernel.ipkernel",
    "ipykernel.zmqshell",
    "ipykernel.debugger",
    "ipykernel.kernelapp",
    "IPython.core.completerlib",
    "IPython.extensions.storemagic",
    "tornado.platform.asyncio",
    "zmq.eventloop.zmqstream",
    "zmq.devices",
    "sqlite3",
)
# The same, of one version only (ipykernel 7's, with ipyparallel 9).
ENGINE_MODULES_OF_SOME_VERSIONS = ("ipykernel.control", "ipykernel.shellchannel")


def start_nanny(**kwargs):
    """In place of ipyparallel's: returns (the URL to connect the control socket to, the open connection)."""
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.connect(os.environ[SOCKET_VARIABLE])
    request = NannyRequest(
        pid=os.getpid(),
        engine_id=kwargs["engine_id"],
        identity=kwargs["identity"].decode("ascii"),
        control_url=kwargs["control_url"],
        registration_url=kwargs["registration_url"],
    )
    conn.sendall(encode_request(request))
    try:
        url = decode_reply(read_line(conn))
    except ProtocolError as e:
        conn.close()
        raise RuntimeError("the worker did not take this engine's nanny on") from e
    # The engine keeps this as its `nanny_pipe`: open for as long as the engine runs.
    return url, conn


def install():
    """Imports ipyparallel's engine and, when the worker offers to be the nanny (IPP_NANNY_SOCKET),
    makes it the engine's nanny."""
    from ipyparallel.engine import app

    if os.environ.get(SOCKET_VARIABLE):
        app.start_nanny = start_nanny


def preload():
    """Imports what every engine imports as it starts, so that engines forked from here need not."""
    for name in ENGINE_MODULES:
        importlib.import_module(name)
    for name in ENGINE_MODULES_OF_SOME_VERSIONS:
        try:
            importlib.import_module(name)
        except ImportError:
            pass


def main(argv, program):
    """Runs one engine with `argv` (ipengine's flags) as the program `program`; returns its exit status."""
    from ipyparallel.engine import app

    sys.argv = [os.path.abspath(program), *argv]
    return app.main(argv=argv)
