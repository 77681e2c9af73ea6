"""Provides flashcards for glossary terms: the front-end of a headless `FlashcardSession`.

A card shows a term (or, as a reverse card, its 中文 or français name); space turns it; 1-4
grade it, each grade button saying when that grade brings the card back. Grades are saved on a
thread, so a second lab session holding the write lock never freezes the screen.
"""

from __future__ import annotations

from functools import partial

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Header, Static

from lab.quiz import scheduler
from lab.quiz.cards import LANGUAGES
from lab.quiz.session import FlashcardSession
from lab.quiz.standing import lesson_name
from lab.text import plural
from lab.tui.saving import save_in_thread
from lab.tui.screens.base import LabScreen
from lab.tui.widgets.footer import LabFooter
from lab.tui.widgets.inline_text import inline_text
from lab.tui.widgets.separated import Separated

DECK_SIZE = 20
REVERSE_CHOICES: list[tuple[str, ...]] = [(), *[(lang,) for lang in LANGUAGES]]
"""What `v` cycles through: no reverse cards, then each language's."""


class FlashcardsScreen(LabScreen):
    """One card at a time: space turns it, 1-4 grade it; `v` adds reverse cards."""

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("space", "reveal", "Turn"),
        Binding("enter", "reveal", "Turn", show=False),
        *[
            Binding(str(n), f"grade('{name}')", name.capitalize(), show=False)
            for n, name in enumerate(scheduler.GRADES, start=1)
        ],
        Binding("v", "reverse", "Reverse cards"),
    ]

    def __init__(self, lesson: str | None = None, languages: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.lesson = lesson
        self.languages = languages
        self.session: FlashcardSession | None = None
        self.revealed = False
        self._saves: list = []

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with VerticalScroll(id="card"):
            yield Static(id="card-head")
            yield Static(id="card-term")
            yield Static(id="card-definition")
        with Horizontal(id="card-grades"):
            for n, name in enumerate(scheduler.GRADES, start=1):
                yield Button(f"{n} {name}", id=f"grade-{name}")
        yield LabFooter()

    def on_mount(self) -> None:
        self.start()

    def start(self) -> None:
        reverse = f" + {', '.join(LANGUAGES[x] for x in self.languages)}" if self.languages else ""
        named = lesson_name(self.app.catalog, self.lesson) if self.lesson else ""
        self.sub_title = "Flashcards" + (f": {named}" if named else "") + reverse
        self.session = FlashcardSession(
            self.app.catalog,
            self.app.store,
            self.lesson,
            languages=self.languages,
            limit=DECK_SIZE,
        )
        if self.session.store_error:
            self.notify(self.session.store_error, severity="warning", markup=False)
        self.revealed = False
        self._show()

    @property
    def deck(self):
        """The cards of this session, "again" ones appended as they come back."""
        return self.session.queue if self.session else []

    def _show(self) -> None:
        head = self.query_one("#card-head", Static)
        front = self.query_one("#card-term", Static)
        back = self.query_one("#card-definition", Static)
        grades = self.query_one("#card-grades")
        session = self.session
        assert session is not None  # made by start(), before the first card
        card = session.current_card
        if card is None:
            done = len(session.results)
            head.update(Content(""))
            front.update(Content("No cards left." if done else "No terms to review."))
            if done:
                again = f" ({session.again} graded again)" if session.again else ""
                text = f"You reviewed {plural(done, 'card')}{again}. Press escape to go back."
            else:
                text = "Press escape to go back."
            back.update(Content(text))
            grades.display = False
            return
        head.update(
            Separated(
                [
                    f"card {session.position + 1} of {len(session.queue)}",
                    lesson_name(self.app.catalog, card.lesson),
                ]
            )
        )
        front.update(inline_text(card.front))
        if self.revealed:
            back.update(inline_text(card.back))
            for name, interval in session.intervals().items():
                n = list(scheduler.GRADES).index(name) + 1
                self.query_one(f"#grade-{name}", Button).label = f"{n} {name} {interval}"
            grades.display = True
        else:
            back.update(Content(f"({card.question} space turns the card)"))
            grades.display = False

    def action_reveal(self) -> None:
        if self.session is not None and self.session.current_card is not None and not self.revealed:
            self.revealed = True
            self._show()
            self.query_one("#grade-good", Button).focus()

    def action_grade(self, grade: str) -> None:
        if self.session is None or self.session.current_card is None or not self.revealed:
            return
        rated = self.session.rate(grade)
        saving = save_in_thread(
            self, self.session, partial(self.session.save, rated), "Could not save"
        )
        self._saves.append(saving)
        self.revealed = False
        self._show()
        self.set_focus(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id and event.button.id.startswith("grade-"):
            self.action_grade(event.button.id.removeprefix("grade-"))

    def action_reverse(self) -> None:
        """Cycle reverse cards: none, 中文, français (a new deck from the start)."""
        at = REVERSE_CHOICES.index(self.languages) if self.languages in REVERSE_CHOICES else 0
        self.languages = REVERSE_CHOICES[(at + 1) % len(REVERSE_CHOICES)]
        self.start()
        if self.languages:
            names = ", ".join(LANGUAGES[x] for x in self.languages)
            self.notify(f"Reverse cards: {names} shown, the term to recall.", markup=False)
        else:
            self.notify("Reverse cards off.")

    def action_back(self) -> None:
        self.app.pop_screen()
