"""Provides `lab quiz` (and `--plain`), `lab progress` and its export and import."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from lab.cli import app, state


def fail(message: str, code: int = 1):
    """One line on stderr, then exit: never a traceback."""
    typer.echo(f"lab: {message}", err=True)
    raise typer.Exit(code)


def open_store(required: bool = True, reading: bool = False):
    """The learner's Store; without one, fail (required) or warn and return None.

    With `reading`, a store that cannot be written (read-only LAB_HOME) is opened read-only.
    """
    from lab.store import Store, StoreError

    try:
        store = Store.open()
    except StoreError as exc:
        if reading:
            try:
                store = Store.open_readonly()
            except StoreError:
                fail(str(exc))
            typer.echo(f"lab: {exc}; showing what is saved, read-only", err=True)
            return store
        if required:
            fail(str(exc))
        typer.echo(f"lab: {exc}; answers will not be saved", err=True)
        return None
    if store.notice:
        typer.echo(f"lab: {store.notice}", err=True)
    return store


def _check_lesson(catalog, lesson: str | None) -> None:
    if lesson and catalog.lesson(lesson) is None:
        known = ", ".join(x.id for x in catalog.lessons) or "none"
        fail(f"no lesson {lesson!r}. Lessons: {known}", 2)


# --- lab quiz ----------------------------------------------------------------------------


@app.command()
def quiz(
    lesson: Annotated[str | None, typer.Argument(help="One lesson's id (default: all).")] = None,
    plain: Annotated[
        bool, typer.Option("--plain", help="Ask line by line on stdin/stdout, no full screen.")
    ] = False,
    practice: Annotated[
        bool, typer.Option("--all", help="After due and new questions, ask the rest too.")
    ] = False,
    cards: Annotated[
        bool, typer.Option("--cards", help="Glossary flashcards instead of questions.")
    ] = False,
    limit: Annotated[int | None, typer.Option(min=1, help="Ask at most this many.")] = None,
) -> None:
    """Questions due for review first, then new ones; each answer is saved at once.

    In --plain mode choices are numbered from 1; several answers as `1,3`; true/false as t/f.
    End of input (Ctrl+D) ends the quiz with a summary.
    """
    catalog = state.catalog()
    _check_lesson(catalog, lesson)
    if not plain:
        from lab.cli.app_cmds import open_app

        open_app(f"quiz:{lesson}" if lesson else "quiz")
        return
    store = open_store(required=False)
    try:
        if cards:
            _plain_cards(catalog, store, lesson, practice, limit)
        else:
            _plain_quiz(catalog, store, lesson, practice, limit)
    finally:
        if store is not None:
            store.close()


def _read_line(prompt: str) -> str | None:
    typer.echo(prompt, nl=False)
    try:
        line = sys.stdin.readline()
    except KeyboardInterrupt:
        typer.echo("")
        return None
    if not line:
        typer.echo("")
        return None
    return line.rstrip("\r\n")


def _plain_quiz(catalog, store, lesson, practice, limit) -> None:
    from lab.quiz.grading import AnswerError
    from lab.quiz.session import QuizSession

    session = QuizSession(catalog, store, lesson, practice=practice, limit=limit)
    if session.total == 0:
        summary = session.summary()
        when = (
            f" The next is due {summary.next_due.astimezone():%Y-%m-%d %H:%M}."
            if summary.next_due
            else ""
        )
        typer.echo(f"Nothing due and nothing new.{when} `lab quiz --plain --all` to practise.")
        return
    warned = False
    while (question := session.current) is not None:
        typer.echo(f"\n[{session.position + 1}/{session.total}] {session.current_lesson}")
        typer.echo(question.prompt.strip())
        if question.kind in ("single", "multiple"):
            for i, choice in enumerate(question.choices, start=1):
                typer.echo(f"  {i}. {choice}")
        hint = {
            "single": "number",
            "multiple": "numbers, like 1,3",
            "true_false": "t/f",
            "numeric": "number",
            "text": "answer",
        }[question.kind]
        while True:
            line = _read_line(f"{hint}> ")
            if line is None:
                break
            try:
                outcome = session.answer_text(line)
            except AnswerError as exc:
                typer.echo(str(exc))
                continue
            typer.echo(outcome.feedback)
            if not outcome.stored and store is not None and not warned:
                typer.echo(f"lab: this answer was not saved: {session.store_error}", err=True)
                warned = True
            break
        if line is None:
            break
    typer.echo("\n" + session.summary().describe())


def _plain_cards(catalog, store, lesson, practice, limit) -> None:
    from lab.quiz.grading import AnswerError
    from lab.quiz.session import FlashcardSession

    session = FlashcardSession(catalog, store, lesson, practice=practice, limit=limit)
    if not session.queue:
        typer.echo("No flashcards due and none new. `lab quiz --plain --cards --all` to practise.")
        return
    total, graded = len(session.queue), 0
    while (entry := session.current) is not None:
        typer.echo(f"\n[{session.position + 1}/{total}] {entry.term.term}")
        if _read_line("(enter shows the definition) ") is None:
            break
        typer.echo(entry.term.definition.strip())
        while True:
            line = _read_line("again/hard/good/easy (a/h/g/e)> ")
            if line is None:
                break
            word = {"a": "again", "h": "hard", "g": "good", "e": "easy"}.get(
                line.strip().casefold(), line
            )
            try:
                session.grade(word)
            except AnswerError as exc:
                typer.echo(str(exc))
                continue
            graded += 1
            break
        if line is None:
            break
    typer.echo(f"\n{graded} card(s) reviewed.")


# --- lab progress ------------------------------------------------------------------------

progress_app = typer.Typer(
    name="progress",
    help="Reviews done, questions due and mastery per lesson; export and import.",
    invoke_without_command=True,
    no_args_is_help=False,
    rich_markup_mode=None,
)
app.add_typer(progress_app)


@progress_app.callback()
def progress(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Reviews done, due now, and mastery per lesson.

    Mastery is the share of a lesson's questions last answered right and not yet due again.
    """
    if ctx.invoked_subcommand is not None:
        return
    from lab.table import table

    catalog = state.catalog()
    store = open_store(reading=True)
    from lab.exercises.session import progress as exercise_progress
    from lab.quiz.predict import progress as prediction_progress

    with store:
        data = store.progress(catalog)
        data["exercises"] = exercise_progress(catalog, store)
        data["predictions"] = prediction_progress(catalog, store)
        read = store.lessons_read()
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    rows = [
        [
            x["id"],
            "yes" if x["id"] in read else "",
            x["reviews"],
            x["due"],
            f"{round(100 * x['mastery'])}%",
        ]
        for x in data["lessons"]
    ]
    typer.echo(table(["lesson", "read", "reviews", "due", "mastery"], rows))
    typer.echo(f"\n{data['reviews']} review(s) in all; {data['due']} question(s) due now.")
    typer.echo(f"{data['exercises']['done']} of {data['exercises']['total']} exercise(s) done.")


