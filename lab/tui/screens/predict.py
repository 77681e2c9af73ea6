"""Provides the prediction asked before an experiment's run, and the verdict shown after it.

`PredictionStep` is the experiment screen's hook: its run action calls `ask` (which shows
`PredictScreen` and starts the run once the learner has answered or skipped) and its run's end
calls `reveal` (which shows `VerdictScreen`). The deciding, grading and storing is
`lab.quiz.predict.PredictionSession`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from lab.quiz.grading import AnswerError, parse_answer
from lab.quiz.predict import PredictionSession, Verdict
from lab.text import reflow
from lab.tui.messages import ProgressChanged
from lab.tui.widgets.footer import LabFooter
from lab.tui.widgets.inline_text import inline_text
from lab.tui.widgets.separated import Separated


class PredictScreen(ModalScreen[Any]):
    """The prediction's question; dismisses with the parsed answer, or None when skipped."""

    BINDINGS = [
        Binding("escape", "skip", "Skip, just run"),
        Binding("t", "true_false(True)", "True", show=False),
        Binding("f", "true_false(False)", "False", show=False),
    ]

    def __init__(self, session: PredictionSession) -> None:
        super().__init__()
        self.session = session
        self.question = session.question

    def compose(self) -> ComposeResult:
        q = self.question
        with VerticalScroll(id="predict"):
            yield Static(
                Separated(["Predict, then run", f"this run: {self.session.describe_settings()}"]),
                id="predict-head",
            )
            yield Static(inline_text(reflow(q.prompt)), id="predict-prompt")
            if q.kind == "single":
                yield OptionList(
                    *[
                        Option(inline_text(f"{i + 1}. {c}"), id=str(i))
                        for i, c in enumerate(q.choices)
                    ],
                    id="predict-choices",
                )
            elif q.kind == "true_false":
                yield OptionList(
                    Option("true (t)", id="true"),
                    Option("false (f)", id="false"),
                    id="predict-choices",
                )
            else:
                yield Input(placeholder="a number, then enter", id="predict-input")
            yield Static("", id="predict-error")
        yield LabFooter()

    def on_mount(self) -> None:
        self.query_one("#predict").border_subtitle = "enter: answer and run · escape: skip"
        self.query_one("#predict-error").display = False
        self.query_one("#predict-choices, #predict-input").focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        option = event.option.id
        if option is None:  # every choice here has one
            return
        self.dismiss(option == "true" if self.question.kind == "true_false" else int(option))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            answer = parse_answer(self.question, event.value)
        except AnswerError as exc:
            error = self.query_one("#predict-error", Static)
            error.update(Content(str(exc)))
            error.display = True
            return
        self.dismiss(answer)

    def on_key(self, event: events.Key) -> None:
        # Digits choose a choice at once, as in the quiz.
        if self.question.kind == "single" and event.character and event.character.isdigit():
            index = int(event.character) - 1
            if 0 <= index < len(self.question.choices):
                event.stop()
                self.dismiss(index)

    def action_true_false(self, value: bool) -> None:
        if self.question.kind == "true_false":
            self.dismiss(value)

    def action_skip(self) -> None:
        self.dismiss(None)


class VerdictScreen(ModalScreen[None]):
    """Whether the prediction was right, with the explanation; under it the run stays visible."""

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("enter", "close", "Close", show=False),
    ]

    def __init__(self, verdict: Verdict) -> None:
        super().__init__()
        self.verdict = verdict

    def compose(self) -> ComposeResult:
        v = self.verdict
        head, _, explanation = v.feedback.partition("\n")
        mark = "✓" if v.correct else "✗"
        text = f"You predicted: {v.answer}\n{mark} {head}\n{reflow(explanation)}"
        if not v.stored:
            text += "\n(This answer could not be saved.)"
        elif not v.correct:
            text += "\nThis prediction comes back soon: Home's continue (c) brings you here."
        with VerticalScroll(id="verdict", classes="right" if v.correct else "wrong") as box:
            box.border_subtitle = "enter or escape: close"
            yield Static(Content(text), id="verdict-text")
        yield LabFooter()

    def action_close(self) -> None:
        self.dismiss(None)


class PredictionStep:
    """The experiment screen's prediction: asked at the first `r`, its verdict at the run's end."""

    def __init__(self, screen: Any) -> None:
        self.screen = screen
        self.session: PredictionSession | None = None

    def _session(self) -> PredictionSession | None:
        entry = getattr(self.screen, "entry", None)
        if entry is None or entry.experiment.predict is None:
            return None
        if self.session is None:
            self.session = PredictionSession(entry, getattr(self.screen.app, "store", None))
        return self.session

    def pending(self) -> bool:
        """The next `r` asks the prediction first (what gives it away waits until then)."""
        session = self._session()
        return session is not None and session.wanted()

    def ask(self, then_run: Callable[[], None]) -> bool:
        """Show the prediction if one is wanted and return True: `then_run` is called once it is
        answered or skipped. False when there is nothing to ask (run now)."""
        session = self._session()
        if session is None or not session.wanted():
            return False

        def answered(answer: Any) -> None:
            if answer is None:
                session.skip()
            else:
                session.answer(answer)
                self.screen.query_one("#exp-form").fill(session.settings())
                if session.store_error:
                    self.screen.notify(
                        f"Could not save the prediction: {session.store_error}",
                        severity="error",
                        markup=False,
                    )
                self.screen.post_message(ProgressChanged())
            then_run()

        self.screen.app.push_screen(PredictScreen(session), answered)
        return True

    def reveal(self) -> None:
        """After a run: the verdict on the prediction made before it, if any."""
        verdict = self.session.take_verdict() if self.session else None
        if verdict is not None:
            # The run's toasts ("Goal reached.", posted just before) would cover the verdict;
            # the status and goal lines say the same. Cleared once the app has taken them.
            self.screen.app.call_later(self.screen.app.clear_notifications)
            self.screen.app.push_screen(VerdictScreen(verdict))
