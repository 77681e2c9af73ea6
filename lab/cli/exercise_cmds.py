"""Provides `lab exercises`, `lab exercise`, `lab check` and `lab watch` (no torch here)."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from lab.cli import app, state
from lab.cli.progress_cmds import echo_wrapped, fail, prose_width
from lab.table import table
from lab.text import plural, reflow, wrap_cells

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
POLL_S = 0.1
"""How often `lab watch` looks at the file's time and size: a save is seen within this."""
SETTLE_S = 0.03
"""A change is checked once the file has stayed the same this long (not half-written)."""


def _store():
    """The learner's store, or None (then nothing is recorded) with one line saying so."""
    from lab.store import Store, StoreError

    try:
        return Store.open()
    except StoreError as exc:
        typer.echo(f"lab: {exc}; exercise results will not be saved", err=True)
        return None


def _entry(exercise_id: str):
    entry = state.catalog().exercise(exercise_id)
    if entry is None:
        known = ", ".join(e.exercise.id for e in state.catalog().exercises()) or "none"
        fail(f"no exercise {exercise_id!r}. Exercises: {known}", 2)
    return entry


def _entries(lesson: str | None) -> list:
    catalog = state.catalog()
    if lesson and catalog.lesson(lesson) is None:
        known = ", ".join(x.id for x in catalog.lessons) or "none"
        fail(f"no lesson {lesson!r}. Lessons: {known}", 2)
    return catalog.exercises(lesson)


@app.command()
def exercises(
    lesson: Annotated[str | None, typer.Argument(help="One lesson's id (default: all).")] = None,
    as_json: JsonFlag = False,
) -> None:
    """List the code exercises, with your file for each and whether it is done."""
    from lab.exercises.files import exercise_path

    entries = _entries(lesson)
    store = _store()
    states = store.exercise_states() if store else {}
    rows = [
        {
            "id": e.exercise.id,
            "lesson": e.lesson,
            "title": e.exercise.title,
            "path": str(exercise_path(e)),
            "done": states.get(e.exercise.id) == "done",
        }
        for e in entries
    ]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    shown = [
        [r["id"], r["lesson"], "done" if r["done"] else states.get(r["id"], "-"), r["title"]]
        for r in rows
    ]
    typer.echo(table(["id", "lesson", "state", "title"], shown))


