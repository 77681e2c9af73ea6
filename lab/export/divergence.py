"""Provides the divergence rule of an exported script: the engine's own code, copied in.

`lab run` stops a run whose loss blows up or climbs (lab/engine/divergence.py, judged against the
loss at the start: `start_loss` in lab/engine/loop.py); a script that checked only for inf ran
gd-diverge at lr=0.2 to epoch 215 where the lab stops at epoch 7. The script gets the engine's
definitions as their source text, read from the files without importing them (the app never
imports torch), so there is one copy of the rule.
"""

from __future__ import annotations

from lab.export.source import definitions

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
    """The source of `module`'s top-level definitions called `names`: constants first."""
    found = dict(zip(names, definitions(module, names), strict=True))
    constants = [found[n] for n in names if n.isupper()]
    others = [found[n] for n in names if not n.isupper()]
    return "\n".join(constants) + "\n\n\n" + "\n\n\n".join(others)


def divergence_code() -> str:
    """The script's divergence rule: the engine's constants, `start_loss` and the watch."""
    return "# --- divergence: the lab's own rule (lab/engine/divergence.py) ---\n" + (
        "\n\n\n".join(engine_source(module, names) for module, names in RULE.items())
    )
