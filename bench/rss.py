"""Resident memory (kB) and CPU time used so far (s) of this container's ipyparallel processes, by
role (the worker's fork server counts as the worker). Prints one JSON line: {"controller": [[rss, cpu], ...], "engine": [...], "nanny": [...], "worker": [...]}.
"""
import json
import os

TICK = os.sysconf("SC_CLK_TCK")
roles = {"controller": [], "engine": [], "nanny": [], "worker": []}
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        argv = open(f"/proc/{pid}/cmdline").read().split("\0")
        rss = next(int(line.split()[1]) for line in open(f"/proc/{pid}/status") if line.startswith("VmRSS:"))
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / TICK
    except (OSError, StopIteration, IndexError, ValueError):
        continue
    # The name a process gives itself (the worker, its fork server and the engines forked from it
    # share one command line), else python3 SCRIPT ... or python3 -m MODULE ...: the script's name or the module.
    comm = open(f"/proc/{pid}/comm").read().strip() if os.path.exists(f"/proc/{pid}/comm") else ""
    program = argv[2] if argv[1:2] == ["-m"] else os.path.basename(argv[1]) if len(argv) > 1 else ""
    if comm in ("ipp-engine", "ipp-fork-server", "ipp-worker"):
        program = comm
    role = {
        "ipcontroller": "controller",
        "ipengine": "engine",
        "ipp-engine": "engine",
        "ipyparallel.engine.nanny": "nanny",
        "ipp-worker": "worker",
        "ipp-fork-server": "worker",
    }.get(program)
    if role is None:
        continue
    roles[role].append([rss, cpu])
print(json.dumps(roles))
