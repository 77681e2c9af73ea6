"""Provides `save_in_thread`: a screen's database write off the event loop (a second lab
session holding SQLite's write lock waits up to the busy timeout, and must not freeze the
screen), then `ProgressChanged` on success or a one-line notice naming what failed."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from textual.worker import Worker

from lab.tui.messages import ProgressChanged

if TYPE_CHECKING:
    from lab.tui.screens.base import LabScreen


class SavingSession(Protocol):
    """A quiz or flashcard session: says why its last save failed."""

    store_error: str | None


def save_in_thread(
    screen: LabScreen, session: SavingSession, write: Callable[[], bool], failed: str
) -> Worker:
    """Run `write()` on a thread; `session.store_error` says why a save failed."""

    def run() -> None:
        try:
            stored = write()
        except Exception as exc:  # noqa: BLE001 - a failed save is said, never a crash
            session.store_error, stored = str(exc) or type(exc).__name__, False
        screen.app.call_from_thread(done, stored)

    def done(stored: bool) -> None:
        if stored:
            screen.post_message(ProgressChanged())
        elif screen.app.store is not None:
            error = session.store_error or "unknown error"
            screen.notify(f"{failed}: {error}", severity="error", markup=False)

    return screen.run_worker(run, thread=True, group="save")
