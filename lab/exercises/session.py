"""Provides `ExerciseSession`: one exercise as a learner works on it; the CLI and the TUI drive it.

It owns the learner's file (created from the starter once, reset on request with a backup),
checks it in a `Checker` process, records the verdict in the store, and hands out hints one at a
time and the solution after a real attempt. No torch, no textual.
"""

from __future__ import annotations

from pathlib import Path

from lab.exercises import files
from lab.exercises.checker import Checker, ExerciseChecker, read_source
from lab.exercises.result import Result

NOT_STARTED, FAILING, DONE = "not started", "failing", "done"
STILL_DONE = "still done: it passed before; this version of your file fails the checks"
SOLUTION_NOTE = (
    "Looking at a solution after a real try is a good way to learn: compare it with yours line "
    "by line, then write the next exercise without looking."
)


class SolutionLocked(Exception):
    """The solution is shown only after the learner's code was checked at least once."""


class ExerciseSession:
    """One exercise: its file, its state, its checks, hints and solution.

    `store` may be None (progress cannot be saved); `checker` is shared when given (the TUI and
    `lab watch` keep one warm for every exercise), else started here and ended by `close()`.
    """

    def __init__(self, entry, store=None, checker: ExerciseChecker | None = None):
        self.entry = entry
        self.exercise = entry.exercise
        self.store = store
        self._checker = checker
        self._own_checker = checker is None
        self.path: Path = files.exercise_path(entry)
        self.last_result: Result | None = None
        self.hints_shown: list[str] = []
        self.checks_run = 0
        self.store_error: str | None = None
        self._stored: str | None = None
        if store is not None:
            try:
                self._stored = store.exercise_states().get(self.exercise.id)
            except Exception as exc:  # noqa: BLE001 - a broken store must not stop the exercise
                self.store_error = str(exc)
        self._passed_once = self._stored == DONE

    @property
    def id(self) -> str:
        return self.exercise.id

    @property
    def lesson(self) -> str:
        return self.entry.lesson

    @property
    def state(self) -> str:
        """`not started`, `failing` or `done`. Done stays done: a later failing check (a learner
        trying something) does not undo a pass; `latest_fails` says that it failed."""
        if self._passed_once:
            return DONE
        if self.last_result is not None or self._stored is not None:
            return FAILING
        return NOT_STARTED

    @property
    def latest_fails(self) -> bool:
        """Done before, and the check just made failed."""
        return self._passed_once and self.last_result is not None and not self.last_result.passed

    @property
    def checker(self) -> ExerciseChecker:
        if self._checker is None:
            self._checker = Checker()
        return self._checker

    def open(self) -> bool:
        """Create the learner's file from the starter if it does not exist; True when created."""
        return files.ensure_file(self.entry)

    def source(self) -> str:
        """The learner's file as text (SourceError when it cannot be read)."""
        return read_source(self.path)

    def check(self, source: str | None = None, path: Path | None = None) -> Result:
        """Check the learner's file, or `source` as if saved at `path` (default: the file);
        either counts as an attempt. Blocks: call it off the UI thread."""
        result = self.checker.check(self.exercise, path or self.path, source)
        self.last_result = result
        self.checks_run += 1
        self._passed_once = self._passed_once or result.passed
        if self.store is not None:
            try:
                self.store.record_exercise(self.id, self.lesson, result.passed)
                self._stored = DONE if self._passed_once else FAILING
            except Exception as exc:  # noqa: BLE001 - the result still stands
                self.store_error = str(exc)
        return result

    def next_hint(self) -> str | None:
        """The next hint not shown yet, or None when every hint is out."""
        if len(self.hints_shown) >= len(self.exercise.hints):
            return None
        hint = self.exercise.hints[len(self.hints_shown)]
        self.hints_shown.append(hint)
        return hint

    @property
    def hints_left(self) -> int:
        return len(self.exercise.hints) - len(self.hints_shown)

    @property
    def can_see_solution(self) -> bool:
        """After at least one check, in this session or an earlier one."""
        return self.checks_run > 0 or self._stored is not None

    def solution(self) -> str:
        if not self.can_see_solution:
            raise SolutionLocked(
                "check your own code once first; then the solution is yours to see"
            )
        return self.exercise.solution

    def reset(self) -> Path | None:
        """The starter code back in the learner's file; returns where the old file was kept."""
        backup = files.reset_file(self.entry)
        self.last_result = None
        return backup

    def close(self) -> None:
        if self._own_checker and self._checker is not None:
            self._checker.close()
            self._checker = None


def progress(catalog, store) -> dict:
    """`{"done": n, "total": m}` over the catalog's exercises, for `lab progress --json`."""
    entries = catalog.exercises()
    states = store.exercise_states() if store is not None else {}
    done = sum(1 for e in entries if states.get(e.exercise.id) == DONE)
    return {"done": done, "total": len(entries)}
