"""Provides the exercise screen: the task, an editor on the learner's file, checks on each save.

`lab.exercises.session.ExerciseSession` owns the state, hints, the solution and reset; the
screen reads and writes the learner's file (keeping the text last saved) and watches it on
disk for saves from another editor. A check runs the learner's code in the checker's
process; the screen waits for it on a Textual worker thread, so the app stays responsive even
when the learner's code loops forever (the checker's time limit ends it).
"""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Header, Markdown, Static, TextArea

from lab.catalog.catalog import ExerciseEntry
from lab.exercises.checker import SourceError
from lab.exercises.files import keep_aside
from lab.exercises.result import Result
from lab.exercises.session import ExerciseSession
from lab.tui.messages import ProgressChanged
from lab.tui.screens.base import LabScreen
from lab.tui.screens.confirm import Confirm
from lab.tui.screens.solution import SolutionScreen
from lab.tui.widgets.check_results import CheckResults
from lab.tui.widgets.code_editor import CodeEditor
from lab.tui.widgets.footer import LabFooter

WATCH_S = 1.0
"""How often the learner's file is looked at for a save made in another editor."""
EDITING_ACTIONS = {"save", "leave_editor"}
"""The screen's actions whose keys still mean something while the editor has the keys."""


@dataclass
class CheckFinished(Message):
    """The checker came back with the result of checking the learner's file."""

    result: Result


class ResultPane(VerticalScroll, can_focus=False):
    """The last check's result, scrolled a page at a time by `m`."""

    class Resized(Message):
        """Its size, its content's size or its container's size changed."""

    def on_resize(self) -> None:
        # Watching `virtual_size` is not enough: it is set before the container's size, which
        # `max_scroll_y` reads, so a watcher saw the size of the layout before.
        self.post_message(self.Resized())


def shown_path(path: Path) -> str:
    """The path with the home folder as `~`, as a learner would type it."""
    home = Path.home()
    with contextlib.suppress(ValueError):
        return str(Path("~") / path.relative_to(home))
    return str(path)


def read_learner_file(session: ExerciseSession) -> tuple[str, str | None]:
    """The file's text and None, or ("", why it cannot be edited here; it is left untouched)."""
    try:
        return session.source(), None
    except SourceError as exc:
        return "", f"{exc}; o opens your own editor, r puts the starter back"