@app.command()
def exercise(
    exercise_id: Annotated[str, typer.Argument(metavar="ID", help="An exercise's id.")],
    solution: Annotated[
        bool, typer.Option("--solution", help="Print the reference solution (after a check).")
    ] = False,
    hint: Annotated[
        int | None, typer.Option("--hint", min=1, metavar="N", help="Print hint N (from 1).")
    ] = None,
    reset: Annotated[
        bool, typer.Option("--reset", help="Put the starter code back (your file is kept).")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Reset without asking.")] = False,
) -> None:
    """Show an exercise: its task and your file (created from the starter the first time)."""
    from lab.exercises.session import SOLUTION_NOTE, ExerciseSession, SolutionLocked

    entry = _entry(exercise_id)
    session = ExerciseSession(entry, _store())
    ex = entry.exercise
    if solution:
        try:
            text = session.solution()
        except SolutionLocked as exc:
            fail(f"{exc} (`lab check {ex.id}`)", 1)
        typer.echo(f"# {SOLUTION_NOTE}\n")
        typer.echo(text.rstrip("\n"))
        return
    if hint is not None:
        if hint > len(ex.hints):
            fail(f"{ex.id} has {plural(len(ex.hints), 'hint')}", 1)
        typer.echo(f"hint {hint} of {len(ex.hints)}: {ex.hints[hint - 1]}")
        return
    if reset:
        if not yes and not typer.confirm(f"Put the starter code back in {session.path}?"):
            raise typer.Exit(1)
        backup = session.reset()
        typer.echo(
            f"starter code back in {session.path}" + (f"; yours is {backup}" if backup else "")
        )
        return
    created = session.open()
    lines = [f"{ex.title}  ({ex.id}, lesson {entry.lesson}, {session.state})", ""]
    lines += reflow(ex.task).splitlines()
    lines += ["", f"{'created' if created else 'your file'}: {session.path}"]
    lines += [f"check it: lab check {ex.id}", f"re-check on every save: lab watch {entry.lesson}"]
    if ex.hints:
        lines.append(f"hints: lab exercise {ex.id} --hint 1 (of {len(ex.hints)})")
    echo_wrapped(lines)


def print_result(result) -> None:
    """What the learner's code printed (capped), then each check, then the verdict, last. The
    checks wrap to the terminal under their text; what the code printed and an error (a
    traceback) are shown as they are."""
    if result.output.strip():
        typer.echo("your code printed:\n  " + result.output.rstrip("\n").replace("\n", "\n  "))
    lines = []
    for outcome in result.checks:
        mark = "ok  " if outcome.passed else "FAIL"
        lines += wrap_cells(outcome.name, prose_width(), " " * 5, f"{mark} ")
        if not outcome.passed and outcome.message:
            lines += ["     " + line for line in outcome.message.splitlines()]
    echo_wrapped(lines)
    if result.error:
        typer.echo(result.error)
        typer.echo(f"({result.seconds:.2f} s)")
    else:
        verdict = result.summary() + f" ({result.seconds:.2f} s)"
        typer.echo(("done: " if result.passed else "") + verdict)


@app.command()
def check(
    exercise_id: Annotated[str, typer.Argument(metavar="ID", help="An exercise's id.")],
    file: Annotated[
        Path | None,
        typer.Option(
            "--file", metavar="PATH", help="Check this file instead of yours (an attempt too)."
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Check your file: exit 0 when every check passes, 1 when one fails, 2 when it cannot run."""
    from lab.exercises.checker import Checker, SourceError, read_source
    from lab.exercises.session import STILL_DONE, ExerciseSession

    checker = Checker(one_check=True)  # it imports torch while this one reads the lessons
    try:
        entry = _entry(exercise_id)
    except BaseException:
        checker.close()
        raise
    session = ExerciseSession(entry, _store(), checker=checker)
    source = None
    if file is not None:
        try:
            source = read_source(file)
        except SourceError as exc:
            fail(str(exc), 2)
    else:
        if session.open():
            typer.echo(f"created {session.path} from the starter code", err=True)
        try:
            session.source()
        except SourceError as exc:
            fail(str(exc), 2)
    try:
        result = session.check(source, file)
    finally:
        session.close()
        checker.close()
    if as_json:
        typer.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        print_result(result)
        if session.latest_fails:
            typer.echo(f"{entry.exercise.id} is {STILL_DONE}")
    raise typer.Exit(0 if result.passed else 1)


@app.command()
def watch(
    lesson: Annotated[str | None, typer.Argument(help="One lesson's id (default: all).")] = None,
) -> None:
    """Re-check your file on every save; when it passes, go on to the next exercise."""
    from lab.exercises.checker import Checker
    from lab.exercises.session import DONE, ExerciseSession

    entries = _entries(lesson)
    if not entries:
        fail("no exercises" + (f" in lesson {lesson!r}" if lesson else ""), 2)
    store = _store()
    checker = Checker()  # imports torch in its own process while the first file is prepared
    sessions = [ExerciseSession(e, store, checker) for e in entries]
    todo = [s for s in sessions if s.state != DONE]
    try:
        for n, session in enumerate(todo):
            _watch_one(session, sessions, first=n == 0)
        typer.echo(all_done(len(sessions)))
    except KeyboardInterrupt:
        typer.echo("")
    finally:
        checker.close()


def all_done(n: int) -> str:
    """What `lab watch` says when every exercise it watched is done."""
    return "the exercise is done" if n == 1 else f"all {n} exercises done"


def _watch_one(session, sessions, first: bool) -> None:
    session.open()
    ex = session.exercise
    done = sum(1 for s in sessions if s.state == "done")
    _clear()
    typer.echo(f"{ex.title}  ({ex.id}, {done} of {len(sessions)} done)\n")
    typer.echo(ex.task.rstrip("\n"))
    typer.echo(f"\nedit {session.path}\nit is checked on every save; ctrl+c stops")
    last = None
    while True:
        stamp = _stamp(session.path)
        if stamp != last:
            time.sleep(SETTLE_S)  # an editor's save may take two writes: check the last one
            if _stamp(session.path) != stamp:
                continue
            last = stamp
            typer.echo(f"\n--- checking {session.path.name} at {time.strftime('%H:%M:%S')}")
            if first:
                typer.echo("(the first check waits for PyTorch to load)")
                first = False
            result = session.check()
            print_result(result)
            if result.passed:
                typer.echo(f"\n{ex.id} is done.")
                time.sleep(1.0)
                return
            if ex.hints:
                typer.echo(f"stuck? lab exercise {ex.id} --hint 1")
        time.sleep(POLL_S)


def _stamp(path: Path) -> tuple | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


def _clear() -> None:
    if sys.stdout.isatty():
        sys.stdout.write("\x1b[2J\x1b[H")
        sys.stdout.flush()
