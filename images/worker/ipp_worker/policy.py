"""The worker's decisions, as pure functions of the facts: whether an engine is to be restarted given
the hub's answer, the pause before an engine that exited starts again, how long until the next look,
and which gone engines to unregister. No processes, no clocks: the caller passes the times.

A registered engine that a new hub (a restarted controller) does not list runs on: the worker asks
the new hub to take it back under its id (a registration on the engine's behalf, which the hub
finishes at the engine's next heartbeat), and restarts it only when the hub has not listed it within
the take-back seconds. An engine the hub does not know is restarted, so that it registers again, when
the hub has forgotten it (dropped it while it was registered) or a new hub has taken over while it
was registering. An engine still registering with the same hub is left alone, however
slow a loaded machine makes it, until the hub itself would have given up (the registration seconds)
and a grace more. An engine that keeps exiting soon after it starts is started again after a pause
that doubles each time, up to a maximum.
"""
from typing import NamedTuple, Optional

from . import settings


class Timing(NamedTuple):
    check_seconds: float  # how often to ask once all are registered (IPP_CHECK_SECONDS)
    registration_seconds: float  # how long the hub waits for a registering engine (IPP_REGISTRATION_SECONDS)
    wait_seconds: float = settings.WAIT_SECONDS
    misses_to_restart: int = settings.MISSES_TO_RESTART
    registration_grace_seconds: float = settings.REGISTRATION_GRACE_SECONDS
    quick_exit_seconds: float = settings.QUICK_EXIT_SECONDS
    backoff_min_seconds: float = settings.BACKOFF_MIN_SECONDS
    backoff_max_seconds: float = settings.BACKOFF_MAX_SECONDS
    stop_seconds: float = settings.STOP_SECONDS  # what engines stopped gracefully at shutdown get, all together


class Standing(NamedTuple):
    """What the worker knows of one running engine's registration."""

    started_at: float  # monotonic time it was started
    hub_at_start: Optional[str]  # the hub that had just answered when it was started
    engine_id: Optional[int] = None  # the id the hub gave it, once registered
    registered_with: Optional[str] = None  # the hub it registered with
    misses: int = 0  # consecutive answers that did not list it since it was registered
    taken_back_by: Optional[str] = None  # the new hub asked to take it back (see take_back)
    take_back_until: float = 0.0  # monotonic time by which that hub is to list it


class Verdict(NamedTuple):
    standing: Standing  # what is known of the engine now
    restart: Optional[str] = None  # why it is to be restarted, or None
    newly_registered: bool = False  # listed for the first time
    take_back: bool = False  # to be registered again, on its behalf, with the hub that answered


def judge(standing, listed_id, hub, now, timing):
    """The Verdict on a running engine: `listed_id` is the id the hub's answer gives its session (None
    when not listed), `hub` the session id of the hub that answered, `now` the monotonic time."""
    if listed_id is not None:
        registered = standing._replace(engine_id=listed_id, registered_with=hub, misses=0, taken_back_by=None, take_back_until=0.0)
        return Verdict(registered, newly_registered=standing.engine_id is None)
    if standing.engine_id is not None:  # it was registered
        if hub != standing.registered_with:  # a new hub never knows an engine it did not register
            if standing.taken_back_by != hub:
                return Verdict(standing, take_back=True)
            if now > standing.take_back_until:
                return Verdict(standing, "the new controller did not take it back")
            return Verdict(standing)
        # This hub has dropped it, or has not listed it yet.
        missed = standing._replace(misses=standing.misses + 1)
        return Verdict(missed, "the controller no longer knows it" if missed.misses >= timing.misses_to_restart else None)
    if hub != standing.hub_at_start:
        return Verdict(standing, "a new controller took over while it was registering")
    waited = timing.registration_seconds + timing.registration_grace_seconds
    if now - standing.started_at > waited:
        return Verdict(standing, f"not registered after {waited:g} s")
    return Verdict(standing)


def taking_back(standing, hub, now, heartbeat_seconds):
    """The Standing of an engine that `hub` has accepted to take back: it is to list it within the
    take-back seconds, a few of its heartbeat periods (it finishes a registration at a beat)."""
    return standing._replace(taken_back_by=hub, take_back_until=now + take_back_seconds(heartbeat_seconds))


def take_back_seconds(heartbeat_seconds):
    """How long a hub that accepted to take an engine back has to list it: the beat that finishes the
    registration comes within two heartbeat periods; one more, and a second for the worker's looks."""
    return 3 * heartbeat_seconds + 1.0


def backoff_after_exit(lived, backoff, timing):
    """The pause before an engine that exited after `lived` seconds starts again, `backoff` being the
    pause before its last start: doubling while it keeps exiting soon after it starts; none after a long run."""
    if lived < timing.quick_exit_seconds:
        return min(timing.backoff_max_seconds, max(timing.backoff_min_seconds, 2 * backoff))
    return 0.0


def next_delay(*, registering, pauses, timing, jitter):
    """Seconds until the next look, the hub having answered: soon while an engine is `registering`
    (or has just started), else the check period times `jitter` (0.8 to 1.2: it spreads the workers'
    questions); never later than the end of a `pauses` (seconds left before a stopped engine may start)."""
    delay = timing.wait_seconds if registering else timing.check_seconds * jitter
    for pause in pauses:
        delay = min(delay, max(0.0, pause))
    return delay


def unregistrations(sessions, registered):
    """{session id: engine id} for those of `sessions` (engines that have gone) that the hub's answer
    `registered` ({session id: engine id}) still lists: under the id the hub gives them now."""
    return {session: registered[session] for session in sessions if session in registered}
