"""Provides LabCommands: the command palette (ctrl+p) finds lessons, experiments, glossary terms
and the app's commands from any screen."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.markup import escape

from lab.quiz.standing import lesson_name
from lab.text import reflow

if TYPE_CHECKING:
    from lab.tui.app import LabApp

TERM_SCORE = 50
"""Fuzzy glossary scores (0-100) below this are noise."""


class LabCommands(Provider):
    """Every place a learner can go, matched on its words: `tensors` finds the lesson, `cnn`
    and `digits` the experiments, `quiz` the review, `梯度` a term."""

    if TYPE_CHECKING:

        @property
        def app(self) -> LabApp: ...

    def _places(self) -> Iterator[tuple[str, Callable[[], object], str, tuple[str, ...]]]:
        """(what the palette shows, what choosing it does, a line of help, its exact names)."""
        app = self.app
        catalog = app.catalog
        count = len(catalog.lessons)
        for n, lesson in enumerate(catalog.lessons, 1):
            yield (
                f"lesson {n} of {count}: {lesson.title} ({lesson.id})",
                partial(app.open_lesson, lesson.id),
                reflow(lesson.summary),
                (lesson.title, lesson.id),
            )
        for entry in catalog.experiments():
            exp = entry.experiment
            yield (
                f"experiment: {exp.title} ({exp.id})",
                partial(app.open_experiment, exp.id),
                f"in lesson {lesson_name(catalog, entry.lesson)}",
                (exp.title, exp.id),
            )
        yield "quiz: review what is due", partial(app.open_quiz, None), "all lessons", ("quiz",)
        yield (
            "flashcards: recall the terms",
            partial(app.open_flashcards, None),
            "all lessons",
            ("flashcards",),
        )
        yield "glossary: search the terms", app.action_glossary, "g from any screen", ("glossary",)
        yield "help: every key", app.action_help, "? from any screen", ("help",)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        best = matcher.match(query) or 1.0  # the matcher's scores are not 0-1: scale them
        exact = query.strip().casefold()
        words = exact.split()
        for text, go, help_text, names in self._places():
            folded = text.casefold()
            if exact in (name.casefold() for name in names):
                score = 1.0  # called exactly so: first (an exact term follows it)
            elif words and all(word in folded for word in words):
                # every word typed is in it (`digits cnn`): above a term merely spelt alike
                score = 0.95 + 0.04 * sum(map(len, words)) / len(folded)
            else:
                score = min(matcher.match(text) / best, 1.0) * 0.8
            if score > 0:
                yield Hit(score, matcher.highlight(text), go, text=text, help=escape(help_text))
        # A term named exactly so (`grad`) comes first; a place beats a term merely spelt alike.
        for entry, score in self.app.catalog.search_terms(query, limit=8):
            if score >= TERM_SCORE:
                name = entry.term.term
                yield Hit(
                    1.0 if score >= 100 else score / 100 * 0.9,
                    Content(f"term: {name}"),
                    partial(self.app.show_term, name),
                    text=name,
                    help=escape(reflow(entry.term.short)),
                )

    async def discover(self) -> Hits:
        for text, go, help_text, _names in self._places():
            yield DiscoveryHit(Content(text), go, text=text, help=escape(help_text))
        for entry in self.app.catalog.terms():
            name = entry.term.term
            yield DiscoveryHit(
                Content(f"term: {name}"),
                partial(self.app.show_term, name),
                help=escape(reflow(entry.term.short)),
            )
