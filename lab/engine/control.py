"""Provides `Control`: what a training loop asks between updates: stop? and, step by step,
may the next update go?

Commands are words: `pause`, `step` (one more update, then paused), `epoch` (the rest of the
current epoch, then paused), `resume` and `stop`. Where they come from is a subclass's business (the
worker reads them from its stdin); a plain `Control(should_stop)` never pauses. No torch here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

COMMANDS = ("pause", "step", "epoch", "resume", "stop")


class Control:
    """Stop and step-by-step for one run. The loop calls `wait_turn()` before each update (it
    blocks while paused), `should_stop()` after it, and `epoch_done()` at each epoch's end."""

    def __init__(
        self,
        should_stop: Callable[[], bool] = lambda: False,
        on_hold: Callable[[int], None] = lambda updates: None,
    ) -> None:
        self._should_stop = should_stop
        self._on_hold = on_hold
        """Called with the number of updates taken so far as the run begins to wait."""
        self.updates = 0
        """Updates taken: turns `wait_turn()` granted."""
        self.paused = False
        """True while stepping: the loop reports each update at once instead of batching."""
        self._steps = 0  # updates granted while paused
        self._epoch = False  # the rest of the current epoch granted while paused
        self._stop_asked = False  # a `stop` command came

    # --- where commands come from: a subclass's part -------------------------------------------

    def receive(self, wait: bool) -> Iterable[str]:
        """The commands that arrived. With `wait`, block (without using the CPU) until one does
        or the run must stop."""
        return ()

    def stopped(self) -> bool:
        return self._stop_asked or self._should_stop()

    # --- what the loop asks --------------------------------------------------------------------

    def take(self, word: str) -> None:
        """Apply one command; an unknown word is ignored."""
        if word == "pause":
            self.paused = True
        elif word == "step":
            self.paused = True
            self._steps += 1
        elif word == "epoch":
            self.paused = True
            self._epoch = True
        elif word == "resume":
            self.paused, self._steps, self._epoch = False, 0, False
        elif word == "stop":
            self._stop_asked = True

    def should_stop(self) -> bool:
        for word in self.receive(wait=False):
            self.take(word)
        return self.stopped()

    def holding(self) -> bool:
        """True when the next update would wait: paused, with no step or epoch granted. The loop
        hands out what it has not reported yet before it waits."""
        return self.paused and not (self._steps or self._epoch)

    def wait_turn(self) -> bool:
        """Before an update: wait while paused until a step, an epoch or resume comes. True when
        the run must stop instead (stop, a signal, the parent gone), at once, even while paused.
        Not paused, it returns at once: `should_stop()` after each update sees a stop."""
        if self.holding() and not self.stopped():
            self._on_hold(self.updates)
        while self.holding():
            if self.stopped():
                return True
            for word in self.receive(wait=True):
                self.take(word)
        if self.paused and not self._epoch:
            self._steps -= 1
        self.updates += 1
        return False

    def epoch_done(self) -> None:
        """An epoch ended: an epoch granted while paused is used up."""
        self._epoch = False


def as_control(control: Control | Callable[[], bool]) -> Control:
    """A loop's control from a `Control` or a plain `should_stop()` callable."""
    return control if isinstance(control, Control) else Control(control)
