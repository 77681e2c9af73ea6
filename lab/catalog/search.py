"""Provides fuzzy glossary search over terms, aliases and translations (rapidfuzz)."""

from __future__ import annotations

import functools
import re

from rapidfuzz import fuzz, process, utils

MATCH = 88.0  # a score at or above this is taken as the term the learner meant
PREFIX = 90.0
"""What a name that starts with the query scores at least; up to 100 as the query covers more
of it. The fuzzy score puts the name being typed behind shorter names the query contains
(`梯度下` found `gradient`, 梯度, before `gradient descent`, 梯度下降)."""


_ASIDE = re.compile(r"[（）：，、]|, ")
"""Where a name holds other names: `批量（批次）`, `准确率（d2l-zh：精度）`, `dropout (abandon
aléatoire)` (a bracket after a space, so not `model.eval()`)."""


@functools.cache  # the same few hundred names, searched at each key the learner types
def alternatives(name: str) -> tuple[str, ...]:
    """The name, and the names it holds in brackets or after a colon or comma."""
    parts = _ASIDE.split(re.sub(r" \((.*)\)$", r"（\1）", name))
    return (name, *(part.strip() for part in parts if part.strip() not in ("", name)))


def rank(query: str, names: list[list[str]], limit: int) -> list[tuple[int, float]]:
    """Indexes into `names` (each item: a term's name, aliases and translations), best first.

    An exact name (ignoring case) scores above any other, and a name that starts with the
    query at least PREFIX; a name held in another's brackets counts as a name. Of equal
    scores, the term with a name closest to the whole query comes first (`梯` finds 梯度,
    gradient, before 梯度爆炸, exploding gradients).
    """
    query = query.strip()
    if not query:
        return [(i, 0.0) for i in range(min(limit, len(names)))]
    folded = query.casefold()
    best: dict[int, float] = {}
    choices: list[str] = []
    owners: list[int] = []
    for i, item in enumerate(names):
        if any(name.casefold() == folded for name in item):
            best[i] = 101.0
        for held in (held for name in item for held in alternatives(name)):
            choices.append(held)
            owners.append(i)
            if held.casefold().startswith(folded):
                covered = PREFIX + (100.0 - PREFIX) * len(folded) / len(held)
                best[i] = max(best.get(i, 0.0), covered)
    hits = process.extract(
        query, choices, scorer=fuzz.WRatio, processor=utils.default_process, limit=limit * 4
    )
    for _name, score, k in hits:
        best[owners[k]] = max(best.get(owners[k], 0.0), float(score))
    closeness: dict[int, float] = {}
    for k, name in enumerate(choices):
        if owners[k] in best:
            ratio = fuzz.ratio(query, name, processor=utils.default_process)
            closeness[owners[k]] = max(closeness.get(owners[k], 0.0), ratio)
    ranked = sorted(
        best.items(), key=lambda kv: (-kv[1], -closeness[kv[0]], names[kv[0]][0].casefold())
    )
    return [(i, min(score, 100.0)) for i, score in ranked[:limit]]
