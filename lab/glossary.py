"""Provides `lab glossary` from a term index cached by the lesson files' sizes and times.

A learner looks terms up often; when no lesson file changed since the last look-up, the answer
comes from one small JSON file without parsing YAML or importing pydantic.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import textwrap
from pathlib import Path

from lab import __version__, paths
from lab.table import table
from lab.text import reflow


def _cache_file(files: list[Path]) -> Path:
    digest = hashlib.sha256(__version__.encode())
    for f in files:
        try:
            st = f.stat()
        except OSError:
            continue
        digest.update(f"{f.resolve()}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return paths.lab_home() / "cache" / f"glossary-{digest.hexdigest()[:20]}.json"


def index(dirs: list[Path]) -> dict:
    """{"terms": [term JSON, ...], "problems": count}, from the cache when it is current."""
    cache = _cache_file(paths.lesson_files(dirs))
    try:
        return json.loads(cache.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    from lab.catalog import load_catalog

    catalog = load_catalog(dirs)
    data = {"terms": [e.to_json() for e in catalog.terms()], "problems": len(catalog.problems)}
    _save(cache, data)
    return data


def _save(cache: Path, data: dict) -> None:
    try:  # best effort: a read-only LAB_HOME only costs speed
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
            f"lab: {data['problems']} problem(s) in lesson files; run `lab validate`",
            file=sys.stderr,
        )
    if query is None:
        if as_json:
            print(json.dumps(terms, ensure_ascii=False, indent=2))
        else:
            print(table(["term", "short"], [[t["term"], t["short"]] for t in terms]))
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
    print(json.dumps([term], ensure_ascii=False, indent=2) if as_json else format_term(term))
    return 0


def format_term(t: dict) -> str:
    head = t["term"] + (f"  ({', '.join(t['aliases'])})" if t["aliases"] else "")
    lines = [head, f"  {t['short']}", ""]
    for para in reflow(t["definition"]).split("\n\n"):
        for line in para.splitlines():
            lines += textwrap.wrap(line, 78, initial_indent="  ", subsequent_indent="  ")
        lines.append("")
    if t["translations"]["zh"]:
        lines.append(f"  中文:     {t['translations']['zh']}")
    if t["translations"]["fr"]:
        lines.append(f"  français: {t['translations']['fr']}")
    if t["see_also"]:
        lines.append(f"  see also: {', '.join(t['see_also'])}")
    lines.append(f"  lesson:   {t['lesson']}")
    return "\n".join(lines)
