"""Provides `lab lessons`, `lab glossary`, `lab experiments` and `lab validate` (no torch here)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Annotated

import typer

from lab.cli import app, state
from lab.cli.output import table

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def _print_json(data) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _warn_problems(catalog) -> None:
    if catalog.problems:
        typer.echo(
            f"lab: {len(catalog.problems)} problem(s) in lesson files; run `lab validate`",
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


def term_json(entry) -> dict:
    t = entry.term
    return {
        "term": t.term,
        "aliases": list(t.aliases),
        "short": t.short,
        "definition": t.definition,
        "translations": {"zh": t.translations.zh, "fr": t.translations.fr},
        "see_also": list(t.see_also),
        "lesson": entry.lesson,
    }


@app.command()
def glossary(
    term: Annotated[str | None, typer.Argument(help="A term, alias or translation.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """List every term, or show one (matched fuzzily on names, aliases and translations)."""
    from lab.catalog.search import MATCH

    catalog = state.catalog()
    if term is None:
        entries = catalog.terms()
        if as_json:
            _print_json([term_json(e) for e in entries])
            return
        _warn_problems(catalog)
        typer.echo(table(["term", "short"], [[e.term.term, e.term.short] for e in entries]))
        return
    ranked = catalog.search_terms(term, limit=5)
    if not ranked or ranked[0][1] < MATCH:
        names = ", ".join(e.term.term for e, _ in ranked) or "none"
        if as_json:
            _print_json([])
        typer.echo(f"lab: no term matches {term!r}. Closest: {names}", err=True)
        raise typer.Exit(1)
    entry = ranked[0][0]
    if as_json:
        _print_json([term_json(entry)])
        return
    typer.echo(format_term(entry))


def format_term(entry) -> str:
    t = entry.term
    head = t.term + (f"  ({', '.join(t.aliases)})" if t.aliases else "")
    lines = [head, f"  {t.short}", ""]
    for para in t.definition.strip().split("\n\n"):
        lines += textwrap.wrap(
            " ".join(para.split()), 78, initial_indent="  ", subsequent_indent="  "
        )
        lines.append("")
    if t.translations.zh:
        lines.append(f"  中文:     {t.translations.zh}")
    if t.translations.fr:
        lines.append(f"  français: {t.translations.fr}")
    if t.see_also:
        lines.append(f"  see also: {', '.join(t.see_also)}")
    lines.append(f"  lesson:   {entry.lesson}")
    return "\n".join(lines)


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
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Lesson files or folders (default: all).")
    ] = None,
) -> None:
    """Check lesson files: exit 0 when all are clean, 1 listing every problem."""
    from lab.catalog import load_catalog
    from lab.catalog.catalog import default_dirs
    from lab.catalog.loader import lesson_files

    if paths:
        missing = [p for p in paths if not p.exists()]
        for p in missing:
            typer.echo(f"{p}: no such file or folder", err=True)
        if missing:
            raise typer.Exit(1)
        # The shipped lessons come along so that links to their terms resolve.
        files = {f.resolve(): f for f in lesson_files(paths)}
        for f in lesson_files(default_dirs(state.extra_lesson_dirs)):
            files.setdefault(f.resolve(), f)
        named = {f.resolve() for f in lesson_files(paths)}
        for f in lesson_files(default_dirs(state.extra_lesson_dirs)):
            files.setdefault(f.resolve(), f)
        catalog = load_catalog(list(files.values()))
        problems = [p for p in catalog.problems if p.path.resolve() in named]
        n = len(named)
    else:
        catalog = state.catalog()
        problems = catalog.problems
        n = len(catalog.lessons)
    for problem in problems:
        typer.echo(str(problem))
    if problems:
        typer.echo(f"{len(problems)} problem(s) in {n} file(s)", err=True)
        raise typer.Exit(1)
    typer.echo(f"ok: {n} lesson file(s), no problems")
