"""Resident memory (kB) and CPU time used so far (s) of this container's ipyparallel processes, by
role. Prints one JSON line: {"controller": [[rss, cpu], ...], "engine": [...], "nanny": [...], "worker": [...]}.
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
    # python3 SCRIPT ... or python3 -m MODULE ...: the program is the script's name or the module.
    program = argv[2] if argv[1:2] == ["-m"] else os.path.basename(argv[1]) if len(argv) > 1 else ""
    role = {
        "ipcontroller": "controller",
        "ipengine": "engine",
        "ipp-engine": "engine",
        "ipyparallel.engine.nanny": "nanny",
        "ipp-worker": "worker",
    }.get(program)
    if role is None:
        continue
    roles[role].append([rss, cpu])
print(json.dumps(roles))
