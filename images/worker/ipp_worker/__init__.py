"""The worker's entrypoint (ipp-worker) and the engine launcher (ipp-engine): keeps IPP_ENGINES
IPython Parallel engines registered with the controller.

    ipp-worker ipp-engine [ipengine flags...]

Each engine runs as a child process under a session id chosen here (the same flags for all, plus
its own `--Session.session=<uuid>`), so the worker can ask the controller's hub whether that very
engine is registered. It asks once per look for all of its engines together: the hub's
`connection_request` lists every engine registered with it (id -> session id), and an engine still
registering (no heartbeat yet) is not listed. Each answer also names the hub that gave it (the hub's
own session id, new in every controller process). Each engine is supervised on its own:
  * engines start only once the hub answers (workers started before the controller wait), then
    all together;
  * the readiness file exists exactly while all the engines are registered (the readiness probe),
    one line `<engine id> <session id>` for each;
  * an engine the hub does not know is restarted when the hub has forgotten it or a new hub has
    taken over while it was registering; an engine that keeps exiting soon after it starts is
    started again after a growing pause (see policy).
The worker is also each engine's nanny, the part of ipyparallel that otherwise runs as a second
Python process per engine: an engine started by ipp-engine asks for it over a Unix socket (its path
in IPP_NANNY_SOCKET, set by the worker; see nanny_protocol), and from then on its control channel
goes through the worker, which answers `signal_request`s itself (the reply first, then the signal
to that engine: what `Client.send_signal` and `%px` interrupts rely on) and relays every other
control message both ways (see nanny and relay). The moment an engine's connection closes (it has
exited, however) the worker gathers it, and its next look (at once) tells the hub, in one question
for all the engines that went together and under the ids the hub gives them then, so that their
tasks fail at once rather than after missed heartbeats. The relay never waits on the hub: while a
question is out, the worker keeps serving the nannies. A command other than ipp-engine (plain
ipengine) starts ipyparallel's own nanny instead.
An engine the hub has forgotten is killed outright (with ipyparallel's nanny, when it has one), and
the worker tells the hub nothing of it: stopped gracefully, it (or its nanny) would send the new hub
an unregistration for its old id, which the new hub may by then have given to another engine. For
the same reason the engine's own heartbeat watchdog is left off (`--IPEngine.max_heartbeat_misses=0`):
the worker decides when an engine is gone. Restarting one engine leaves the others alone.
With IPP_FORK_ENGINES=1 and more than one engine, engines are started from a fork server (see
forkserver) and are still the worker's own children (it is a child subreaper); orphans of the
engines (their own children, left behind) come to the worker too, which reaps them.
On SIGTERM (or SIGINT) every engine the hub knows at that moment is unregistered, under the id the
hub gives it then; engines the hub does not know at that moment are killed instead, like forgotten
ones. All are stopped together, within STOP_SECONDS, well inside the pod's grace period.

Modules: settings (constants, environment), log, wire (signed messages), hub (the hub's client),
policy (the decisions, pure), engines, supervisor (the Worker loop), procs (/proc, prctl, reaping),
forkserver (both ends), nanny_protocol (the nanny request, both ends), nanny (one engine's control
proxy), relay (the nanny service), engine (what ipp-engine does), cli (what ipp-worker does).
"""