@progress_app.command("export")
def progress_export(
    file: Annotated[
        Path | None, typer.Argument(help="Where to write the JSON (default: standard output).")
    ] = None,
) -> None:
    """Write every answer, lesson read and run as JSON, to back up or move your progress."""
    store = open_store(reading=True)
    with store:
        data = store.export_json()
    text = json.dumps(data, ensure_ascii=False, indent=1)
    if file is None or str(file) == "-":
        typer.echo(text)
        return
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{file.name}.", dir=file.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text + "\n")
        os.replace(tmp, file)
    except OSError as exc:
        fail(f"cannot write {file}: {exc.strerror or exc}")
    typer.echo(
        f"exported {len(data['reviews'])} review(s), {len(data['lessons_read'])} lesson(s) read "
        f"and {len(data['runs'])} run(s) to {file}"
    )


@progress_app.command("import")
def progress_import(
    file: Annotated[Path, typer.Argument(help="A file made by `lab progress export` (- = stdin).")],
) -> None:
    """Merge an export into your progress; what is already here is not added twice."""
    from lab.store import StoreError

    try:
        text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {file}: {getattr(exc, 'strerror', None) or exc}")
    try:
        data = json.loads(text)
    except ValueError as exc:
        fail(f"{file} is not JSON: {exc}")
    store = open_store()
    with store:
        try:
            counts = store.import_json(data)
        except StoreError as exc:
            fail(str(exc))
    typer.echo(
        f"imported {counts['reviews']} new review(s), {counts['lessons_read']} lesson(s) read "
        f"and {counts['runs']} run(s)"
    )
