"""Provides `lab quiz` (and `--plain`), `lab progress` and its export and import."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from lab.cli import app, state
from lab.quiz import MASTERY_HELP
from lab.table import terminal_width
from lab.text import hanging, plural


def fail(message: str, code: int = 1) -> NoReturn:
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
    reverse: Annotated[
        list[str] | None,
        typer.Option(
            "--reverse",
            metavar="zh|fr",
            help="With --cards: reverse cards too, that name shown, the term to recall.",
        ),
    ] = None,
) -> None:
    """Questions due for review first, then new ones; each answer is saved at once.

    Across lessons, new questions come from lessons you have read; name a lesson to take any.
    In --plain mode choices are numbered from 1; several answers as `1,3`; true/false as t/f;
    after a text answer marked wrong, `o` says you were right. End of input (Ctrl+D) ends the
    quiz with a summary; Ctrl+C too, with exit status 130.
    """
    catalog = state.catalog()
    _check_lesson(catalog, lesson)
    if not plain:
        from lab.cli.app_cmds import open_app

        open_app(f"quiz:{lesson}" if lesson else "quiz")
        return
    languages = tuple(dict.fromkeys(reverse or []))
    if any(x not in ("zh", "fr") for x in languages):
        fail("--reverse takes zh or fr", 2)
    store = open_store(required=False)
    try:
        if cards:
            code = _plain_cards(catalog, store, lesson, practice, limit, languages)
        else:
            code = _plain_quiz(catalog, store, lesson, practice, limit)
    finally:
        if store is not None:
            store.close()
    if code:
        raise typer.Exit(code)


class _Interrupted(Exception):
    """Ctrl+C at a prompt: end with the summary, then exit 130 as `lab run` does."""


def _read_line(prompt: str) -> str | None:
    """A line from stdin; None at end of input; _Interrupted on Ctrl+C."""
    typer.echo(prompt, nl=False)
    try:
        line = sys.stdin.readline()
    except KeyboardInterrupt:
        typer.echo("")
        raise _Interrupted from None
    if not line:
        typer.echo("")
        return None
    return line.rstrip("\r\n")


def _say(text: str) -> None:
    """Print prose wrapped to the terminal at word boundaries (`- ` items hang-indented)."""
    from lab.text import reflow

    echo_wrapped(reflow(text).splitlines())


def prose_width() -> int:
    """The columns prose is wrapped to: the terminal's less one, and never under 20."""
    return max(20, terminal_width() - 1)


def echo_wrapped(lines: list[str]) -> None:
    """Print each line wrapped to the terminal; continuation lines hang under its text."""
    typer.echo("\n".join(hanging(lines, prose_width())))


def _plain_quiz(catalog, store, lesson, practice, limit) -> int:
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
        new = "" if lesson else " New questions come from lessons you have read."
        _say(f"Nothing due and nothing new.{when}{new} `lab quiz --plain --all` to practise.")
        return 0
    warned, code = False, 0
    try:
        while (question := session.current) is not None:
            typer.echo(f"\n[{session.position + 1}/{session.total}] {session.current_lesson}")
            _say(question.prompt)
            if question.kind in ("single", "multiple"):
                echo_wrapped([f"  {i}. {c}" for i, c in enumerate(question.choices, start=1)])
            hint = PLAIN_HINTS[question.kind]
            while True:
                line = _read_line(f"{hint}> ")
                if line is None:
                    break
                try:
                    outcome = session.answer_text(line)
                except AnswerError as exc:
                    typer.echo(str(exc))
                    continue
                verdict, _, explanation = outcome.feedback.partition("\n")
                _say(verdict)
                _say(explanation)
                if outcome.can_overrule:
                    again = _read_line("(o: I was right; enter: go on) ")
                    if again is not None and again.strip().casefold() == "o":
                        session.overrule(outcome)
                        typer.echo("Counted as right.")
                if not outcome.stored and store is not None and not warned:
                    typer.echo(f"lab: this answer was not saved: {session.store_error}", err=True)
                    warned = True
                break
            if line is None:
                break
    except (_Interrupted, KeyboardInterrupt):  # at a prompt, or while saving
        code = 130
    typer.echo("")
    _say(session.summary().describe())
    return code


