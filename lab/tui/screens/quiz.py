"""Provides the quiz screen: due questions first, then new; feedback at once; a summary at the end.

Every answer is stored the moment it is checked, so quitting mid-quiz loses nothing answered.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, OptionList, SelectionList, Static
from textual.widgets.option_list import Option

from lab.quiz import grading, scheduler
from lab.text import reflow
from lab.tui.messages import AnswerRecorded, ProgressChanged

KIND_NAMES = {
    "single": "one answer",
    "multiple": "tick every right answer (space), then Check",
    "true_false": "true or false (t / f)",
    "numeric": "a number",
    "text": "a word or phrase",
}


class QuizScreen(Screen):
    """Questions of one lesson, or of every lesson, in fsrs order."""

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("t", "true_false(True)", "True", show=False),
        Binding("f", "true_false(False)", "False", show=False),
        *[Binding(str(n), f"choose({n})", show=False) for n in range(1, 10)],
        Binding("n", "next", "Next", show=False),
        Binding("p", "practice", "Practise all", show=False),
    ]

    def __init__(self, lesson: str | None = None, practice: bool = False) -> None:
        super().__init__()
        self.lesson = lesson
        self.practice = practice
        self.order: list[tuple[str, str]] = []
        self.index = 0
        self.answered = False
        self.results: list[tuple[str, bool]] = []
        self.questions: dict[str, object] = {}

    # --- layout -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield VerticalScroll(id="quiz-scroll")
        yield Footer()

    async def on_mount(self) -> None:
        await self.start()

    async def start(self) -> None:
        catalog = self.app.catalog
        self.sub_title = "Quiz" + (f": {self.lesson}" if self.lesson else "")
        lessons = [catalog.lesson(self.lesson)] if self.lesson else catalog.lessons
        self.questions = {q.id: q for lesson in lessons if lesson for q in lesson.quiz}
        try:
            self.order = scheduler.order_questions(
                catalog, self.app.store, self.lesson, practice=self.practice
            )
        except Exception:  # noqa: BLE001 - without a store, every question in teaching order
            self.order = [(x.id, q.id) for x in lessons if x for q in x.quiz]
        self.order = [(les, qid) for les, qid in self.order if qid in self.questions]
        self.index = 0
        await self.show_question()

    @property
    def question(self):
        if self.index >= len(self.order):
            return None
        return self.questions[self.order[self.index][1]]

    async def show_question(self) -> None:
        scroll = self.query_one("#quiz-scroll", VerticalScroll)
        await scroll.remove_children()
        self.answered = False
        q = self.question
        if q is None:
            await self.show_summary()
            return
        lesson = self.order[self.index][0]
        head = f"question {self.index + 1} of {len(self.order)}  ·  {lesson}  ·  "
        head += KIND_NAMES[q.kind]
        widgets = [
            Static(Content(head), id="quiz-head"),
            Static(Content(reflow(q.prompt)), id="quiz-prompt"),
        ]
        if q.kind == "single":
            widgets.append(
                OptionList(
                    *[Option(Content(f"{i + 1}. {c}"), id=str(i)) for i, c in enumerate(q.choices)],
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
            widgets.append(
                SelectionList[int](
                    *[(Content(f"{i + 1}. {c}"), i) for i, c in enumerate(q.choices)],
                    id="quiz-multi",
                )
            )
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
        right = sum(1 for _, ok in self.results if ok)
        total = len(self.results)
        if not self.order:
            text = (
                "No questions here yet."
                if not self.questions
                else "Nothing is due and nothing is new: come back later, or press p to practise "
                "every question now."
            )
        elif total == 0:
            text = "No questions answered."
        else:
            text = f"Done: {right} of {total} right ({round(100 * right / total)}%)."
            wrong = [qid for qid, ok in self.results if not ok]
            if wrong:
                text += "\n\nTo look at again:\n" + "\n".join(
                    f"  - {self.questions[qid].prompt.strip().splitlines()[0]}" for qid in wrong
                )
            if self.app.store is not None:
                text += "\n\nYour answers are saved; questions come back when they are due."
        text += "\n\nPress escape to go back."
        await scroll.mount(Static(Content(text), id="quiz-summary"))

    # --- answering ----------------------------------------------------------------------

    def submit(self, answer) -> None:
        """Grade `answer` to the current question, store it, show the feedback."""
        q = self.question
        if q is None or self.answered:
            return
        self.answered = True
        result = grading.grade(q, answer)
        lesson = self.order[self.index][0]
        self.results.append((q.id, result.correct))
        store = self.app.store
        if store is not None:
            try:
                store.record_answer(
                    q.id,
                    lesson,
                    correct=result.correct,
                    answer=grading.answer_text(q, answer),
                    rating=int(scheduler.rating_for(result.correct)),
                )
            except Exception as exc:  # noqa: BLE001
                self.notify(f"Could not save the answer: {exc}", severity="error", markup=False)
        self.post_message(AnswerRecorded(q.id, result.correct))
        self.post_message(ProgressChanged())
        for widget in self.query("#quiz-choices, #quiz-multi, #quiz-input, #quiz-check"):
            widget.disabled = True
        feedback = self.query_one("#quiz-feedback", Static)
        mark = "✓ " if result.correct else "✗ "
        verdict, _, explanation = result.feedback.partition("\n")
        text = f"{mark}{verdict}\n{reflow(explanation)}\n\n(enter: next question)"
        feedback.update(Content(text))
        feedback.set_class(result.correct, "right")
        feedback.set_class(not result.correct, "wrong")
        feedback.display = True
        scroll = self.query_one("#quiz-scroll", VerticalScroll)
        next_button = Button("Next", id="quiz-next", variant="primary")
        scroll.mount(next_button)
        self.call_after_refresh(next_button.focus)
        self.call_after_refresh(scroll.scroll_end, animate=False)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        q = self.question
        if q is None or event.option.id is None:
            return
        if q.kind == "true_false":
            self.submit(event.option.id == "true")
        else:
            self.submit(int(event.option.id))

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
            chosen = set(self.query_one("#quiz-multi", SelectionList).selected)
            if not chosen:
                self.notify("Tick at least one choice (space).", severity="warning")
                return
            self.submit(chosen)
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
            self.query_one("#quiz-multi", SelectionList).toggle(number - 1)

    async def action_next(self) -> None:
        if self.answered:
            self.index += 1
            await self.show_question()

    async def action_practice(self) -> None:
        if self.question is None and not self.practice:
            self.practice = True
            self.results = []
            await self.start()

    def action_back(self) -> None:
        self.app.pop_screen()
