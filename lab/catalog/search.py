"""Provides fuzzy glossary search over terms, aliases and translations (rapidfuzz)."""

from __future__ import annotations

from rapidfuzz import fuzz, process, utils

MATCH = 88.0  # a score at or above this is taken as the term the learner meant


def rank(query: str, names: list[list[str]], limit: int) -> list[tuple[int, float]]:
    """Indexes into `names` (each item: a term's name, aliases and translations), best first.

    An exact name (ignoring case) scores above any fuzzy match.
    """
    query = query.strip()
    if not query:
        return [(i, 0.0) for i in range(min(limit, len(names)))]
    choices: list[str] = []
    owners: list[int] = []
    for i, item in enumerate(names):
        choices.extend(item)
        owners.extend([i] * len(item))
    best: dict[int, float] = {}
    folded = query.casefold()
    for k, name in enumerate(choices):
        if name.casefold() == folded:
            best[owners[k]] = 101.0
    hits = process.extract(
        query, choices, scorer=fuzz.WRatio, processor=utils.default_process, limit=limit * 4
    )
    for _name, score, k in hits:
        best[owners[k]] = max(best.get(owners[k], 0.0), float(score))
    ranked = sorted(best.items(), key=lambda kv: (-kv[1], names[kv[0]][0]))
    return [(i, min(score, 100.0)) for i, score in ranked[:limit]]
