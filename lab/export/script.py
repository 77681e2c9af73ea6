"""Provides `export_script`: a run spec -> the text of a standalone script, formatted by ruff.

No torch here: the app calls this in its own process, which never imports torch.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from lab import paths
from lab.catalog import allowlists as allow
from lab.catalog.schema import TrainSpec

if TYPE_CHECKING:
    from lab.catalog.runspec import RunSpec

# ruff's defaults (line length 88), not this project's settings: the script is the learner's.
RUFF_FORMAT = ["format", "--isolated", "--stdin-filename", "script.py", "-"]


class ExportError(ValueError):
    """An experiment that cannot be exported; one line saying why and what to do instead."""


def export_script(run: RunSpec, distributed: bool = False, filename: str | None = None) -> str:
    """The script for `run` (what `build_run_spec` returns); `distributed`: for torchrun;
    `filename`: the name it is saved as (`default_path`'s by default), which its docstring
    runs."""
    from lab.export import declarative, scripted
    from lab.export import distributed as ddp

    experiment, spec = run.experiment, run.spec
    filename = filename or default_path(experiment, for_torchrun(run, distributed)).name
    if isinstance(spec, TrainSpec):
        write = ddp.train_script if distributed else declarative.train_script
        text = write(run, spec, filename)
    else:
        name = spec.name
        if name in ddp.SCRIPTED:
            text = ddp.scripted_script(run, spec, filename)
        elif name in scripted.BODIES and not distributed:
            text = scripted.script(run, spec, filename)
        elif name in scripted.BODIES:
            raise ExportError(
                f"{experiment} trains on one process by design; --distributed is for the "
                f"`train:` experiments and ddp-digits (export it without --distributed)"
            )
        elif name == "ddp-batch-sizes":
            raise ExportError(
                "ddp-batch-sizes compares three runs; export ddp-digits --distributed with "
                "--set batch_size=64 and 32 and run them with --nproc_per_node=1 and 2"
            )
        elif name in ("gradient-accumulation", "freeze-layers"):
            raise ExportError(
                f"{experiment} trains two copies of one model side by side to compare them; "
                f"its code is in lab/engine/scripted/parameters.py"
            )
        elif name == "fine-tune":
            raise ExportError(
                "fine-tune compares three trainings on a base network it keeps in the lab's "
                "folder; its code is in lab/engine/scripted/finetune.py"
            )
        elif not allow.SCRIPTED[name].get("trains", True):
            raise ExportError(
                f"{experiment} is a scripted demonstration ({name}) that trains nothing; its "
                f"code is in lab/engine/scripted/"
            )
        else:
            raise ExportError(
                f"{experiment} ({name}) has no export script yet; its code is in "
                f"lab/engine/scripted/, written to be read"
            )
    return ruff_format(space_functions(text))


def ruff_format(text: str) -> str:
    """The text as `ruff format` writes it, when ruff is installed; else as it is (the
    templates are written formatted already, and a test holds them to it)."""
    ruff = find_ruff()
    if ruff is None:
        return text
    result = subprocess.run(
        [ruff, *RUFF_FORMAT], input=text, capture_output=True, text=True, check=False
    )
    return result.stdout if result.returncode == 0 else text


def space_functions(text: str) -> str:
    """Two blank lines around every top-level function, as PEP 8 (and ruff) put them."""
    out: list[str] = []
    in_def = False
    for line in text.splitlines():
        top = bool(line) and not line[0].isspace()
        starts = line.startswith(("def ", "@"))
        if top and (starts or in_def) and not (out and out[-1].startswith("@")):
            while out and not out[-1]:
                out.pop()
            if out:
                out += ["", ""]
            in_def = False
        if line.startswith("def "):
            in_def = True
        out.append(line)
    return "\n".join(out) + "\n"


def find_ruff() -> str | None:
    beside = Path(sys.executable).parent / "ruff"  # the one in this virtual environment
    if beside.is_file():
        return str(beside)
    return shutil.which("ruff")


def for_torchrun(run: RunSpec, distributed: bool = False) -> bool:
    """Whether `export_script(run, distributed)` writes a script for torchrun: with
    --distributed, and ddp-digits always (its ranks are what it shows)."""
    from lab.export import distributed as ddp

    return distributed or (run.scripted is not None and run.scripted.name in ddp.SCRIPTED)


def run_command(run: RunSpec, path: Path | str, distributed: bool = False) -> str:
    """How the learner runs the script written at `path`: python, or torchrun with 2
    processes where the script is for torchrun (python on it fails for want of a rank)."""
    if for_torchrun(run, distributed):
        return f"torchrun --nproc_per_node=2 {path}"
    return f"python {path}"


def default_path(experiment_id: str, distributed: bool = False) -> Path:
    """Where the app writes an exported script: `LAB_HOME/exports/`."""
    stem = experiment_id.replace("-", "_") + ("_ddp" if distributed else "")
    return paths.lab_home() / "exports" / f"{stem}.py"
