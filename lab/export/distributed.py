"""Provides the torchrun scripts: declarative experiments and ddp-digits with DDP."""

from __future__ import annotations

from typing import Any

SCRIPTED: set[str] = set()


def train_script(run_spec: dict[str, Any]) -> str:
    raise NotImplementedError


def scripted_script(run_spec: dict[str, Any]) -> str:
    raise NotImplementedError
