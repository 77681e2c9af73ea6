"""Provides the divergence rule of an exported script: the engine's own code, copied in.

`lab run` stops a run whose loss blows up or climbs (lab/engine/divergence.py, judged against the
loss at the start: `start_loss` in lab/engine/loop.py); a script that checked only for inf ran
gd-diverge at lr=0.2 to epoch 215 where the lab stops at epoch 7. The script gets the engine's
definitions as their source text, read from the files without importing them (the app never
imports torch), so there is one copy of the rule.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

RULE = {
    "lab.engine.divergence": (
        "DIVERGE_FACTOR",
        "RISE_FACTOR",
        "FLOOR",
        "DivergenceWatch",
        "diverged_reason",
        "rose_reason",
        "_advice",
    ),
    "lab.engine.loop": ("START_SAMPLES", "start_loss"),
}
"""What the script takes from each engine module: constants, the watch, its reasons."""


def engine_source(module: str, names: tuple[str, ...]) -> str:
    """The source of `module`'s top-level definitions called `names`, in that order."""
    origin = importlib.util.find_spec(module).origin
    text = Path(origin).read_text(encoding="utf-8")
    found: dict[str, str] = {}
    for node in ast.parse(text).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            defined = [node.name]
        elif isinstance(node, ast.Assign):
            defined = [t.id for t in node.targets if isinstance(t, ast.Name)]
        else:
            continue
        for name in set(defined) & set(names):
            found[name] = ast.get_source_segment(text, node, padded=True)
            line = text.splitlines()[node.end_lineno - 1]
            if isinstance(node, ast.Assign) and "#" in line:  # the constant's why, above it
                found[name] = "#" + line.split("#", 1)[1] + "\n" + found[name]
    missing = [name for name in names if name not in found]
    if missing:  # an engine refactor renamed something: fail loudly, not a script without it
        raise LookupError(f"{module} has no {', '.join(missing)}")
    constants = [found[n] for n in names if n.isupper()]
    definitions = [found[n] for n in names if not n.isupper()]
    return "\n".join(constants) + "\n\n\n" + "\n\n\n".join(definitions)


def divergence_code() -> str:
    """The script's divergence rule: the engine's constants, `start_loss` and the watch."""
    return "# --- divergence: the lab's own rule (lab/engine/divergence.py) ---\n" + (
        "\n\n\n".join(engine_source(module, names) for module, names in RULE.items())
    )
