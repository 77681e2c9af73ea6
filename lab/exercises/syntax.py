"""Provides the checks that read the learner's file: names it must use or must not use.

Names are found on the syntax tree with imports resolved, never by searching the text, so a
comment or a string never counts and `nn.MSELoss` is `torch.nn.MSELoss` after `from torch import
nn`. No torch here.
"""

from __future__ import annotations

import ast

from lab.catalog.exercise_schema import Check


def references(tree: ast.AST) -> dict[str, int]:
    """Every dotted name the file uses, as written and with imports resolved -> first line."""
    aliases: dict[str, str] = {}
    found: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    aliases[a.asname] = a.name
                found.setdefault(a.name, node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module:
            for a in node.names:
                aliases[a.asname or a.name] = f"{node.module}.{a.name}"
                found.setdefault(f"{node.module}.{a.name}", node.lineno)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Attribute, ast.Name)):
            parts = _dotted(node)
            if parts:
                found.setdefault(".".join(parts), node.lineno)
                if parts[0] in aliases:
                    full = ".".join([aliases[parts[0]], *parts[1:]])
                    found.setdefault(full, node.lineno)
    return found


def _dotted(node: ast.AST) -> list[str]:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return [node.id, *reversed(parts)]
    return list(reversed(parts))  # `loss.backward` on a call's result: `backward`


def uses(found: dict[str, int], name: str) -> int | None:
    lines = [line for ref, line in found.items() if ref == name or ref.endswith("." + name)]
    return min(lines) if lines else None


def static_check(check: Check, source: str) -> str | None:
    found = references(ast.parse(source))
    for name in check.forbid:
        line = uses(found, name)
        if line is not None:
            text = f"line {line} uses {name}, which this exercise asks you to do without"
            return f"{text}: {check.message.strip()}" if check.message else text
    for name in check.require:
        if uses(found, name) is None:
            text = f"your file never uses {name}"
            return f"{text}: {check.message.strip()}" if check.message else text
    return None


def static_name(check: Check) -> str:
    if check.name:
        return check.name
    parts = []
    if check.forbid:
        parts.append("does without " + ", ".join(check.forbid))
    if check.require:
        parts.append("uses " + ", ".join(check.require))
    return "; ".join(parts)
