"""Provides flashcards: a glossary term shown and its definition recalled, and, for learners
who study in 中文 or français and ask for them, reverse cards (the translation shown, the
English term recalled)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from lab.store import TERM_PREFIX
from lab.text import reflow

if TYPE_CHECKING:
    from lab.catalog import TermEntry

LANGUAGES = {"zh": "中文", "fr": "français"}
REVERSE_MARK = "|"
"""Between the term and the language in a reverse card's id: `term:gradient|zh`."""


@dataclass(frozen=True)
class Flashcard:
    """One card; `language` None shows the term, "zh" or "fr" shows that translation."""

    entry: TermEntry
    language: str | None = None

    @property
    def card_id(self) -> str:
        base = TERM_PREFIX + self.entry.term.term
        return f"{base}{REVERSE_MARK}{self.language}" if self.language else base

    @property
    def lesson(self) -> str:
        return self.entry.lesson

    @property
    def front(self) -> str:
        """What the card shows before it is turned."""
        if self.language:
            word = getattr(self.entry.term.translations, self.language)
            return f"{LANGUAGES[self.language]}: {word}"
        return self.entry.term.term

    @property
    def question(self) -> str:
        """What to recall, as a hint under the front."""
        return "which term is it?" if self.language else "what does it mean?"

    @property
    def back(self) -> str:
        """What turning the card shows (paragraphs, to wrap)."""
        t = self.entry.term
        if self.language:
            return f"{t.term}\n\n{t.short}"
        text = f"{t.short}\n\n{reflow(t.definition)}"
        names = [f"{LANGUAGES[k]}: {getattr(t.translations, k)}" for k in LANGUAGES]
        shown = [n for k, n in zip(LANGUAGES, names, strict=True) if getattr(t.translations, k)]
        return text + ("\n\n" + "\n".join(shown) if shown else "")


def lesson_cards(catalog, lesson_id: str, languages: tuple[str, ...] = ()) -> list[Flashcard]:
    """A lesson's cards: its terms (alphabetical), then the reverse cards in `languages` ("zh",
    "fr") of the terms translated into them."""
    entries = [e for e in catalog.terms() if e.lesson == lesson_id]
    reverse = [
        Flashcard(e, lang)
        for lang in languages
        for e in entries
        if getattr(e.term.translations, lang)
    ]
    return [Flashcard(e) for e in entries] + reverse
