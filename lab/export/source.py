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


def definitions(module: str, names: tuple[str, ...]) -> list[str]:
    """The source of a lab module's top-level definitions (functions, classes, constants with
    the comment that says why) called `names`, in that order; a name the module no longer
    defines fails loudly (an engine refactor renamed it), not with a script without it."""
    found = _definitions(module)
    missing = [name for name in names if name not in found]
    if missing:
        raise LookupError(f"{module} has no {', '.join(missing)}")
    return [found[name] for name in names]


def _text(module: str) -> str:
    return LAB.joinpath(*module.split(".")[1:]).with_suffix(".py").read_text(encoding="utf-8")


@cache
def _functions(module: str) -> dict[str, Function]:
    text = _text(module)
    lines = text.splitlines()
    found = {}
    for node in ast.parse(text).body:
        if isinstance(node, ast.FunctionDef):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            source = "\n".join(lines[first - 1 : node.end_lineno])
            found[node.name] = Function(source, tuple(a.arg for a in node.args.args))
    return found


@cache
def _definitions(module: str) -> dict[str, str]:
    text = _text(module)
    lines = text.splitlines()
    found: dict[str, str] = {}
    for node in ast.parse(text).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            defined = [node.name]
        elif isinstance(node, ast.Assign):
            defined = [t.id for t in node.targets if isinstance(t, ast.Name)]
        else:
            continue
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        source = "\n".join(lines[first - 1 : node.end_lineno])
        last = lines[(node.end_lineno or node.lineno) - 1]
        if isinstance(node, ast.Assign) and "#" in last:  # the constant's why, above it
            source = "#" + last.split("#", 1)[1] + "\n" + source.rsplit("#", 1)[0].rstrip()
        for name in defined:
            found[name] = source
    return found
