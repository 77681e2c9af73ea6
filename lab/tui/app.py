"""Provides the lab app and `make_app`, the one factory that wires it for the CLI and for tests.

Shutdown: screens that own something to stop (a training worker) append a callable to
`app.shutdown_hooks`; the app calls each one, once, as it exits, whether by `q`, by SIGHUP
(the SSH connection dropped) or by SIGTERM. A hook may be sync or async and must not block.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import signal
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.app import App
from textual.binding import Binding
from textual.widgets import Header

from lab.catalog import Catalog
from lab.tui.commands import LabCommands
from lab.tui.messages import LessonRead, ProgressChanged, TermRequested

if TYPE_CHECKING:
    from lab.exercises.checker import ExerciseChecker
    from lab.runs.ports import WorkerSource
    from lab.store import Store

HEADER_ICON = "≡"
"""The header's button for the command palette, in a character every terminal font has."""
HANGUP_EXIT_S = 2.0  # after SIGHUP, how long the normal exit may take before the process ends


class LabApp(App):
    """Lessons, glossary, quizzes and experiments; each screen lives in `lab.tui.screens`."""

    CSS_PATH = "lab.tcss"
    TITLE = "lab"
    COMMANDS = App.COMMANDS | {LabCommands}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (70, "-medium"), (100, "-wide")]
    """Classes for lab.tcss: under 100 columns the header gives its icon's and clock's room to
    the title; under 70 the experiment's side column narrows for the plots."""
    BINDINGS = [
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("q", "quit_lab", "Quit"),
        Binding("g", "glossary", "Glossary", show=False),  # in help and the palette: footers fit 80
        Binding("slash", "search", "Search", key_display="/", show=False),
    ]

    def __init__(
        self,
        catalog: Catalog,
        store: Store | None = None,
        target: str | None = None,
        store_error: str | None = None,
        settings: dict[str, str] | None = None,
        prewarm: bool = True,
        checker: ExerciseChecker | None = None,
        run_workers: WorkerSource | None = None,
    ) -> None:
        super().__init__()
        self.prewarm = prewarm
        """Start a training worker while a lesson with experiments is read (off in tests)."""
        self.catalog = catalog
        self.store = store
        self.store_error = store_error
        self.target = target
        self.settings = settings or {}
        """`lab open ID --set KEY=VALUE`: the target experiment's form starts with these."""
        self.shutdown_hooks: list[Callable[[], object]] = []
        """Called once each as the app exits (see the module docstring)."""
        self.checker = checker
        """Runs learners' exercise files in its own process; started by the first exercise."""
        self._run_workers = run_workers
        if run_workers is not None:
            self.shutdown_hooks.append(run_workers.shutdown)
        self._run_flag = False
        self._hooks_ran = False
        self._exit_timer: threading.Timer | None = None

    # --- state other screens read -------------------------------------------------------

    @property
    def run_in_progress(self) -> bool:
        """True while an experiment trains: set by the experiment screen, or read from it."""
        if self._run_flag:
            return True
        return any(getattr(s, "run_in_progress", False) is True for s in self.screen_stack)

    @run_in_progress.setter
    def run_in_progress(self, value: bool) -> None:
        self._run_flag = bool(value)

    @property
    def run_workers(self) -> WorkerSource:
        """Where run workers come from (`lab.runs.runners.runner()` unless one was given), made
        on first use and shut down as the app exits."""
        if self._run_workers is None:
            from lab.runs.runners import runner

            self._run_workers = runner()
            self.shutdown_hooks.append(self._run_workers.shutdown)
        return self._run_workers

    def exercise_checker(self) -> ExerciseChecker:
        """The one exercise checker, started on first use (its process imports torch while
        the learner reads the task) and closed as the app exits."""
        if self.checker is None:
            from lab.exercises.checker import Checker

            checker = self.checker = Checker()
            # closing waits (up to 2 s) for the process to end: off the event loop
            self.shutdown_hooks.append(lambda: asyncio.to_thread(checker.close))
        return self.checker

    @property
    def typing(self) -> bool:
        """The learner types into an editor or a box (the glossary's search): letters are
        text there, not keys (a number field lets them through)."""
        focused = self.focused
        return focused is not None and focused.check_consume_key("q", "q")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # While the learner types, q, g, ? and / are text: hide them from the footer so that
        # every key shown there does what it says.
        if action in ("quit_lab", "glossary", "help", "search"):
            return not self.typing
        return True

    # --- start and stop -----------------------------------------------------------------

    def get_default_screen(self):
        from lab.tui.screens.home import HomeScreen

        return HomeScreen()

    def on_mount(self) -> None:
        self._install_signal_handlers()
        self.screen_change_signal.subscribe(self, self._set_header_icon)
        self._set_header_icon(self.screen)
        if self.store_error:
            self.notify(
                f"Progress is not saved this session: {self.store_error}",
                title="No progress store",
                severity="warning",
                timeout=8,
                markup=False,
            )
        notice = self.store.notice if self.store is not None else None
        if notice:
            self.notify(notice, title="Progress", severity="warning", timeout=10, markup=False)
        if self.target:
            self.open_target(self.target)

    def _set_header_icon(self, screen) -> None:
        # Textual's ⭘ is a box in fonts without it (xterm with DejaVu Sans Mono); the screen's
        # header may mount after the screen is shown: once it has.
        def set_icon() -> None:
            for header in screen.query(Header):
                header.icon = HEADER_ICON

        set_icon()
        screen.call_after_refresh(set_icon)

    def _install_signal_handlers(self) -> None:
        try:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGHUP, signal.SIGTERM):
                loop.add_signal_handler(sig, self._on_hangup)
        except (NotImplementedError, RuntimeError, ValueError, AttributeError):
            pass  # not the main thread, or no such signal here: nothing to install

    def _on_hangup(self) -> None:
        # The terminal is gone: stop what runs, then leave; answers are already stored.
        self.call_later(self._exit_cleanly)

    async def _exit_cleanly(self) -> None:
        await self.run_shutdown_hooks()
        if not self.is_headless:
            # Textual's exit restores the terminal through a writer thread; with the terminal
            # hung up that thread has died and the exit would wait on it forever. Everything
            # worth keeping is stored and the hooks have run, so end the process if it hangs.
            self._exit_timer = threading.Timer(HANGUP_EXIT_S, os._exit, args=(129,))
            self._exit_timer.daemon = True
            self._exit_timer.start()
        self.exit(return_code=129)

    def cancel_hangup_exit(self) -> None:
        """Called once `run()` has returned: the normal exit finished after all."""
        if self._exit_timer is not None:
            self._exit_timer.cancel()

    async def run_shutdown_hooks(self) -> None:
        """Call every shutdown hook once; a failing hook does not stop the others."""
        if self._hooks_ran:
            return
        self._hooks_ran = True
        for hook in list(self.shutdown_hooks):
            try:
                result = hook()
                if inspect.isawaitable(result):
                    await asyncio.wait_for(result, timeout=5)
            except Exception:  # noqa: BLE001 - a hook's failure must not block exiting
                pass

    async def on_unmount(self) -> None:
        await self.run_shutdown_hooks()

    # --- navigation ---------------------------------------------------------------------

    def open_target(self, target: str) -> None:
        """Open a lesson, experiment or exercise id, `quiz` or `quiz:LESSON` on top of home."""
        if target == "quiz" or target.startswith("quiz:"):
            lesson = target.partition(":")[2] or None
            self.open_quiz(lesson)
        elif target == "flashcards":
            self.open_flashcards()
        elif self.catalog.lesson(target):
            self.open_lesson(target)
        elif self.catalog.experiment(target):
            self.open_experiment(target, self.settings)
        elif self.catalog.exercise(target):
            self.open_exercise(target)
        else:
            self.notify(f"Nothing is called {target!r}", severity="error", markup=False)

    def open_lesson(self, lesson_id: str) -> None:
        from lab.tui.screens.lesson import LessonScreen

        self.push_screen(LessonScreen(lesson_id))

    def open_experiment(self, experiment_id: str, settings: dict[str, str] | None = None) -> None:
        try:
            from lab.tui.screens.experiment import ExperimentScreen
        except ImportError:
            self.notify("The experiment screen is not available yet.", severity="warning")
            return
        self.push_screen(ExperimentScreen(experiment_id, settings))

    def open_exercise(self, exercise_id: str) -> None:
        from lab.tui.screens.exercise import ExerciseScreen

        self.push_screen(ExerciseScreen(exercise_id))

    def open_quiz(self, lesson: str | None = None) -> None:
        from lab.tui.screens.quiz import QuizScreen

        self.push_screen(QuizScreen(lesson))

    def open_flashcards(self, lesson: str | None = None) -> None:
        from lab.tui.screens.flashcards import FlashcardsScreen

        self.push_screen(FlashcardsScreen(lesson))

    def show_term(self, name: str) -> None:
        """Open the glossary at `name`, or bring an open glossary to it."""
        from lab.tui.screens.glossary import GlossaryScreen

        if isinstance(self.screen, GlossaryScreen):
            self.screen.show(name)
        else:
            self.push_screen(GlossaryScreen(term=name))

    def on_term_requested(self, message: TermRequested) -> None:
        self.show_term(message.name)

    def on_progress_changed(self, _message: ProgressChanged) -> None:
        """A screen saved an answer or a run: the home screen under it shows new figures."""
        self._tell_home()

    def on_lesson_read(self, _message: LessonRead) -> None:
        self._tell_home()

    def _tell_home(self) -> None:
        from lab.tui.screens.home import HomeScreen

        for screen in self.screen_stack:
            if isinstance(screen, HomeScreen):
                screen.post_message(ProgressChanged())

    # --- actions ------------------------------------------------------------------------

    def action_help(self) -> None:
        from lab.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_glossary(self) -> None:
        from lab.tui.screens.glossary import GlossaryScreen

        if not isinstance(self.screen, GlossaryScreen):
            self.push_screen(GlossaryScreen())

    def action_search(self) -> None:
        from lab.tui.screens.glossary import GlossaryScreen

        if isinstance(self.screen, GlossaryScreen):
            self.screen.focus_search()
        else:
            self.push_screen(GlossaryScreen(focus_search=True))

    def action_help_quit(self) -> None:
        # Ctrl+C (Textual's hint names ctrl+q): name the key that help and the footer name.
        key = "ctrl+q" if self.typing else "q"
        self.notify(f"Press {key} to quit.", title="Do you want to quit?", markup=False)

    def action_quit_lab(self) -> None:
        if not self.run_in_progress:
            self.exit()
            return
        from lab.tui.screens.help import ConfirmQuit

        if isinstance(self.screen, ConfirmQuit):
            return

        def answered(quit_now: bool | None) -> None:
            if quit_now:
                self.call_later(self._quit_after_hooks)

        self.push_screen(ConfirmQuit(), answered)

    async def _quit_after_hooks(self) -> None:
        await self.run_shutdown_hooks()
        self.exit()


def make_app(
    catalog: Catalog,
    store: Store | None = None,
    target: str | None = None,
    prewarm: bool = True,
    checker: ExerciseChecker | None = None,
    settings: dict[str, str] | None = None,
    run_workers: WorkerSource | None = None,
) -> LabApp:
    """The app for `catalog`; opens the learner's store unless one is given; the exercise
    checker and the run workers' source are started on first use unless given (tests give
    fakes).

    When the store cannot open, the app still starts (lessons and glossary work) and says why.
    """
    error = None
    if store is None:
        try:
            from lab.store import Store

            store = Store.open()
        except Exception as exc:  # noqa: BLE001 - any failure leaves a usable read-only lab
            store, error = None, str(exc) or type(exc).__name__
    return LabApp(
        catalog,
        store=store,
        target=target,
        store_error=error,
        prewarm=prewarm,
        checker=checker,
        settings=settings,
        run_workers=run_workers,
    )
