"""Provides the source of the engine's plain functions, for the scripts to carry as they are:
the data a script generates and the way it evaluates are the code `lab run` runs, not a copy.

Read from the files, not imported: the engine's modules import torch, and exporting never does
(a test compares what is read here with `inspect.getsource` of the imported function).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path

LAB = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Function:
    source: str
    """Its text, decorators included, as the file has it."""
    parameters: tuple[str, ...]


def function(module: str, name: str) -> Function:
    """A top-level function of a lab module (`lab.engine.parts`, `evaluate`)."""
    return _functions(module)[name]


@cache
def _functions(module: str) -> dict[str, Function]:
    path = LAB.joinpath(*module.split(".")[1:]).with_suffix(".py")
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    found = {}
    for node in ast.parse(text).body:
        if isinstance(node, ast.FunctionDef):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            source = "\n".join(lines[first - 1 : node.end_lineno])
            found[node.name] = Function(source, tuple(a.arg for a in node.args.args))
    return found
