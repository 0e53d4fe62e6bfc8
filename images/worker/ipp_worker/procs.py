"""Processes, from Linux's side: /proc, prctl(2) (process names, the child subreaper), killing whole
process trees, reaping orphans, and the open-files limit."""
import ctypes
import os
import resource
import signal

PR_SET_NAME = 15
PR_SET_CHILD_SUBREAPER = 36


def processes():
    """(pid, state, parent pid) of every process, read from /proc."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                state, ppid = f.read().rsplit(")", 1)[1].split()[:2]
            yield int(entry), state, int(ppid)
        except (OSError, IndexError, ValueError):
            continue


def process_trees(pids):
    """Each of `pids` and all their descendants, read from /proc (a nanny runs in a session of its
    own), in one pass over /proc however many engines there are."""
    children = {}
    for pid, _state, ppid in processes():
        children.setdefault(ppid, []).append(pid)
    tree, todo = [], list(pids)
    while todo:
        p = todo.pop()
        tree.append(p)
        todo.extend(children.get(p, []))
    return tree


def kill_trees(pids):
    """SIGKILL to each of `pids` and all their descendants; those already gone are skipped."""
    for pid in process_trees(pids):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def prctl(option, value):
    """Linux's prctl(2) on this process; whether it worked."""
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def raise_open_files_limit():
    """Raises this process's open-files limit (and its children's) to the most the container allows,
    and returns it: a pod of many engines holds several files per engine (its nanny connections, their
    output), past the 1,024 that some container runtimes give by default (containerd 2)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):  # no ceiling (infinity) is refused: keep the limit it has
            pass
    return soft


def set_process_name(name):
    """The name `ps -o comm` and /proc/PID/comm show (forked engines share their server's command line)."""
    prctl(PR_SET_NAME, ctypes.c_char_p(name.encode()[:15]))


def become_subreaper():
    """Makes orphans among this process's descendants its children (to be reaped here); whether it worked."""
    return prctl(PR_SET_CHILD_SUBREAPER, 1)


def reap_strays(known):
    """Reaps this process's exited children that are not in `known` (pids): what an engine left
    behind, which came to this process (a subreaper) when its parent exited."""
    me = os.getpid()
    for pid, state, ppid in processes():
        if ppid == me and state == "Z" and pid not in known:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
