"""Provides `lab lessons`, `lab glossary`, `lab experiments` and `lab validate` (no torch here)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from lab import paths
from lab.cli import app, state
from lab.table import table
from lab.text import plural

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def _print_json(data) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _warn_problems(catalog) -> None:
    if catalog.problems:
        typer.echo(
            f"lab: {plural(len(catalog.problems), 'problem')} in lesson files; run `lab validate`",
            err=True,
        )


@app.command()
def lessons(as_json: JsonFlag = False) -> None:
    """List the lessons in teaching order."""
    catalog = state.catalog()
    rows = [
        {
            "id": lesson.id,
            "title": lesson.title,
            "order": lesson.order,
            "summary": lesson.summary,
            "terms": len(lesson.glossary),
            "questions": len(lesson.quiz),
            "experiments": len(lesson.experiments),
        }
        for lesson in catalog.lessons
    ]
    if as_json:
        _print_json(rows)
        return
    _warn_problems(catalog)
    headers = ["#", "id", "title", "terms", "questions", "experiments"]
    keys = ["order", "id", "title", "terms", "questions", "experiments"]
    typer.echo(table(headers, [[r[k] for k in keys] for r in rows]))


@app.command()
def glossary(
    term: Annotated[str | None, typer.Argument(help="A term, alias or translation.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """List every term, or show one (matched fuzzily on names, aliases and translations)."""
    from lab import glossary as view

    code = view.show(term, as_json, paths.default_lesson_dirs(state.extra_lesson_dirs))
    if code:
        raise typer.Exit(code)


@app.command()
def experiments(as_json: JsonFlag = False) -> None:
    """List every experiment with its lesson and kind."""
    catalog = state.catalog()
    rows = [
        {
            "id": e.experiment.id,
            "lesson": e.lesson,
            "title": e.experiment.title,
            "kind": e.experiment.kind,
        }
        for e in catalog.experiments()
    ]
    if as_json:
        _print_json(rows)
        return
    _warn_problems(catalog)
    keys = ["id", "lesson", "title", "kind"]
    typer.echo(table(keys, [[r[k] for k in keys] for r in rows]))


@app.command()
def validate(
    paths_: Annotated[
        list[Path] | None,
        typer.Argument(metavar="PATH...", help="Lesson files or folders (default: all)."),
    ] = None,
    no_run: Annotated[
        bool, typer.Option("--no-run", help="Do not run the exercises' solutions and starters.")
    ] = False,
) -> None:
    """Check lesson files: exit 0 when all are clean, 1 listing every problem.

    Each exercise's solution is run against its checks (it must pass) and its starter code
    (it must fail), in a worker process.
    """
    from lab.catalog import load_catalog

    if paths_:
        missing = [p for p in paths_ if not p.exists()]
        for p in missing:
            typer.echo(f"{p}: no such file or folder", err=True)
        if missing:
            raise typer.Exit(1)
        named = paths.lesson_files(paths_)
        # The shipped lessons come along so that links to their terms resolve.
        files = {f.resolve(): f for f in named}
        for f in paths.lesson_files(paths.default_lesson_dirs(state.extra_lesson_dirs)):
            files.setdefault(f.resolve(), f)
        catalog = load_catalog(list(files.values()))
        wanted = {f.resolve() for f in named}
        problems = [p for p in catalog.problems if p.path.resolve() in wanted]
        n = len(wanted)
        entries = [e for e in catalog.exercises() if e.source.path.resolve() in wanted]
    else:
        catalog = state.catalog()
        problems = list(catalog.problems)
        n = len(catalog.lessons)
        entries = catalog.exercises()
    if entries and not no_run:
        from lab.exercises.checker import Checker
        from lab.exercises.validate import exercise_problems

        with Checker() as checker:
            problems += exercise_problems(entries, checker)
    for problem in problems:
        typer.echo(str(problem))
    if problems:
        typer.echo(f"{plural(len(problems), 'problem')} in {plural(n, 'file')}", err=True)
        raise typer.Exit(1)
    typer.echo(f"ok: {plural(n, 'lesson file')}, no problems")
