/** What every bench section records beside its figures: the commit and machine measured, and a container's cgroup counters. */
import { execFileSync } from "child_process";
import * as os from "os";
import * as path from "path";
import { docker } from "../testbed/docker-cli";

/** The commit measured, marked when the work tree differs from it. */
export function measuredCommit(): string {
    const git = (...args: string[]) => execFileSync("git", args, { cwd: path.resolve(__dirname, ".."), encoding: "utf8" }).trim();
    return git("rev-parse", "--short", "HEAD") + (git("status", "--porcelain", "--untracked-files=no") ? " with uncommitted changes" : "");
}

/** The machine, as the report names it. */
export function machine(): string {
    return `${os.cpus().length} × ${os.cpus()[0]?.model ?? "unknown CPU"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB`;
}

/** The container's CPU seconds so far and its memory in bytes, from its cgroup (v1 or v2). */
const CGROUP = `
import os
def read(*paths):
    for p in paths:
        if os.path.exists(p):
            return open(p).read()
    raise SystemExit("no cgroup file among " + ", ".join(paths))
v2 = os.path.exists("/sys/fs/cgroup/cpu.stat")
if v2:
    cpu = int(dict(l.split() for l in read("/sys/fs/cgroup/cpu.stat").splitlines())["usage_usec"]) / 1e6
    mem = int(read("/sys/fs/cgroup/memory.current"))
else:
    cpu = int(read("/sys/fs/cgroup/cpuacct/cpuacct.usage")) / 1e9
    mem = int(read("/sys/fs/cgroup/memory/memory.usage_in_bytes"))
print(cpu, mem)
`;

export async function cgroup(container: string): Promise<{ cpu: number; memory: number }> {
    const out = await docker(["exec", "-i", container, "python3", "-"], { input: CGROUP });
    const [cpu, memory] = out.stdout.trim().split(/\s+/).map(Number);
    return { cpu, memory };
}