PLAIN_HINTS = {
    "single": "number",
    "multiple": "numbers, like 1,3",
    "true_false": "t/f",
    "numeric": "number",
    "text": "answer",
}


def _plain_cards(catalog, store, lesson, practice, limit, languages) -> int:
    from lab.quiz.grading import AnswerError
    from lab.quiz.session import FlashcardSession

    session = FlashcardSession(
        catalog, store, lesson, practice=practice, limit=limit, languages=languages
    )
    if not session.queue:
        typer.echo("No flashcards due and none new. `lab quiz --plain --cards --all` to practise.")
        return 0
    graded, code = 0, 0
    try:
        while (card := session.current_card) is not None:
            typer.echo(f"\n[{session.position + 1}/{len(session.queue)}] {card.front}")
            if _read_line(f"({card.question} enter shows the answer) ") is None:
                break
            echo_wrapped(card.back.splitlines())
            intervals = session.intervals()
            choices = "  ".join(f"{g[0]} {g} ({intervals[g]})" for g in intervals)
            while True:
                line = _read_line(f"{choices}> ")
                if line is None:
                    break
                word = {g[0]: g for g in intervals}.get(line.strip().casefold(), line)
                try:
                    session.grade(word)
                except AnswerError as exc:
                    typer.echo(str(exc))
                    continue
                graded += 1
                break
            if line is None:
                break
    except (_Interrupted, KeyboardInterrupt):  # at a prompt, or while saving
        code = 130
    again = f"; {session.again} to see again soon" if session.again else ""
    typer.echo(f"\n{plural(graded, 'card')} reviewed{again}.")
    return code


# --- lab progress ------------------------------------------------------------------------

progress_app = typer.Typer(
    name="progress",
    help="Reviews done, questions due and mastery per lesson; export and import.",
    invoke_without_command=True,
    no_args_is_help=False,
    rich_markup_mode=None,
)
app.add_typer(progress_app)


@progress_app.callback(help=f"Reviews done, due now, and mastery per lesson.\n\n{MASTERY_HELP}")
def progress(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    if ctx.invoked_subcommand is not None:
        return
    from lab.exercises.session import progress as exercise_progress
    from lab.quiz.predict import progress as prediction_progress
    from lab.quiz.progress import progress as figures
    from lab.table import table

    catalog = state.catalog()
    store = open_store(reading=True)
    with store:
        data = figures(catalog, store)
        exercises = exercise_progress(catalog, store)
        predictions = prediction_progress(catalog, store)
        read = store.lessons_read()
    # `due` and `next_due` count quiz questions; a missed prediction is asked again by its
    # experiment, not the quiz, so it is counted on its own.
    predictions_due = sum(1 for p in predictions if p["due_now"])
    if as_json:
        output = {
            **data.to_json(),
            "predictions_due": predictions_due,
            "exercises": exercises,
            "predictions": predictions,
        }
        typer.echo(json.dumps(output, indent=2))
        return
    rows = [
        [
            x.id,
            "yes" if x.id in read else "",
            x.reviews,
            x.due,
            f"{round(100 * x.mastery)}%",
            f"{round(100 * x.cards)}%" if x.cards_seen else "",
        ]
        for x in data.lessons
    ]
    typer.echo(table(["lesson", "read", "reviews", "due", "mastery", "cards"], rows))
    due = f"{plural(data.due, 'question')} due now"
    if data.next_due:
        due += f"; the next at {data.next_due.astimezone():%Y-%m-%d %H:%M}"
    typer.echo(f"\n{plural(data.reviews, 'review')} in all; {due}.")
    if predictions_due:
        again = plural(predictions_due, "prediction")
        typer.echo(f"{again} to make again: open the experiment (Continue on home).")
    typer.echo(f"{exercises['done']} of {plural(exercises['total'], 'exercise')} done.")
    typer.echo("Mastery: expected recall now, averaged over a lesson's questions (see --help).")


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
        f"exported {plural(len(data['reviews']), 'review')}, "
        f"{plural(len(data['lessons_read']), 'lesson')} read "
        f"and {plural(len(data['runs']), 'run')} to {file}"
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
        f"imported {plural(counts['reviews'], 'new review')}, "
        f"{plural(counts['lessons_read'], 'lesson')} read and {plural(counts['runs'], 'run')}"
    )
