"""One supervised engine, as the worker knows it, and the environment engines start with."""
import os

from .nanny_protocol import SOCKET_VARIABLE


def engine_env(nanny_socket):
    """The engines' environment: the worker's, with where to ask for their nanny."""
    return {**os.environ, SOCKET_VARIABLE: nanny_socket}


class Engine:
    """One supervised engine: its process (None while it waits to be started) and what is known of it."""

    def __init__(self, index):
        self.index = index
        self.process = None
        self.session_id = None
        self.standing = None  # policy.Standing while it runs
        self.backoff = 0.0  # grows while this engine keeps exiting soon after it starts
        self.start_after = 0.0  # monotonic time before which it is not started again
        self.nanny = None  # the worker, as its nanny, once the engine has asked
        self.gone = False  # its nanny connection has closed: it has exited, to be reaped

    @property
    def engine_id(self):
        """The id the hub gave it, once registered."""
        return self.standing.engine_id if self.standing is not None else None

    def __str__(self):
        return f"engine {self.index} ({self.session_id})"
