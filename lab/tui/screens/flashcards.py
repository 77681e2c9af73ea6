"""Provides flashcards for glossary terms: the term, then its definition, graded again to easy."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Static

from lab.catalog.catalog import TermEntry
from lab.quiz import scheduler
from lab.text import reflow
from lab.tui.messages import ProgressChanged

GRADES = [(1, "again"), (2, "hard"), (3, "good"), (4, "easy")]  # fsrs ratings
DECK_SIZE = 20
PREFIX = "term:"  # a term's card id in the store


def build_deck(catalog, store, lesson: str | None, size: int = DECK_SIZE) -> list[TermEntry]:
    """Due term cards first (most overdue first), then terms never reviewed."""
    try:
        names = scheduler.order_terms(catalog, store, lesson)
    except Exception:  # noqa: BLE001 - a store that fails: every term, in order
        names = [e.term.term for e in catalog.terms() if lesson is None or e.lesson == lesson]
    entries = [catalog.term(name) for name in names]
    return [e for e in entries if e is not None][:size]


class FlashcardsScreen(Screen):
    """One term at a time: space reveals the definition, 1-4 grade it."""

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("space", "reveal", "Reveal"),
        Binding("enter", "reveal", "Reveal", show=False),
        Binding("1", "grade(1)", "Again", show=False),
        Binding("2", "grade(2)", "Hard", show=False),
        Binding("3", "grade(3)", "Good", show=False),
        Binding("4", "grade(4)", "Easy", show=False),
    ]

    def __init__(self, lesson: str | None = None) -> None:
        super().__init__()
        self.lesson = lesson
        self.deck: list[TermEntry] = []
        self.index = 0
        self.revealed = False
        self.graded: list[int] = []

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with VerticalScroll(id="card"):
            yield Static(id="card-head")
            yield Static(id="card-term")
            yield Static(id="card-definition")
        with Horizontal(id="card-grades"):
            for value, name in GRADES:
                yield Button(f"{value} {name}", id=f"grade-{value}")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Flashcards" + (f": {self.lesson}" if self.lesson else "")
        self.deck = build_deck(self.app.catalog, self.app.store, self.lesson)
        self._show()

    @property
    def current(self) -> TermEntry | None:
        return self.deck[self.index] if self.index < len(self.deck) else None

    def _show(self) -> None:
        head = self.query_one("#card-head", Static)
        term = self.query_one("#card-term", Static)
        definition = self.query_one("#card-definition", Static)
        grades = self.query_one("#card-grades")
        entry = self.current
        if entry is None:
            done = len(self.graded)
            again = sum(1 for g in self.graded if g == 1)
            head.update(Content(""))
            term.update(Content("No cards left." if done else "No terms to review."))
            definition.update(
                Content(
                    f"You reviewed {done} card(s); {again} to see again soon. "
                    "Press escape to go back."
                    if done
                    else "Press escape to go back."
                )
            )
            grades.display = False
            return
        head.update(Content(f"card {self.index + 1} of {len(self.deck)}  ·  lesson {entry.lesson}"))
        term.update(Content(entry.term.term))
        if self.revealed:
            t = entry.term
            text = f"{t.short}\n\n{reflow(t.definition)}"
            if t.translations.zh:
                text += f"\n\n中文      {t.translations.zh}"
            if t.translations.fr:
                text += f"\nfrançais  {t.translations.fr}"
            definition.update(Content(text))
            grades.display = True
        else:
            definition.update(Content("(space to reveal the definition)"))
            grades.display = False

    def action_reveal(self) -> None:
        if self.current is not None and not self.revealed:
            self.revealed = True
            self._show()
            self.query_one("#grade-3", Button).focus()

    def action_grade(self, rating: int) -> None:
        entry = self.current
        if entry is None or not self.revealed:
            return
        store = self.app.store
        if store is not None:
            try:
                store.record_answer(
                    PREFIX + entry.term.term,
                    entry.lesson,
                    correct=rating > 1,
                    answer=dict(GRADES)[rating],
                    rating=rating,
                )
                self.post_message(ProgressChanged())
            except Exception as exc:  # noqa: BLE001
                self.notify(f"Could not save: {exc}", severity="error", markup=False)
        self.graded.append(rating)
        self.index += 1
        self.revealed = False
        self._show()
        self.set_focus(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id and event.button.id.startswith("grade-"):
            self.action_grade(int(event.button.id.removeprefix("grade-")))

    def action_back(self) -> None:
        self.app.pop_screen()
