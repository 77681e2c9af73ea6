"""Provides `lab glossary` from a term index cached by the lesson files' sizes and times.

A learner looks terms up often; when no lesson file changed since the last look-up, the answer
comes from one small JSON file without parsing YAML or importing pydantic.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

from lab import __version__, paths
from lab.table import table, terminal_width
from lab.text import cell_width, labelled, plural, reflow, wrap_cells

INDEX_FORMAT = "2"
"""Bumped when the cached index's fields change (2: lesson numbers and titles)."""
SHORT_MIN = 40
TRANSLATION_MAX = 20
"""The list adds the 中文 and français columns (each at most TRANSLATION_MAX cells, wrapped)
only when the short definitions keep SHORT_MIN cells beside them."""


def _cache_file(files: list[Path]) -> Path:
    digest = hashlib.sha256(f"{__version__}/{INDEX_FORMAT}".encode())
    for f in files:
        try:
            st = f.stat()
        except OSError:
            continue
        digest.update(f"{f.resolve()}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return paths.lab_home() / "cache" / f"glossary-{digest.hexdigest()[:20]}.json"


def index(dirs: list[Path]) -> dict:
    """{"terms": [term JSON, ...], "lessons": {id: "3. Title"}, "problems": count}, from the
    cache when it is current."""
    cache = _cache_file(paths.lesson_files(dirs))
    try:
        return json.loads(cache.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    from lab.catalog import load_catalog

    catalog = load_catalog(dirs)
    data = {
        "terms": [e.to_json() for e in catalog.terms()],
        "lessons": {lesson.id: f"{lesson.order}. {lesson.title}" for lesson in catalog.lessons},
        "problems": len(catalog.problems),
    }
    _save(cache, data)
    return data


def _save(cache: Path, data: dict) -> None:
    try:  # best effort: a read-only LAB_HOME only costs speed
        paths.ensure_home()
        cache.parent.mkdir(parents=True, exist_ok=True)
        for old in cache.parent.glob("glossary-*.json"):
            old.unlink(missing_ok=True)
        tmp = cache.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        tmp.replace(cache)
    except OSError:
        pass


def names(term: dict) -> list[str]:
    zh, fr = term["translations"]["zh"], term["translations"]["fr"]
    return [term["term"], *term["aliases"], *(x for x in (zh, fr) if x)]


def show(query: str | None, as_json: bool, dirs: list[Path]) -> int:
    """Print one term (or all) and return the exit code: 1 when nothing matches."""
    data = index(dirs)
    terms = data["terms"]
    if data["problems"] and not as_json:
        print(
            f"lab: {plural(data['problems'], 'problem')} in lesson files; run `lab validate`",
            file=sys.stderr,
        )
    if query is None:
        if as_json:
            print(json.dumps(terms, ensure_ascii=False, indent=2))
        else:
            print(term_table(terms, terminal_width()))
        return 0
    from lab.catalog.search import MATCH, rank

    ranked = rank(query, [names(t) for t in terms], limit=5)
    if not ranked or ranked[0][1] < MATCH:
        closest = ", ".join(terms[i]["term"] for i, _ in ranked) or "none"
        if as_json:
            print("[]")
        print(f"lab: no term matches {query!r}. Closest: {closest}", file=sys.stderr)
        return 1
    term = terms[ranked[0][0]]
    if as_json:
        print(json.dumps([term], ensure_ascii=False, indent=2))
    else:
        width = min(terminal_width(), 100)
        print(format_term(term, width, data.get("lessons", {})))
    return 0


def term_table(terms: list[dict], width: int) -> str:
    """Every term with its short definition, and its translations when they fit beside it."""
    zh = [t["translations"]["zh"] or "" for t in terms]
    fr = [t["translations"]["fr"] or "" for t in terms]
    beside = [
        max(cell_width(x) for x in column)
        for column in (["term", *(t["term"] for t in terms)], ["中文", *zh], ["français", *fr])
    ]
    limits = [None, TRANSLATION_MAX, TRANSLATION_MAX, None]
    if beside[0] + sum(min(w, TRANSLATION_MAX) for w in beside[1:]) + 3 * 2 + SHORT_MIN <= width:
        rows = [[t["term"], z, f, t["short"]] for t, z, f in zip(terms, zh, fr, strict=True)]
        return table(["term", "中文", "français", "short"], rows, width, limits)
    return table(["term", "short"], [[t["term"], t["short"]] for t in terms], width)


def format_term(t: dict, width: int = 80, lessons: dict[str, str] | None = None) -> str:
    """One term for the terminal: every line within `width` cells, each wrapped line indented
    like its first."""

    def field(name: str, value: str) -> list[str]:
        return labelled(f"{name}:", value, width)

    aliases = f"  ({', '.join(t['aliases'])})" if t["aliases"] else ""
    lines = wrap_cells(t["term"] + aliases, width, "  ", "")
    lines += wrap_cells(t["short"], width, "  ")
    lines.append("")
    for para in reflow(t["definition"]).split("\n\n"):
        for line in para.splitlines():
            lines += wrap_cells(line, width, "  ")
        lines.append("")
    if t["translations"]["zh"]:
        lines += field("中文", t["translations"]["zh"])
    if t["translations"]["fr"]:
        lines += field("français", t["translations"]["fr"])
    if t["see_also"]:
        lines += field("see also", ", ".join(t["see_also"]))
    lesson = (lessons or {}).get(t["lesson"])
    lines += field("lesson", f"{lesson} ({t['lesson']})" if lesson else t["lesson"])
    return "\n".join(lines)
