"""A child process of lab: its environment, dying with its parent, its process group, forking,
and the orphans it leaves.

Every process lab starts (a spawned run worker, a fork server, a DDP rank) gets `child_env()`:
the caller's environment, with the folder that holds `lab` on PYTHONPATH (so a checkout runs
without installing) and unbuffered output (its lines reach the reader as they are written).

A forked child asks the kernel for a signal when its parent ends (`die_with_parent`), so no
child outlives a fork server killed by SIGKILL. A child whose own children must end with it
(a learner's code that starts processes) leads a process group that `kill_group` ends. A
process that leaves the group (`os.setsid()` after a double fork) escapes that kill; a fork
server is a subreaper (`become_subreaper`), so such an orphan becomes its child, not init's,
and `end_orphans` kills and reaps it.
Forking is safe only from a process with one thread (`thread_count`): a lock held by another
thread at fork time stays locked in the child forever.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Collection
from pathlib import Path
from typing import IO, Protocol

ROOT = str(Path(__file__).resolve().parents[2])
"""The folder holding the `lab` package."""

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36


class PipedProcess(Protocol):
    """A child driven through pipes: a `subprocess.Popen`, or one of lab's forked children that
    offer the same part of its interface (the streams are None only in a Popen made without)."""

    @property
    def pid(self) -> int: ...
    @property
    def stdin(self) -> IO[str] | None: ...
    @property
    def stdout(self) -> IO[str] | None: ...
    @property
    def stderr(self) -> IO[str] | None: ...

    def poll(self) -> int | None: ...
    def wait(self, timeout: float | None = None) -> int: ...


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a process lab starts: ours, `lab` importable, unbuffered output."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (ROOT, env.get("PYTHONPATH")) if p)
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.update(extra or {})
    return env


def _prctl(option: int, value: int) -> bool:
    """Linux's prctl(option, value); False where it failed or does not exist."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(option, value, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def die_with_parent(parent: int, sig: int = signal.SIGHUP) -> None:
    """Ask the kernel for `sig` when the parent ends (Linux's PR_SET_PDEATHSIG; elsewhere
    nothing); if the parent ended already, between the fork and this call, send it now."""
    _prctl(_PR_SET_PDEATHSIG, sig)
    if os.getppid() != parent:
        os.kill(os.getpid(), sig)


def become_subreaper() -> bool:
    """Make the orphaned descendants of this process its children, not init's (Linux's
    PR_SET_CHILD_SUBREAPER); False where not supported."""
    return _prctl(_PR_SET_CHILD_SUBREAPER, 1)


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (read from /proc; empty where there is none)."""
    try:  # the kernel's own list (CONFIG_PROC_CHILDREN): no scan of every process
        return [
            int(child)
            for task in os.listdir(f"/proc/{pid}/task")
            for child in Path(f"/proc/{pid}/task/{task}/children").read_text().split()
        ]
    except FileNotFoundError:
        pass
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


def descendants(pid: int) -> list[int]:
    """Every process below `pid`: its children, theirs, and so on."""
    found, todo = [], [pid]
    while todo:
        below = children(todo.pop())
        found += below
        todo += below
    return found


def end_orphans(keep: Collection[int] = (), timeout: float = 2.0) -> list[int]:
    """SIGKILL and reap every child of this process but those in `keep`, and the children
    their ending hands to it (a subreaper's); returns the ids it killed."""
    killed: set[int] = set()
    deadline = time.monotonic() + timeout
    while True:
        left = [pid for pid in children(os.getpid()) if pid not in keep]
        for pid in left:
            with contextlib.suppress(ChildProcessError):
                if os.waitpid(pid, os.WNOHANG)[0]:
                    continue  # it had ended: reaped now
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
                killed.add(pid)
        if not left or time.monotonic() > deadline:
            return sorted(killed)
        time.sleep(0.01)


def kill_group(pgid: int) -> None:
    """SIGKILL every process of the group `pgid` (gone already: nothing to do)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def thread_count() -> int:
    """The threads of this process as the kernel sees them (C threads included)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        import threading

        return threading.active_count()
