"""Provides `lab export`: an experiment as a standalone PyTorch script that never imports lab.

`export_script(run_spec)` takes the run spec `lab run` would run (an experiment with the learner's
settings applied) and returns the script's text; `default_path` says where the app saves it.
"""

from __future__ import annotations

from lab.export.script import (
    ExportError,
    default_path,
    export_script,
    for_torchrun,
    run_command,
)

__all__ = ["ExportError", "default_path", "export_script", "for_torchrun", "run_command"]
