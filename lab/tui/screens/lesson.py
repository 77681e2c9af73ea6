"""Provides the lesson screen: its sections; its terms, quiz, experiments, exercises a key away."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Header, Static

from lab.quiz.standing import exercises_done, mark_read
from lab.text import plural
from lab.tui.messages import LessonRead
from lab.tui.screens.base import LabScreen
from lab.tui.screens.pick import PickScreen
from lab.tui.widgets.footer import LabFooter
from lab.tui.widgets.lesson_text import LessonText
from lab.tui.widgets.separated import Separated

if TYPE_CHECKING:
    from lab.catalog.schema import Lesson


class LessonScreen(LabScreen):
    """One lesson; reaching its end (or `m`) marks it read."""

    BINDINGS = [
        Binding("escape", "back", "Back", show=False),  # no room in the footer at 80 columns
        Binding("t", "terms", "Terms"),
        Binding("z", "quiz", "Quiz"),
        Binding("e", "experiments", "Experiments"),
        Binding("x", "exercises", "Code"),
        Binding("n", "next_lesson", "Next"),
        Binding("f", "flashcards", "Cards", show=False),
        Binding("m", "mark_read", "Read ✓", show=False),
        Binding("r", "experiments", "Run", show=False),
    ]

    def __init__(self, lesson_id: str) -> None:
        super().__init__()
        self.lesson_id = lesson_id
        self.lesson: Lesson | None = None
        """Found in the catalog by `compose` (the app opens known ids only)."""
        self.next_lesson: Lesson | None = None
        self.read = False

    def compose(self) -> ComposeResult:
        lesson = self.lesson = self.app.catalog.lesson(self.lesson_id)
        assert lesson is not None
        lessons = self.app.catalog.lessons
        place = lessons.index(lesson) + 1
        self.next_lesson = lessons[place] if place < len(lessons) else None
        ending = ""
        if self.next_lesson is not None:
            ending = (
                f"Next: lesson {place + 1} of {len(lessons)}, {self.next_lesson.title}. "
                "Press n to open it."
            )
        yield Header(show_clock=False)
        with VerticalScroll(id="lesson-scroll", can_focus=True):
            yield LessonText(lesson, ending, id="lesson-text")
        yield Static(id="lesson-bar")
        yield LabFooter()

    def on_mount(self) -> None:
        lesson = self.lesson
        assert lesson is not None  # found by compose
        lessons = self.app.catalog.lessons
        place = lessons.index(lesson) + 1
        self.sub_title = f"lesson {place} of {len(lessons)} · {lesson.title}"
        bits = [f"{plural(len(self.term_names()), 'term')} (t)"]
        bits.append(f"{plural(len(lesson.quiz), 'question')} (z)")
        if lesson.experiments:
            bits.append(f"{plural(len(lesson.experiments), 'experiment')} (e)")
        if lesson.exercises:
            bits.append(f"{plural(len(lesson.exercises), 'exercise')} (x)")
        self.query_one("#lesson-bar", Static).update(Separated(bits))
        self.refresh_bindings()
        scroll = self.query_one("#lesson-scroll", VerticalScroll)
        scroll.focus()
        self.watch(scroll, "scroll_y", self._check_end, init=False)
        self.set_timer(0.5, self._check_end)
        if (lesson.experiments or lesson.exercises) and self.app.prewarm:
            self.call_after_refresh(self._warm_up)

    def _warm_up(self) -> None:
        # torch imports in worker processes while the learner reads, so that `r` answers at
        # once and an exercise's first check does not wait for the import
        assert self.lesson is not None  # found by compose
        try:
            if self.lesson.experiments:
                self.app.run_workers.warm_up()
            if self.lesson.exercises:
                self.app.exercise_checker()
        except Exception:  # noqa: BLE001 - the screens start their own if needed
            pass

    def _check_end(self, *_args) -> None:
        scroll = self.query_one("#lesson-scroll", VerticalScroll)
        if scroll.max_scroll_y <= 0 or scroll.scroll_y >= scroll.max_scroll_y - 1:
            self._mark_read()

    def _mark_read(self) -> None:
        if self.read:
            return
        self.read = True
        mark_read(self.app.store, self.lesson_id)
        self.post_message(LessonRead(self.lesson_id))

    # --- actions ------------------------------------------------------------------------

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_mark_read(self) -> None:
        self._mark_read()
        self.notify("Marked as read.", timeout=2)

    def term_names(self) -> list[str]:
        """The terms the lesson links or defines, each once: what `t` lists and the bar counts."""
        names: list[str] = []
        assert self.lesson is not None  # found by compose
        for name in [*self.lesson.links(), *(t.term for t in self.lesson.glossary)]:
            entry = self.app.catalog.term(name)
            if entry and entry.term.term not in names:
                names.append(entry.term.term)
        return names

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys that lead nowhere in this lesson are not offered in the footer."""
        if action == "experiments" and self.lesson is not None:
            return bool(self.lesson.experiments)
        if action == "exercises" and self.lesson is not None:
            return bool(self.lesson.exercises)
        if action == "next_lesson":
            return self.next_lesson is not None
        return True

    def action_next_lesson(self) -> None:
        if self.next_lesson is not None:
            self.app.switch_screen(LessonScreen(self.next_lesson.id))

    def action_terms(self) -> None:
        names = self.term_names()
        if not names:
            self.notify("This lesson links no glossary terms.")
            return
        entries = [entry for n in names if (entry := self.app.catalog.term(n))]
        items = [(e.term.term, f"{e.term.term} - {e.term.short}") for e in entries]

        def chosen(name: str | None) -> None:
            if name:
                self.app.show_term(name)

        self.app.push_screen(PickScreen("Terms in this lesson", items), chosen)

    def action_quiz(self) -> None:
        assert self.lesson is not None  # found by compose
        if not self.lesson.quiz:
            self.notify("This lesson has no questions.")
            return
        self.app.open_quiz(self.lesson_id)

    def action_flashcards(self) -> None:
        self.app.open_flashcards(self.lesson_id)

    def action_experiments(self) -> None:
        assert self.lesson is not None  # found by compose
        experiments = self.lesson.experiments
        if not experiments:
            self.notify("This lesson has no experiments.")
            return
        if len(experiments) == 1:
            self.app.open_experiment(experiments[0].id)
            return

        def chosen(exp_id: str | None) -> None:
            if exp_id:
                self.app.open_experiment(exp_id)

        items = [(e.id, e.title) for e in experiments]
        self.app.push_screen(PickScreen("Experiments", items), chosen)

    def action_exercises(self) -> None:
        entries = self.app.catalog.exercises(self.lesson_id)
        if not entries:
            self.notify("This lesson has no exercises.")
            return
        if len(entries) == 1:
            self.app.open_exercise(entries[0].exercise.id)
            return

        def chosen(exercise_id: str | None) -> None:
            if exercise_id:
                self.app.open_exercise(exercise_id)

        done = exercises_done(self.app.store, entries)
        items = [
            (e.exercise.id, f"{'✓' if e.exercise.id in done else '·'} {e.exercise.title}")
            for e in entries
        ]
        self.app.push_screen(PickScreen("Exercises (✓ done)", items), chosen)
