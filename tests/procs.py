"""Process helpers for the tests that start real `lab` processes and watch them and their
workers."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def lab_env(**extra: str) -> dict[str, str]:
    """The environment of a real `lab` process: this checkout first on the path."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **extra}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


def lab_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "lab", *args]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
