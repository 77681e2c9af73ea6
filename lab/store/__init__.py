"""Provides the Store: the learner's quiz reviews, lesson progress and run history in SQLite.

The package is laid out by job: `schema` (migrations), `base` (opening, transactions),
`files` (the file's health and error messages), `recall` (the fsrs model of each card),
`reviews` (the review log), `runs` (the run history), `exercises` (each exercise's verdict),
`exchange` (export and import).
Progress figures built on the log (mastery) live with the quiz code, in `lab.quiz.progress`.
"""

from __future__ import annotations

from lab.store.base import BUSY_TIMEOUT_MS
from lab.store.exchange import Exchange
from lab.store.files import StoreError, filesystem_type, on_network_filesystem
from lab.store.reviews import TERM_PREFIX, CardInfo
from lab.store.runs import MAX_POINTS_PER_SERIES, RUN_STATUSES, STOPPED_REASON, Run
from lab.store.schema import SCHEMA, VERSION


class Store(Exchange):
    """The learner's progress and runs. Thread-safe; one connection per Store.

    Writes may wait up to BUSY_TIMEOUT_MS for another lab session: call them off an event loop.
    """


__all__ = [
    "BUSY_TIMEOUT_MS",
    "MAX_POINTS_PER_SERIES",
    "RUN_STATUSES",
    "SCHEMA",
    "STOPPED_REASON",
    "TERM_PREFIX",
    "VERSION",
    "CardInfo",
    "Run",
    "Store",
    "StoreError",
    "filesystem_type",
    "on_network_filesystem",
]
