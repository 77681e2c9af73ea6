"""Provides the quiz screen: the front-end of a headless `QuizSession` (due questions first,
then new ones of the lessons read), feedback at once, a summary at the end.

Every answer is saved the moment it is checked, on a thread: a second lab session holding the
database's write lock delays the save, never the screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Header, Input, OptionList, Static
from textual.widgets.option_list import Option

from lab.quiz import grading
from lab.quiz.session import Outcome, QuizSession
from lab.quiz.standing import lesson_name
from lab.text import reflow
from lab.tui.saving import save_in_thread
from lab.tui.screens.base import LabScreen
from lab.tui.widgets.footer import LabFooter
from lab.tui.widgets.inline_text import inline_text
from lab.tui.widgets.separated import Separated

KIND_NAMES = {
    "single": "one answer",
    "multiple": "space ticks a choice, enter checks",
    "true_false": "true or false (t / f)",
    "numeric": "a number",
    "text": "a word or phrase",
}
TICKED, UNTICKED = "[x]", "[ ]"


class ChoiceBoxes(OptionList):
    """Multiple choice: space ticks or unticks the highlighted choice, enter checks.

    Each choice is an option, so a long one wraps as single choice does; the box is `[x]` or
    `[ ]`, which reads without colour."""

    BINDINGS = [
        Binding("space", "tick", "Tick", show=False),
        Binding("enter", "check", "Check", show=False),
    ]

    @dataclass
    class Checked(Message):
        """The learner asked to check the ticked choices."""

        chosen: set[int]

    def __init__(self, choices: list[str], **kwargs) -> None:
        self.choices = choices
        self.ticked: set[int] = set()
        super().__init__(
            *[Option(self._label(i), id=str(i)) for i in range(len(choices))], **kwargs
        )

    def _label(self, index: int) -> Content:
        box = TICKED if index in self.ticked else UNTICKED
        return inline_text(f"{box} {index + 1}. {self.choices[index]}")

    def toggle(self, index: int) -> None:
        self.ticked ^= {index}
        self.replace_option_prompt_at_index(index, self._label(index))

    def action_tick(self) -> None:
        if self.highlighted is not None:
            self.toggle(self.highlighted)

    def action_check(self) -> None:
        self.post_message(self.Checked(set(self.ticked)))


class QuizScreen(LabScreen):
    """Questions of one lesson, or of the lessons read, in fsrs order."""

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("t", "true_false(True)", "True", show=False),
        Binding("f", "true_false(False)", "False", show=False),
        *[Binding(str(n), f"choose({n})", show=False) for n in range(1, 10)],
        Binding("n", "next", "Next", show=False),
        Binding("o", "overrule", "I was right", show=False),
        Binding("p", "practice", "Practise all", show=False),
        Binding("l", "pick_lesson", "Any lesson"),
    ]

    def __init__(self, lesson: str | None = None, practice: bool = False) -> None:
        super().__init__()
        self.lesson = lesson
        self.practice = practice
        self.session: QuizSession | None = None
        self.outcome: Outcome | None = None
        """The answer shown now, until the learner moves on."""
        self._saves: list = []
        self._overruling: Outcome | None = None

    # --- layout -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield VerticalScroll(id="quiz-scroll")
        yield LabFooter()

    async def on_mount(self) -> None:
        await self.start()

    async def start(self) -> None:
        named = lesson_name(self.app.catalog, self.lesson) if self.lesson else ""
        self.sub_title = "Quiz" + (f": {named}" if named else "")
        self.session = QuizSession(
            self.app.catalog, self.app.store, self.lesson, practice=self.practice
        )
        if self.session.store_error:
            self.notify(self.session.store_error, severity="warning", markup=False)
        await self.show_question()

    @property
    def question(self):
        """The question on screen (answered or not), or None at the summary."""
        if self.session is None:
            return None
        if self.outcome is not None:
            return self.session.question(self.outcome.question_id)
        return self.session.current

    @property
    def answered(self) -> bool:
        return self.outcome is not None

    async def show_question(self) -> None:
        scroll = self.query_one("#quiz-scroll", VerticalScroll)
        await scroll.remove_children()
        self.outcome = None
        session = self.session
        assert session is not None  # made by start(), before the first question
        q, lesson = session.current, session.current_lesson
        if q is None or lesson is None:
            await self.show_summary()
            return
        head = Separated(
            [
                f"question {session.position + 1} of {session.total}",
                lesson_name(self.app.catalog, lesson),
                KIND_NAMES[q.kind],
            ]
        )
        widgets: list[Widget] = [
            Static(head, id="quiz-head"),
            Static(inline_text(reflow(q.prompt)), id="quiz-prompt"),
        ]
        if q.kind == "single":
            widgets.append(
                OptionList(
                    *[
                        Option(inline_text(f"{i + 1}. {c}"), id=str(i))
                        for i, c in enumerate(q.choices)
                    ],
                    id="quiz-choices",
                )
            )
        elif q.kind == "true_false":
            widgets.append(
                OptionList(
                    Option("true", id="true"), Option("false", id="false"), id="quiz-choices"
                )
            )
        elif q.kind == "multiple":
            widgets.append(ChoiceBoxes(list(q.choices), id="quiz-multi"))
            widgets.append(Button("Check", id="quiz-check", variant="primary"))
        else:
            placeholder = "type a number, then enter" if q.kind == "numeric" else "type, then enter"
            widgets.append(Input(placeholder=placeholder, id="quiz-input"))
        widgets.append(Static(id="quiz-feedback"))
        await scroll.mount_all(widgets)
        self.query_one("#quiz-feedback").display = False
        self.call_after_refresh(self._focus_answer)

    def _focus_answer(self) -> None:
        for selector in ("#quiz-choices", "#quiz-multi", "#quiz-input"):
            found = self.query(selector)
            if found:
                found.first().focus()
                return

    async def show_summary(self) -> None:
        scroll = self.query_one("#quiz-scroll", VerticalScroll)
        session = self.session
        assert session is not None  # made by start(), before the first question
        if session.total == 0:
            if not session.has_questions:
                text = "No questions here yet."
            elif self.lesson:
                text = (
                    "Nothing is due and nothing is new: come back later, or press p to practise "
                    "every question now."
                )
            else:
                text = (
                    "Nothing is due, and no new questions from the lessons you have read. Press "
                    "l to take any lesson's quiz, or p to practise every question now."
                )
        else:
            summary_widget = Static(Content("Saving your answers..."), id="quiz-summary")
            await scroll.mount(summary_widget)
            await self.app.workers.wait_for_complete(self._saves)
            summary = session.summary()
            text = summary.describe()
            if self.app.store is not None and not summary.unsaved:
                text += "\n\nYour answers are saved; questions come back when they are due."
            summary_widget.update(inline_text(text + "\n\nPress escape to go back."))
            return
        await scroll.mount(
            Static(inline_text(text + "\n\nPress escape to go back."), id="quiz-summary")
        )

    # --- answering ----------------------------------------------------------------------

    def submit(self, answer) -> None:
        """Grade `answer` to the current question, show the feedback, save it on a thread."""
        if self.session is None or self.session.current is None or self.answered:
            return
        outcome = self.outcome = self.session.grade(answer)
        self._save(self.session.save, outcome)
        for widget in self.query("#quiz-choices, #quiz-multi, #quiz-input, #quiz-check"):
            widget.disabled = True
        self._show_feedback()
        scroll = self.query_one("#quiz-scroll", VerticalScroll)
        next_button = Button("Next", id="quiz-next", variant="primary")
        scroll.mount(next_button)
        self.call_after_refresh(next_button.focus)
        self.call_after_refresh(scroll.scroll_end, animate=False)

    def _show_feedback(self, overruled: bool = False) -> None:
        """The verdict and explanation; `overruled` while the overrule is still being saved."""
        outcome = self.outcome
        assert outcome is not None  # shown once an answer is checked
        feedback = self.query_one("#quiz-feedback", Static)
        verdict, _, explanation = outcome.feedback.partition("\n")
        overruled = overruled or outcome.overruled
        correct = outcome.correct or overruled
        if overruled:
            verdict = "Counted as right: you said you were right."
        mark = "✓ " if correct else "✗ "
        can_overrule = outcome.can_overrule and not overruled
        hint = "o: I was right  ·  enter: next question" if can_overrule else "enter: next"
        feedback.update(inline_text(f"{mark}{verdict}\n{reflow(explanation)}\n\n({hint})"))
        feedback.set_class(correct, "right")
        feedback.set_class(not correct, "wrong")
        feedback.display = True

    def _save(self, write, outcome: Outcome) -> None:
        """Save `write(outcome)` (a database write that may wait) on a thread."""
        assert self.session is not None  # an outcome comes from the session
        saving = save_in_thread(
            self, self.session, partial(write, outcome), "Could not save the answer"
        )
        self._saves.append(saving)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        q = self.question
        if q is None or event.option.id is None or self.answered:
            return
        if isinstance(event.option_list, ChoiceBoxes):
            event.option_list.toggle(int(event.option.id))  # a click ticks, as space does
        elif q.kind == "true_false":
            self.submit(event.option.id == "true")
        else:
            self.submit(int(event.option.id))

    def on_choice_boxes_checked(self, event: ChoiceBoxes.Checked) -> None:
        event.stop()
        self._check_multiple(event.chosen)

    def _check_multiple(self, chosen: set[int]) -> None:
        if self.answered:
            return
        if not chosen:
            self.notify("Tick at least one choice (space), then enter.", severity="warning")
            return
        self.submit(chosen)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        q = self.question
        if q is None or self.answered:
            return
        try:
            answer = grading.parse_answer(q, event.value)
        except grading.AnswerError as exc:
            self.notify(str(exc), severity="warning", markup=False)
            return
        self.submit(answer)

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "quiz-check":
            self._check_multiple(self.query_one("#quiz-multi", ChoiceBoxes).ticked)
        elif event.button.id == "quiz-next":
            await self.action_next()

    # --- actions ------------------------------------------------------------------------

    def action_true_false(self, value: bool) -> None:
        q = self.question
        if q is not None and q.kind == "true_false":
            self.submit(value)

    def action_choose(self, number: int) -> None:
        q = self.question
        if q is None or self.answered:
            return
        if q.kind == "single" and 1 <= number <= len(q.choices):
            self.submit(number - 1)
        elif q.kind == "multiple" and 1 <= number <= len(q.choices):
            self.query_one("#quiz-multi", ChoiceBoxes).toggle(number - 1)

    def action_overrule(self) -> None:
        """After a text answer marked wrong: "I was right"; it counts as right, marked so."""
        outcome = self.outcome
        if outcome is None or not outcome.can_overrule or self._overruling is outcome:
            return
        assert self.session is not None  # an outcome comes from the session
        self._overruling = outcome
        self._save(self.session.overrule, outcome)
        self._show_feedback(overruled=True)

    async def action_next(self) -> None:
        if self.answered:
            await self.show_question()

    async def action_practice(self) -> None:
        if self.session is not None and self.session.current is None and not self.practice:
            self.practice = True
            await self.start()

    def action_pick_lesson(self) -> None:
        """Take one lesson's quiz, read or not."""
        from lab.tui.screens.pick import PickScreen

        items = [(x.id, f"{x.order:>2}. {x.title}") for x in self.app.catalog.lessons if x.quiz]

        async def picked(lesson: str | None) -> None:
            if lesson:
                self.lesson, self.practice = lesson, False
                await self.start()

        self.app.push_screen(PickScreen("Take the quiz of which lesson?", items), picked)

    def action_back(self) -> None:
        self.app.pop_screen()
