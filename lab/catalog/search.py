"""Provides fuzzy glossary search over terms, aliases and translations (rapidfuzz)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process, utils

if TYPE_CHECKING:
    from lab.catalog.catalog import TermEntry

MATCH = 88.0  # a score at or above this is taken as the term the learner meant


def names_of(entry: TermEntry) -> list[str]:
    t = entry.term
    return [t.term, *t.aliases, *(x for x in (t.translations.zh, t.translations.fr) if x)]


def rank_terms(query: str, entries: list[TermEntry], limit: int) -> list[tuple[TermEntry, float]]:
    """Best score of each term over all its names; exact names score 100 and come first."""
    query = query.strip()
    if not query:
        return [(e, 0.0) for e in entries[:limit]]
    choices: list[str] = []
    owners: list[int] = []
    for i, entry in enumerate(entries):
        for name in names_of(entry):
            choices.append(name)
            owners.append(i)
    best: dict[int, float] = {}
    folded = query.casefold()
    for k, name in enumerate(choices):
        if name.casefold() == folded:
            best[owners[k]] = 100.0 + 1  # exact beats any fuzzy 100
    hits = process.extract(
        query, choices, scorer=fuzz.WRatio, processor=utils.default_process, limit=limit * 4
    )
    for _name, score, k in hits:
        i = owners[k]
        best[i] = max(best.get(i, 0.0), float(score))
    ranked = sorted(best.items(), key=lambda kv: (-kv[1], entries[kv[0]].term.term))
    return [(entries[i], min(score, 100.0)) for i, score in ranked[:limit]]
