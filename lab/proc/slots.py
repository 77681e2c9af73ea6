"""Provides `run_slot`, a machine-wide limit on runs training at once, across users, for a class
on one server without a scheduler (`[runner] max_concurrent_runs`), and `gpu_admission`: a run
on a GPU waits in line until its memory estimate fits in what the GPU has free, instead of
running out of memory.

A slot is a lock (`flock`) on one of N files in a folder every user can write (`/dev/shm/lab-runs`
by default, or LAB_SLOTS_DIR). The worker holds it while it trains, so the kernel frees it
whenever the worker ends, however it ends: no stale slot outlives a killed run. Waiters queue
first come, first served: each leaves a ticket (its start time and pid); a slot goes to the oldest
living ticket, and each waiter says how many runs are ahead of it. A stop leaves the queue at once.
No torch here.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Callable, Generator, Iterator
from pathlib import Path

DEFAULT_DIR = "/dev/shm/lab-runs" if os.path.isdir("/dev/shm") else "/tmp/lab-runs"
LOOK_EVERY_S = 0.25
TELL_EVERY_S = 1.0


def slots_dir() -> Path:
    return Path(os.environ.get("LAB_SLOTS_DIR") or DEFAULT_DIR)


def _shared_folder(folder: Path) -> Path:
    """The folder, made writable by every user (sticky, like /tmp) if it is not there."""
    if not folder.is_dir():
        with contextlib.suppress(FileExistsError):
            folder.mkdir(parents=True)
            os.chmod(folder, 0o1777)
    return folder


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def _tickets(folder: Path) -> list[tuple[float, int, Path]]:
    """The living waiters' tickets, oldest first; dead ones' are removed."""
    found = []
    for path in folder.glob("wait-*"):
        try:
            _, stamp, pid = path.name.split("-")
            found.append((float(stamp), int(pid), path))
        except ValueError:
            continue
    living = []
    for stamp, pid, path in sorted(found):
        if _alive(pid):
            living.append((stamp, pid, path))
        else:
            with contextlib.suppress(OSError):
                path.unlink()
    return living


def wait_in_line(
    folder: Path, take: Callable[[], int | None], stopped: Callable[[], bool]
) -> Generator[tuple[int, int], None, int | None]:
    """Wait in `folder`'s line, first come first served, until `take()` (asked only of the
    first in line) gives a locked descriptor; about once a second yields (runs ahead, seconds
    waited). Returns the descriptor, or None when `stopped()` came first."""
    _shared_folder(folder)
    ticket = folder / f"wait-{time.time():.6f}-{os.getpid()}"
    ticket.touch()
    with contextlib.suppress(OSError):
        os.chmod(ticket, 0o666)
    began, told = time.monotonic(), 0.0
    try:
        while not stopped():
            ahead = [t for t in _tickets(folder) if t[2] != ticket and t[2].name < ticket.name]
            if not ahead:
                fd = take()
                if fd is not None:
                    return fd
            now = time.monotonic()
            if now - told >= TELL_EVERY_S:
                yield len(ahead), round(now - began)
                told = now
            time.sleep(LOOK_EVERY_S)
        return None
    finally:
        with contextlib.suppress(OSError):
            ticket.unlink()


def _locked(path: Path) -> int | None:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    with contextlib.suppress(OSError):
        os.fchmod(fd, 0o666)  # whoever made it, every user may lock it
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


@contextlib.contextmanager
def run_slot(
    limit: int,
    waiting: Callable[[int, int], None],
    stopped: Callable[[], bool],
    folder: Path | None = None,
) -> Iterator[bool]:
    """Hold one of `limit` machine-wide slots while the body runs (no limit when `limit` < 1).
    While none is free, `waiting(runs_ahead, seconds_waited)` about once a second; yields False
    when `stopped()` came first (the run never started), else True."""
    if limit < 1:
        yield True
        return
    folder = folder or slots_dir()

    def take() -> int | None:
        for n in range(limit):
            fd = _locked(folder / f"slot-{n}")
            if fd is not None:
                return fd
        return None

    line = wait_in_line(folder, take, stopped)
    try:
        while True:
            waiting(*next(line))
    except StopIteration as done:
        fd = done.value
    try:
        yield fd is not None
    finally:
        if fd is not None:
            os.close(fd)  # the lock goes with it


def gpu_admission(
    device: int, fits: Callable[[], bool], stopped: Callable[[], bool], folder: Path | None = None
) -> Generator[tuple[int, int], None, int | None]:
    """Wait, first come first served among this GPU's runs, until `fits()` (the run's memory
    estimate against the GPU's free memory); about once a second yields (runs ahead, seconds
    waited). Returns a descriptor holding the GPU's admission lock: close it once the run has
    allocated (after its first update), so the next run measures what is really free."""
    line = (folder or slots_dir()) / f"gpu-{device}"
    _shared_folder(line)

    def take() -> int | None:
        fd = _locked(line / "admit")
        if fd is not None and not fits():
            os.close(fd)
            return None
        return fd

    return (yield from wait_in_line(line, take, stopped))
