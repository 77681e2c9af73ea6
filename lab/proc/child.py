"""A child process of lab: its environment, dying with its parent, its process group, forking.

Every process lab starts (a spawned run worker, a fork server, a DDP rank) gets `child_env()`:
the caller's environment, with the folder that holds `lab` on PYTHONPATH (so a checkout runs
without installing) and unbuffered output (its lines reach the reader as they are written).

A forked child asks the kernel for a signal when its parent ends (`die_with_parent`), so no
child outlives a fork server killed by SIGKILL. A child whose own children must end with it
(a learner's code that starts processes) leads a process group that `kill_group` ends.
Forking is safe only from a process with one thread (`thread_count`): a lock held by another
thread at fork time stays locked in the child forever.
"""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[2])
"""The folder holding the `lab` package."""

_PR_SET_PDEATHSIG = 1


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a process lab starts: ours, `lab` importable, unbuffered output."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (ROOT, env.get("PYTHONPATH")) if p)
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.update(extra or {})
    return env


def die_with_parent(parent: int, sig: int = signal.SIGHUP) -> None:
    """Ask the kernel for `sig` when the parent ends (Linux's PR_SET_PDEATHSIG; elsewhere
    nothing); if the parent ended already, between the fork and this call, send it now."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)
    if os.getppid() != parent:
        os.kill(os.getpid(), sig)


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
