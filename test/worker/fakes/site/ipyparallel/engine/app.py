"""ipyparallel.engine.app, faked as far as ipp-engine is concerned. As in ipyparallel 8.8, the module
imports `start_nanny` from .nanny and IPEngine.start_nanny calls this module's `start_nanny` (so that
replacing the module's name replaces the nanny), during registration, unless
--IPEngine.enable_nanny=False. `main(argv)` records what happened in FAKE_ENGINE_LOG/<session>.json
(<session> from --Session.session=, else "plain"), then returns FAKE_IPP_EXIT (0 by default), or
with FAKE_IPP_HOLD=1 sleeps until it is killed."""
import os
import sys
import time

from records import about_this_process, write_record  # test/worker/fakes, on PYTHONPATH too

from .nanny import start_nanny

ENGINE_ID = 5
CONTROL_URL = "tcp://127.0.0.1:10102"  # the controller's control port, from the connection file
REGISTRATION_URL = "tcp://127.0.0.1:10101"
# What ipp-engine's preload() imports (beside this module).
PRELOADED = (
    "ipyparallel.engine.kernel",
    "ipykernel.ipkernel",
    "ipykernel.zmqshell",
    "ipykernel.debugger",
    "IPython.core.completerlib",
    "tornado.platform.asyncio",
)


class IPEngine:
    def __init__(self, argv):
        self.argv = argv
        self.enable_nanny = "--IPEngine.enable_nanny=False" not in argv
        sessions = [a.split("=", 1)[1] for a in argv if a.startswith("--Session.session=")]
        self.session = sessions[0] if sessions else "plain"
        self.id = ENGINE_ID
        self.bident = self.session.encode()
        self.nanny_pipe = None

    def start_nanny(self, control_url):
        return start_nanny(
            engine_id=self.id,
            identity=self.bident,
            control_url=control_url,
            curve_serverkey=None,
            curve_secretkey=None,
            curve_publickey=None,
            registration_url=REGISTRATION_URL,
            config={},
        )

    def register(self):
        """The control URL the engine's control socket connects to (the nanny's, when it has one)."""
        control_url = CONTROL_URL
        if self.enable_nanny:
            control_url, self.nanny_pipe = self.start_nanny(control_url=control_url)
        return control_url


def main(argv=None):
    preloaded = [name for name in PRELOADED if name in sys.modules]
    engine = IPEngine(argv)
    control_url = engine.register()
    record = about_this_process(
        session=engine.session,
        argv=argv,
        sys_argv=sys.argv,
        control_url=control_url,
        nanny_pipe=type(engine.nanny_pipe).__name__,
        preloaded=preloaded,
    )
    write_record(os.environ["FAKE_ENGINE_LOG"], record)
    while os.environ.get("FAKE_IPP_HOLD") == "1":
        time.sleep(300)
    return int(os.environ.get("FAKE_IPP_EXIT", "0"))
