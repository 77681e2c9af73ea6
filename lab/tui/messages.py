"""Provides the messages that cross screens: small dataclasses named as facts.

A message posted by a screen bubbles to the app, never to another screen: the app passes
`LessonRead` and `ProgressChanged` on to the home screen (see `LabApp.on_progress_changed`).
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class TermRequested(Message):
    """The learner asked to see a glossary term (a `[[link]]`, a see-also, the palette)."""

    name: str


@dataclass
class LessonRead(Message):
    """The learner reached the end of a lesson, or marked it read."""

    lesson: str


@dataclass
class ProgressChanged(Message):
    """Something the home screen shows changed (an answer, a read lesson, a run)."""