def disk_stamp(path: Path) -> tuple[int, int] | None:
    """The file's modification time and size, to notice a save from another editor."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def write_learner_file(path: Path, text: str) -> None:
    """Write through a temporary file and a rename, so a crash mid-write loses nothing."""
    tmp = path.with_name(f".{path.name}.saving")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


class ExerciseScreen(LabScreen):
    """One exercise: `e` edits, ctrl+s saves and checks, `h` hints, `s` solution, `r` reset."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Check"),
        Binding("escape", "leave_editor", "Stop editing"),
        Binding("e", "edit", "Edit"),
        Binding("h", "hint", "Hint"),
        Binding("s", "solution", "Solution"),
        Binding("o", "external_editor", "$EDITOR", show=False),
        Binding("r", "reset", "Reset", show=False),
        Binding("n", "next", "Next", show=False),
        Binding("m", "more", "More of the result", show=False),  # the line under it says so
        Binding("escape", "back", "Back", show=False),  # the footer has no room at 80 columns
    ]

    def __init__(self, exercise_id: str) -> None:
        super().__init__()
        self.exercise_id = exercise_id
        self._entry: ExerciseEntry | None = None
        self._session: ExerciseSession | None = None
        self.saved_text = ""
        self.file_problem: str | None = None
        self.on_disk: tuple[int, int] | None = None
        """The file's time and size when last read or written here."""
        self.checking = False
        self._told_of: tuple[int, int] | None = None
        """The file's stamp when the learner was told it changed on disk under their edits."""
        self._check_again = False
        self._check_started = 0.0
        self._hints: list[str] = []
        self.editor = CodeEditor(id="ex-editor")
        """Kept here, not queried: the screen saves its text even after the widgets are gone."""

    @property
    def entry(self) -> ExerciseEntry:
        """The exercise, found in the catalog by `compose` (the app opens known ids only)."""
        assert self._entry is not None
        return self._entry

    @property
    def session(self) -> ExerciseSession:
        """The learner's work on the exercise, from the screen's mount on."""
        assert self._session is not None
        return self._session

    # --- building -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        self._entry = self.app.catalog.exercise(self.exercise_id)
        yield Header(show_clock=False)
        yield Static(id="ex-info")
        with Vertical(id="ex-body"):
            with VerticalScroll(id="ex-task", can_focus=True):
                yield Markdown(self.entry.exercise.task, id="ex-task-text", open_links=False)
                yield Markdown("", id="ex-hints")
            yield self.editor
            with ResultPane(id="ex-result"):
                yield CheckResults(id="ex-checks")
            yield Static(id="ex-more")
        yield LabFooter()

    def on_mount(self) -> None:
        exercise = self.entry.exercise
        self.sub_title = exercise.title
        self.query_one("#ex-hints").display = False
        try:
            checker = self.app.exercise_checker()
        except Exception:  # noqa: BLE001 - the session starts its own at the first check
            checker = None
        self._session = ExerciseSession(self.entry, store=self.app.store, checker=checker)
        try:
            self.session.open()
        except OSError as exc:
            self.notify(f"Cannot create your file: {exc.strerror or exc}", severity="error")
        self.load_file()
        state = self.session.state
        self.query_one(CheckResults).show_nothing(
            "Not checked yet: e to edit, ctrl+s to save and check."
            if state == "not started"
            else f"Last checked: {state}. ctrl+s checks it again."
        )
        self.query_one("#ex-task").focus()
        result = self.query_one("#ex-result")
        self.watch(result, "scroll_y", self._tell_more, init=False)
        self._ticker = self.set_interval(0.5, self._tick, pause=True)
        self.set_interval(WATCH_S, self._watch_disk)

    # --- the learner's file ---------------------------------------------------------------

    @property
    def unsaved(self) -> bool:
        return not self.editor.read_only and self.editor.text != self.saved_text

    def load_file(self) -> None:
        """Put the file on disk into the editor (after opening, `$EDITOR` or a reset)."""
        text, problem = read_learner_file(self.session)
        self.saved_text = text
        self.editor.read_only = problem is not None
        self.editor.load_text(text)
        self.file_problem = problem
        self.on_disk = disk_stamp(self.session.path)
        self.update_info()

    @property
    def changed_on_disk(self) -> bool:
        """The file was written elsewhere since it was read or written here."""
        return disk_stamp(self.session.path) != self.on_disk

    def _watch_disk(self) -> None:
        # Watch mode for a file edited elsewhere (another terminal, an IDE): reload and check.
        # Edits not saved here stay; the next save asks before it writes over the file.
        stamp = disk_stamp(self.session.path)
        if stamp == self.on_disk:
            return
        if not self.unsaved:
            self.load_file()
            self.check_now()
        elif stamp != self._told_of:
            self._told_of = stamp
            self.notify(
                "Your file changed on disk, and the editor has edits not saved: ctrl+s asks "
                "before it saves over it.",
                severity="warning",
                timeout=8,
            )

    def save(self) -> bool:
        """Write the editor's text when it changed; False (and said why) when it could not. A
        file changed elsewhere meanwhile is kept aside first, never written over."""
        if not self.unsaved:
            return True
        text = self.editor.text
        try:
            kept = keep_aside(self.session.path) if self.changed_on_disk else None
            write_learner_file(self.session.path, text)
        except OSError as exc:
            self.notify(
                f"Could not save {shown_path(self.session.path)}: {exc.strerror or exc}",
                severity="error",
                markup=False,
            )
            return False
        self.saved_text = text
        self.on_disk = disk_stamp(self.session.path)
        self.update_info()
        if kept is not None:
            self.notify(
                f"The version saved elsewhere is kept as {shown_path(kept)}",
                markup=False,
                timeout=8,
            )
        return True

    def update_info(self) -> None:
        state = "checking…" if self.checking else self.session.state
        parts = [Content.assemble("state: ", (state, _state_style(state)))]
        if not self.checking and self.session.latest_fails:
            parts.append(Content.styled(" (passed before; this version fails)", "$text-warning"))
        if self.unsaved:
            parts.append(Content.styled("  ● unsaved", "$text-warning"))
        parts.append(Content(f"  file: {shown_path(self.session.path)}"))
        if self.file_problem:
            parts.append(Content.styled(f"\n{self.file_problem}", "$text-error"))
        for info in self.query("#ex-info").results(Static):  # none once the screen closes
            info.update(Content("").join(parts))

    @on(TextArea.Changed, "#ex-editor")
    def _edited(self) -> None:
        self.update_info()

    # --- checking -------------------------------------------------------------------------

    def check_now(self) -> None:
        """Check the file on disk; a save during a check asks for one more check after it."""
        if self.checking:
            self._check_again = True
            return
        self.checking = True
        self._check_started = time.monotonic()
        self.query_one(CheckResults).checking(0)
        self._ticker.resume()
        self.update_info()
        self.run_check()

    def _tick(self) -> None:
        if self.checking:
            self.query_one(CheckResults).checking(time.monotonic() - self._check_started)

    @work(
        thread=True,
        group="check",
        exit_on_error=False,
        description="Wait for the checker to run the learner's file and post the result",
    )
    def run_check(self) -> None:
        try:
            result = self.session.check()
        except Exception as exc:  # noqa: BLE001 - the learner sees it; the screen stays usable
            result = Result(error=f"could not check your file: {exc}")
        self.post_message(CheckFinished(result))

    def on_check_finished(self, message: CheckFinished) -> None:
        self.checking = False
        self._ticker.pause()
        self.show_result(message.result)
        self.post_message(ProgressChanged())
        if self._check_again:
            self._check_again = False
            self.check_now()

    def show_result(self, result: Result) -> None:
        self.query_one(CheckResults).show(result)
        self.query_one("#ex-result").scroll_home(animate=False)
        self.update_info()
        if result.passed and self._has_next():
            self.notify("Every check passes. n opens the next exercise.", timeout=4)

    # --- keys -----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        focused = self.focused
        editing = isinstance(focused, CodeEditor) and not focused.read_only
        if action == "leave_editor":
            return editing
        if action == "back":
            return not editing
        # While editing, printable keys type into the editor: their actions are neither shown
        # nor run.
        return not editing or action in EDITING_ACTIONS

    def on_descendant_focus(self) -> None:
        # While editing, the editor takes the rows: the task and the checks shrink to a few.
        self.set_class(self.check_action("leave_editor", ()) is True, "-editing")
        self.call_after_refresh(self._tell_more)

    def on_result_pane_resized(self) -> None:
        self._tell_more()

    def _tell_more(self, *_: object) -> None:
        """A line under the result while part of it is out of sight, with the key to it (at
        80x24 the last check's message was below the fold, and nothing said so)."""
        result = self.query_one("#ex-result")
        more = self.query_one("#ex-more", Static)
        hidden = result.max_scroll_y - round(result.scroll_y)
        more.display = result.max_scroll_y > 0
        if hidden > 0:
            key = "escape, then m" if self.has_class("-editing") else "m"
            more.update(f"↓ {hidden} more line{'s' if hidden != 1 else ''} of the result: {key}")
        else:
            more.update("m: back to the top of the result")

    def action_more(self) -> None:
        """The next page of the check's result; from its end, back to its top."""
        result = self.query_one("#ex-result")
        if result.scroll_y >= result.max_scroll_y:
            result.scroll_home(animate=False)
        else:
            result.scroll_page_down(animate=False)

    def on_code_editor_left(self, _message: CodeEditor.Left) -> None:
        self.action_leave_editor()

    def action_leave_editor(self) -> None:
        self.query_one("#ex-task").focus()

    def action_edit(self) -> None:
        if self.editor.read_only:
            self.notify(self.file_problem or "This file cannot be edited here.", markup=False)
            return
        self.editor.focus()

    def action_save(self) -> None:
        if not (self.unsaved and self.changed_on_disk):
            if self.save():
                self.check_now()
            return

        def answered(yes: bool | None) -> None:
            if not yes:
                self.notify("Not saved: the file on disk and your edits here are as they were.")
            elif self.save():
                self.check_now()

        question = (
            "Your file changed on disk since the editor loaded it (saved in another editor?). "
            "Save your edits over it? The version on disk is kept as a backup."
        )
        self.app.push_screen(Confirm(question, yes="Save mine", no="Cancel"), answered)

    async def action_hint(self) -> None:
        total = len(self.entry.exercise.hints)
        hint = self.session.next_hint()
        if hint is None:
            self.notify(
                "No more hints: s shows the solution once you have checked your code."
                if total
                else "This exercise has no hints."
            )
            return
        self._hints.append(f"**Hint {len(self._hints) + 1} of {total}.** {hint}")
        hints = self.query_one("#ex-hints", Markdown)
        hints.display = True
        await hints.update("\n\n".join(self._hints))
        # once the hint is laid out: scrolled to before, a short task area stopped above it
        self.call_after_refresh(self.query_one("#ex-task").scroll_end, animate=False)

    def action_solution(self) -> None:
        if not self.session.can_see_solution:
            self.notify(
                "Check your code once first (ctrl+s): the solution opens after a real attempt.",
                title="Not yet",
            )
            return
        self.app.push_screen(SolutionScreen(self.entry.exercise.title, self.session.solution()))

    def action_reset(self) -> None:
        def answered(yes: bool | None) -> None:
            if not yes or not self.save():  # unsaved edits go into the backup too
                return
            try:
                backup = self.session.reset()
            except OSError as exc:
                self.notify(f"Could not reset: {exc.strerror or exc}", severity="error")
                return
            self.load_file()
            self.query_one(CheckResults).show_nothing("The starter code is back. Not checked yet.")
            if backup is not None:
                kept = f"Your old file is kept as {shown_path(backup)}"
                self.notify(kept, markup=False, timeout=8)
            self.post_message(ProgressChanged())

        self.app.push_screen(
            Confirm("Put the starter code back? Your file is kept as a backup.", yes="Reset"),
            answered,
        )

    def action_external_editor(self) -> None:
        command = os.environ.get("VISUAL") or os.environ.get("EDITOR")
        if not command:
            self.notify("Set $EDITOR (for example EDITOR=nano) to edit in your own editor.")
            return
        if not self.save():
            return
        before = self.saved_text
        try:
            with self.app.suspend():
                subprocess.run([*shlex.split(command), str(self.session.path)], check=False)
        except SuspendNotSupported:
            self.notify("This terminal cannot hand over to another editor.", severity="warning")
            return
        except OSError as exc:
            self.notify(f"Could not start {command}: {exc.strerror or exc}", severity="error")
            return
        self.load_file()
        if self.saved_text != before or self.file_problem:
            self.check_now()

    def _next_id(self) -> str | None:
        ids = [e.exercise.id for e in self.app.catalog.exercises()]
        i = ids.index(self.exercise_id)
        return ids[i + 1] if i + 1 < len(ids) else None

    def _has_next(self) -> bool:
        return self._next_id() is not None

    def action_next(self) -> None:
        nxt = self._next_id()
        if nxt is None:
            self.notify("This is the last exercise.")
            return
        self.save()
        self.app.switch_screen(ExerciseScreen(nxt))

    def action_back(self) -> None:
        self.save()
        self.app.pop_screen()

    def on_unmount(self) -> None:
        # The app quit with this screen open: nothing typed is lost.
        if self._session is not None:
            self.save()
            self.session.close()  # ends a checker of its own; the app's shared one lives on


def _state_style(state: str) -> str:
    return {"done": "bold $text-success", "failing": "bold $text-error"}.get(state, "bold")
