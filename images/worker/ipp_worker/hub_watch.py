"""The worker's watch on the controller: one connection to the hub's registration port, kept open,
whose events say at once when the controller has gone (the connection closed) and when one listens
again (a connection made: ZeroMQ reconnects by itself every 100 ms), so that the worker asks the new
hub at that moment rather than at its next look. Nothing is sent on it. A controller lost without
its connections closing (a node gone) is still found by the looks alone."""
import zmq
from zmq.utils.monitor import parse_monitor_message

GONE = "gone"
BACK = "back"

EVENTS = {zmq.EVENT_CONNECTED: BACK, zmq.EVENT_DISCONNECTED: GONE}


class HubWatch:
    def __init__(self, context, url):
        self.sock = context.socket(zmq.DEALER)
        self.sock.linger = 0
        self.monitor = self.sock.get_monitor_socket(zmq.EVENT_CONNECTED | zmq.EVENT_DISCONNECTED)
        self.sock.connect(url)

    def events(self):
        """GONE or BACK for each event that has come since the last call, oldest first (never waits)."""
        seen = []
        while True:
            try:
                frames = self.monitor.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return seen
            event = EVENTS.get(parse_monitor_message(frames)["event"])
            if event is not None:
                seen.append(event)

    def close(self):
        if self.sock.closed:
            return
        self.sock.disable_monitor()
        self.monitor.close(linger=0)
        self.sock.close(linger=0)
