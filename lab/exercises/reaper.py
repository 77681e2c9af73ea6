"""Provides the checking process's hold on what a learner's code starts: nothing outlives a check.

A learner's file may start processes that leave the check's process group (`os.setsid()` after
a double fork). With `become_subreaper()` such orphans become children of the checking process
instead of init's, and `end_descendants()` kills and reaps every one after each check. Linux
only; elsewhere both do nothing (the process group kill still ends the ordinary ones).
"""

from __future__ import annotations

import contextlib
import os
import signal
import time

PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> bool:
    """Make orphaned descendants of this process its children; False where not supported."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (read from /proc; empty where there is none)."""
    found = []
    try:
        names = os.listdir("/proc")
    except OSError:
        return []
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue  # ended meanwhile
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) > 1 and int(fields[1]) == pid:
            found.append(int(name))
    return found


def end_descendants(timeout: float = 2.0) -> list[int]:
    """Kill and reap every process left below this one; returns the ids it killed."""
    killed: set[int] = set()
    deadline = time.monotonic() + timeout
    while True:
        _reap()
        left = children(os.getpid())
        if not left or time.monotonic() > deadline:
            return sorted(killed)
        for pid in left:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
                killed.add(pid)
        time.sleep(0.01)


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
