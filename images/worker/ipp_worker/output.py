"""The engines' output, when the worker reports to the watcher: each engine writes its stdout and stderr
into a pipe of its own, which one thread here reads, passing each line on to the container's stdout
(where `kubectl logs` finds it, as before) and to `sink(source, text)`, the source being the engine's
session id."""
import os
import selectors
import sys
import threading
import time

READ_BYTES = 65536
MAX_LINE = 65536  # a longer line without its end is passed on in pieces


class OutputPump:
    def __init__(self, sink, out=None):
        self.sink = sink
        self.out = out or sys.stdout.buffer
        # Pipes are added from the worker's thread while this one waits (epoll allows it); a byte on
        # the wake pipe has the wait start over with the new pipe.
        self.selector = selectors.DefaultSelector()
        self.wake_r, self.wake_w = os.pipe()
        self.selector.register(self.wake_r, selectors.EVENT_READ, None)
        self.partial = {}  # fd -> bytes of an unfinished line
        self.thread = threading.Thread(target=self.run, name="engine-output", daemon=True)
        self.thread.start()

    def pipe(self, source):
        """A new pipe for an engine of session id `source`: returns its write end, for the engine (the
        caller closes it once the engine has it)."""
        read_end, write_end = os.pipe()
        self.selector.register(read_end, selectors.EVENT_READ, source)
        os.write(self.wake_w, b"x")
        return write_end

    def emit(self, source, data):
        self.out.write(data)
        self.out.flush()
        for line in data.splitlines():
            self.sink(source, line.decode("utf-8", "replace"))

    def read(self, fd, source):
        data = os.read(fd, READ_BYTES)
        if not data:  # every writer has gone: the engine has exited
            self.selector.unregister(fd)
            os.close(fd)
            rest = self.partial.pop(fd, b"")
            if rest:
                self.emit(source, rest + b"\n")
            return
        data = self.partial.pop(fd, b"") + data
        whole, _, rest = data.rpartition(b"\n")
        if whole or data.endswith(b"\n"):
            self.emit(source, whole + b"\n")
        if len(rest) > MAX_LINE:
            self.emit(source, rest + b"\n")
        elif rest:
            self.partial[fd] = rest

    def drain(self, seconds):
        """Waits, at most `seconds`, until every engine's pipe has closed and been read to its end."""
        deadline = time.monotonic() + seconds
        while len(self.selector.get_map()) > 1 and time.monotonic() < deadline:
            time.sleep(0.02)

    def run(self):
        while True:
            for key, _ in self.selector.select():
                if key.fd == self.wake_r:
                    os.read(self.wake_r, 4096)
                    continue
                try:
                    self.read(key.fd, key.data)
                except OSError:
                    pass
