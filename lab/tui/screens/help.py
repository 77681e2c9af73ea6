"""Provides the help screen (every key, reached with `?`) and the quit-while-running question."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Header, Static

from lab.quiz import MASTERY_HELP
from lab.text import wrap_cells
from lab.tui.screens.confirm import Confirm
from lab.tui.widgets.footer import LabFooter

KEYS: list[tuple[str, list[tuple[str, str]]]] = [
    (
        "Everywhere",
        [
            ("?", "this help"),
            ("escape", "back to the previous screen"),
            ("q", "quit (asks first while a run is going)"),
            ("g", "glossary"),
            ("/", "search the glossary"),
            ("ctrl+p", "find a lesson, experiment, term or command"),
            ("tab / shift+tab", "move between fields"),
            ("up / down, enter", "move in a list, choose"),
        ],
    ),
    (
        "Home",
        [
            ("enter", "open the lesson under the cursor"),
            ("c", "continue where you left off"),
            ("z", "quiz: due questions first, then new ones of the lessons read"),
            ("f", "flashcards for glossary terms"),
        ],
    ),
    (
        "Lesson",
        [
            ("up / down, page up / down", "scroll; reaching the end marks it read"),
            ("m", "mark as read"),
            ("t", "the lesson's terms (a link opens one too)"),
            ("z", "the lesson's quiz"),
            ("f", "flashcards for the lesson's terms"),
            ("e or r", "the lesson's experiments (when it has some)"),
            ("n", "the next lesson"),
            ("x", "the lesson's exercises: write the code"),
        ],
    ),
    (
        "Exercise",
        [
            ("e", "edit your file here"),
            ("ctrl+z / ctrl+y", "in the editor: undo / redo (tab indents)"),
            ("ctrl+s", "save and check at once (in the editor too)"),
            ("escape", "leave the editor; again: back (edits are saved)"),
            ("h", "the next hint"),
            ("s", "the solution, once you have checked your code"),
            ("o", "edit in $VISUAL or $EDITOR, checked on return"),
            ("r", "put the starter back (asks; keeps your file)"),
            ("n", "the next exercise"),
            ("m", "more of a check's result that does not fit (the line under it says)"),
        ],
    ),
    (
        "Experiment",
        [
            ("r", "run"),
            ("s", "stop"),
            ("p", "pause the run; again: resume; no run going: run, paused before step 1"),
            ("n", "one step (one update), then paused"),
            ("N", "one epoch, then paused"),
            ("tab", "between the hyperparameter fields"),
            ("[ / ]", "less / more smoothing of the curve"),
            ("l", "log scale on or off"),
            ("c", "compare: overlay earlier runs (space ticks one)"),
            ("v", "under the loss: the model's pictures, the accuracy, the run's figures"),
            ("a", "plain ASCII plot markers on or off"),
            ("x", "export: the current settings as a plain PyTorch script"),
        ],
    ),
    (
        "Prediction",
        [
            ("up / down, enter, 1-9", "choose what you expect, before the run starts"),
            ("t / f", "true or false"),
            ("escape", "skip the prediction, just run"),
            ("enter or escape", "after the run: close the verdict"),
        ],
    ),
    (
        "Glossary",
        [
            ("type", "search names, aliases and translations"),
            ("enter", "from the search box to the results; on a result, to see-also"),
            ("enter on see-also", "follow it"),
        ],
    ),
    (
        "Quiz",
        [
            ("up / down, enter", "choose an answer"),
            ("1-9", "pick a choice directly"),
            ("space", "tick or untick a choice (several right answers)"),
            ("t / f", "true or false"),
            ("enter", "check the answer; then the next question"),
            ("n", "the next question, once this one is answered"),
            ("o", "after a text answer marked wrong: I was right (kept as overruled)"),
            ("l", "take any lesson's quiz, read or not"),
            ("p", "when nothing is due: practise every question"),
        ],
    ),
    (
        "Flashcards",
        [
            ("space or enter", "turn the card"),
            ("1 2 3 4", "again, hard, good, easy (each says when the card comes back)"),
            ("v", "reverse cards: 中文, français or none"),
        ],
    ),
]


KEY_COLUMN = 29
"""Where the descriptions start; a description that wraps goes on under its own start."""


def keys_text(width: int = 80) -> Content:
    """Every key and what it does, descriptions wrapped within `width` cells."""
    parts: list[Content] = []
    for title, rows in KEYS:
        parts.append(Content.styled(title, "bold"))
        parts.append(Content("\n"))
        for key, what in rows:
            first = f"  {key}".ljust(KEY_COLUMN - 1) + " "
            lines = wrap_cells(what, width, " " * KEY_COLUMN, first)
            parts.append(Content("\n".join(lines) + "\n"))
        parts.append(Content("\n"))
    parts.append(Content.styled("Mastery", "bold"))
    parts.append(Content("\n" + "\n".join(wrap_cells(MASTERY_HELP, width, "  ")) + "\n"))
    return Content("").join(parts)


class HelpScreen(Screen):
    """Every key of every screen."""

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("question_mark", "back", "Close", key_display="?"),
    ]

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with VerticalScroll(id="help-scroll", can_focus=True):
            yield Static(keys_text(), id="help-keys")
        yield LabFooter()

    def on_mount(self) -> None:
        self.sub_title = "Keys"
        self.query_one("#help-scroll").focus()

    def on_resize(self, event: events.Resize) -> None:
        self.call_after_refresh(self._wrap)  # once the text has its new width

    def _wrap(self) -> None:
        keys = self.query_one("#help-keys", Static)
        if keys.content_region.width:
            keys.update(keys_text(max(keys.content_region.width, 40)))

    def action_back(self) -> None:
        self.app.pop_screen()


class ConfirmQuit(Confirm):
    """Asked when `q` is pressed while an experiment is running."""

    def __init__(self) -> None:
        super().__init__("A run is going. Stop it and quit?", yes="Quit", no="Stay")
