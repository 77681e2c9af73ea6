"""Provides code exercises: the learner's file, checking it in a worker process, a session.

Nothing here imports torch or textual; the check server (`lab.exercises.check_server`, a separate
process) imports torch and runs the learner's code. Public API, for the CLI and the TUI:

- `catalog.exercises(lesson=None) -> list[ExerciseEntry]`, `catalog.exercise(id)`:
  `ExerciseEntry.exercise` is the model (`lab.catalog.exercise_schema.Exercise`: `id`, `title`,
  `task` (Markdown), `starter`, `solution`, `hints`, `checks`, `time_limit`), `.lesson` its
  lesson's id.
- `Checker()` (`lab.exercises.checker`): a checking process started at once in the background
  (it imports torch there, then forks one child per check). `checker.check(exercise, path)
  -> Result` blocks (call it on a thread in the TUI); `checker.close()` ends the process.
- `Result` (`lab.exercises.result`): `checks: list[CheckOutcome(name, passed, message)]`,
  `error: str | None` (syntax error, time limit, crash, unreadable file: one message a beginner
  understands, with their traceback trimmed to their file), `output` (what their code printed,
  capped), `seconds`; `.passed` is True when there is no error and every check passed;
  `.summary()` is one line.
- `ExerciseSession(entry, store=None, checker=None)` (`lab.exercises.session`): `.path` (the
  learner's file under LAB_HOME/exercises/, created from the starter by `.open()`, never
  overwritten), `.state` ("not started", "failing" or "done"), `.check() -> Result` (records the
  state in the store), `.last_result`, `.next_hint() -> str | None` and `.hints_shown`,
  `.can_see_solution` (after at least one check), `.solution()`, `.reset() -> Path` (the starter
  back; the old file kept as a backup whose path is returned).
  `SolutionLocked` is raised by `.solution()` before a check; show `SOLUTION_NOTE` beside it.
  `.hints_left`, `.store_error` (a store that failed to write: the result still stands).
- `read_source(path)` / `SourceError` (`lab.exercises.checker`): a file that is missing, not
  UTF-8 or over 1 MB, as one line; `Checker.check` returns it as `Result.error` too.
- `lab.exercises.session.progress(catalog, store) -> {"done": n, "total": m}` (home screen).
- `lab.exercises.session.NOT_STARTED`, `FAILING`, `DONE`: the three states.
"""
