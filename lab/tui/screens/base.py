"""Provides `LabScreen`: a screen of the lab app, which reads the app's typed attributes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.screen import Screen

if TYPE_CHECKING:
    from lab.tui.app import LabApp


class LabScreen(Screen):
    """A screen pushed by `LabApp`: `self.app` is the lab app (its store, run workers, hooks)."""

    app: LabApp  # (an annotation only: Textual's own property gives it)
