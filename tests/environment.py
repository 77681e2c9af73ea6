"""The environment the suite runs in, the same whatever shell starts it.

A pytest plugin (`-p tests.environment` in pyproject.toml's addopts), so that it runs before the
other plugins load: pytest-textual-snapshot imports Textual, and Textual reads TEXTUAL_* (the
theme, the colour system) once, as it is imported; a conftest.py comes too late for that. The
xdist workers and every process a test starts (workers, check servers, `lab` in tmux) inherit it.
Per test, tests/conftest.py then gives each test its own LAB_HOME.
"""

from __future__ import annotations

import os
import signal
import sys
import time

PINNED = {
    "TERM": "xterm-256color",
    "LANG": "C.UTF-8",
    "TZ": "UTC",
    "COLUMNS": "80",
    "LINES": "24",
}
"""An 80x24 UTF-8 xterm in UTC: what the snapshots and the expected outputs were written on."""

DROPPED_PREFIXES = ("LAB_", "TEXTUAL", "LC_", "XDG_", "TMUX")
"""The lab's own settings, Textual's, the locale's categories (LANG alone decides), the learner's
folders and an enclosing tmux."""

DROPPED = (
    "NO_COLOR",
    "FORCE_COLOR",
    "CLICOLOR",
    "CLICOLOR_FORCE",
    "PY_COLORS",
    "COLORTERM",
    "TTY_COMPATIBLE",
    "TTY_INTERACTIVE",
    "TERMINAL_WIDTH",
    "TYPER_USE_RICH",
    "ESCDELAY",
    "EDITOR",
    "VISUAL",
    "PAGER",
    "PYTHONDONTWRITEBYTECODE",
)
"""Colour and terminal switches (Rich, Typer, Textual), the learner's editor and pager, and a
switch that would make every run of the suite compile (and assert-rewrite) its code again."""

KEPT = ("TEXTUAL_SNAPSHOT_TEMPDIR",)
"""pytest-textual-snapshot's hand-off from the xdist controller to its workers."""


for name in list(os.environ):
    if (name.startswith(DROPPED_PREFIXES) or name in DROPPED) and name not in KEPT:
        del os.environ[name]
os.environ.update(PINNED)
time.tzset()
# this process read PYTHONDONTWRITEBYTECODE as it started: the cache of the tests' rewritten
# asserts (and of lab's modules) is written from here on, and read by the next run
sys.dont_write_bytecode = False

# A background job of a non-interactive shell (`make test &`, some CI runners) starts with SIGINT
# ignored, and an ignored signal stays ignored across exec: Ctrl+C tests and stops sent to a
# worker still starting would see nothing. A handler is reset to the default at exec, so every
# process the suite starts gets Ctrl+C back.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
