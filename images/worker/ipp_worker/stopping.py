"""How the worker stops its engines, on its way out and for a drain: unregistered first, under the ids
the hub gives them now, then stopped together within the worker's stop time."""
import time

from .log import log


def stop_engines(worker, registered, why):
    """Unregisters every engine the hub knows now (`registered`, its latest answer), under the id it
    gives it now, and stops those gracefully; kills the others. Not under the ids they had at the last
    look: a hub that has since forgotten an engine may have given its id to another engine."""
    running = [e for e in worker.engines if e.process is not None]
    known = [e for e in running if e.session_id in registered]
    unknown = [e for e in running if e.session_id not in registered]
    worker.unregister_gone(registered, stopping=known)
    for engine in known:
        if not engine.gone:
            log(f"stopping {engine}, unregistered as id {registered[engine.session_id]}: {why}")
        worker.drop_nanny(engine)
        if engine.process.poll() is None:
            engine.process.terminate()
    # Stopped gracefully, their nannies would unregister ids the hub may have given to others.
    worker.kill(unknown, f"{why} (the controller does not know it)")
    stop_seconds = worker.timing.stop_seconds
    deadline = time.monotonic() + stop_seconds
    while time.monotonic() < deadline and any(e.process.poll() is None for e in known):
        time.sleep(0.05)
    worker.kill([e for e in known if e.process.poll() is None], f"still running {stop_seconds:g} s after SIGTERM")
    for engine in known:
        if engine.process is not None:
            engine.process.wait()
            engine.process = None
