"""Provides the words a learner reads about a check: its call written out, what it looks at
("the weight of the first layer of `model`") and one label per check, unique in its exercise.

No torch here: everything is read from the exercise's data and the solution's syntax tree.
"""

from __future__ import annotations

import ast
import math
from typing import Any

from lab.catalog.exercise_schema import Check, Exercise, Input, parse_path
from lab.exercises.syntax import static_name

ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth")
ATTRIBUTES = {"weight": "the weight", "bias": "the bias", "grad": "the gradient"}
"""Attributes said in words: `model[0].weight.grad` is "the gradient of the weight of ..."."""
MODELS = ("Module", "Sequential")
"""A check that the result is one of these makes an item of the result a layer."""


def brief(value: Any, limit: int = 70) -> str:
    """Plain data (lists, numbers, text) in one short line: floats as `4.0`, long lists cut."""
    text = _brief(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _brief(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        text = f"{value:.6g}"
        return text if any(c in text for c in ".e") else text + ".0"  # 4.0 reads as a float
    if isinstance(value, (list, tuple)):
        inner = [_brief(v) for v in value[:8]]
        if len(value) > 8:
            inner.append(f"… {len(value)} items")
        return "[" + ", ".join(inner) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_brief(v)}" for k, v in list(value.items())[:6]) + "}"
    return repr(value) if isinstance(value, str) else str(value)


def describe_input(value: Any) -> str:
    if not isinstance(value, Input):
        return brief(value)
    maker = value.maker
    if maker in ("tensor", "array"):
        return brief(getattr(value, maker))
    if maker in ("randn", "uniform", "randint"):
        shape = getattr(value, maker)
        what = "random integer" if maker == "randint" else "random"
        if value.as_ == "float" or (not shape and value.as_ is None):
            return f"a {what} number"
        if value.as_ == "list":
            return f"a {what} list of {shape[0] if len(shape) == 1 else shape}"
        kind = "array" if value.as_ == "array" else "tensor"
        return f"a {what} {'x'.join(str(s) for s in shape) or '0-d'} {kind}"
    if maker == "labels":
        assert value.labels is not None  # the maker is the field that is set
        return f"{sum(value.labels)} labels of {len(value.labels)} classes"
    if maker == "module":
        assert value.module is not None
        return "a model (" + ", ".join(layer.type for layer in value.module) + ")"
    if maker in ("ref", "linear_of"):
        return value.ref or f"y from {value.linear_of}"
    return brief(value.mapping)


def describe_call(check: Check) -> str:
    if check.name:
        return check.name
    parts = [describe_input(a) for a in check.args]
    parts += [f"{k}={describe_input(v)}" for k, v in check.kwargs.items()]
    text = f"{check.call}({', '.join(parts)})"
    steps = []
    for step in check.then[:4]:
        ((method, args),) = step.items()
        steps.append(f"{method}({', '.join(describe_input(a) for a in args)})")
    if len(check.then) > 4:
        steps.append(f"... ({len(check.then)} calls)")
    return f"{text}, then {', '.join(steps)}" if steps else text


def describe_again(check: Check) -> str:
    """The check's second call (`again`) written out."""
    assert check.again is not None
    update = {"args": check.again.args, "kwargs": check.again.kwargs, "name": None, "then": []}
    return describe_call(check.model_copy(update=update))


# --- what a check looks at, in words ---------------------------------------------------------


def signature(code: str, name: str) -> tuple[bool, list[str]]:
    """(is it a class, its parameter names) for a top-level function or class of `code`."""
    for node in ast.parse(code).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            return False, [a.arg for a in node.args.posonlyargs + node.args.args]
        if isinstance(node, ast.ClassDef) and node.name == name:
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                    return True, [a.arg for a in item.args.posonlyargs + item.args.args][1:]
            return True, []
    return False, []


def ordinal(index: int) -> str:
    if index == -1:
        return "last"
    if 0 <= index < len(ORDINALS):
        return ORDINALS[index]
    return f"number {index}" if index >= 0 else f"number {index} from the end"


def describe_path(node: tuple, check: Check, exercise: Exercise) -> str:
    """`args[0][0].weight` -> "the weight of the first layer of `model`", with the names of
    the reference solution's parameters (the task's names)."""
    kind = node[0]
    if kind == "len":
        return f"the length of {describe_path(node[1], check, exercise)}"
    if kind == "names":
        return f"the layer names of {describe_path(node[1], check, exercise)}"
    if kind in ("float", "list"):
        return describe_path(node[1], check, exercise)
    _, base, steps = node
    steps = list(steps)
    is_class, params = signature(exercise.solution, check.call or "")
    layers = False  # whether an item of what is described is a layer of a model
    first_item = steps and steps[0][0] == "item" and isinstance(steps[0][1], int)
    if base == "result":
        layers = _returns_a_model(check.call, exercise)
        if first_item and not is_class and not layers:
            text = f"the {ordinal(steps.pop(0)[1])} value returned"
        else:
            text = f"the {check.call}" if is_class else "the result"
    elif base == "returns":
        methods = [method for step in check.then for method in step]
        if first_item:
            index = steps.pop(0)[1]
            method = methods[index] if -len(methods) <= index < len(methods) else "the method"
            text = f"what {method}(...) returned"
        else:
            text = "what the calls returned"
    elif base in ("args", "kwargs") and steps and steps[0][0] == "item":
        key = steps.pop(0)[1]
        if base == "args" and isinstance(key, int):
            name = params[key] if 0 <= key < len(params) else f"argument {key + 1}"
            given = check.args[key] if -len(check.args) <= key < len(check.args) else None
            layers = isinstance(given, Input) and given.maker == "module"
        else:
            name = str(key)
        text = f"`{name}`" + ("" if steps else " after the call")
    else:
        text = f"`{base}`"
    for step, key in steps:
        if step == "attr":
            text = f"{ATTRIBUTES[key]} of {text}" if key in ATTRIBUTES else f"{text}'s `{key}`"
        elif isinstance(key, int):
            text = f"the {ordinal(key)} layer of {text}" if layers else f"item {key} of {text}"
        else:
            text = f"{text}[{key!r}]"
        layers = False
    return text


def _returns_a_model(call: str | None, exercise: Exercise) -> bool:
    return any(
        c.call == call and c.look_at == "result" and c.type in MODELS for c in exercise.checks
    )


def what_is_looked_at(check: Check, exercise: Exercise) -> str | None:
    """The words for a check's `of`, or None for the call's result itself."""
    if check.of is None or check.of in ("result", "returns"):
        return None
    return describe_path(parse_path(check.of), check, exercise)


# --- one label per check ---------------------------------------------------------------------


def check_labels(exercise: Exercise) -> list[str]:
    """A label for each check, unique in the exercise: the call, and what is looked at when it
    is not the value returned (`gd_step(...) returns a float`)."""
    labels = [_label(check, exercise) for check in exercise.checks]
    seen: dict[str, int] = {}
    for i, label in enumerate(labels):
        seen[label] = seen.get(label, 0) + 1
        if seen[label] > 1:
            labels[i] = f"{label} (check {i + 1})"
    return labels


def _label(check: Check, exercise: Exercise) -> str:
    if check.call is None:
        return static_name(check)
    if check.name:
        return check.name
    said = describe_call(check)
    what = what_is_looked_at(check, exercise)
    kinds = _kinds(check)
    if what is None:
        if not kinds:
            return said
        is_class, _ = signature(exercise.solution, check.call)
        return f"{said} {'is' if is_class else 'returns'} {kinds}"
    return f"{said}: {what}" + (f" is {kinds}" if kinds else "")


def _kinds(check: Check) -> str:
    """What a check that is not about the value says the value must be ("a float")."""
    if check.given("expect") or check.same_as_solution or check.changes is not None:
        return ""
    words = []
    if check.type is not None:
        words.append(f"{article(check.type)} {check.type}")
    elif check.dtype is not None or check.shape is not None:
        words.append("a value")
    if check.dtype is not None:
        words.append(f"of dtype {check.dtype}")
    if check.shape is not None:
        words.append(f"of shape {check.shape}")
    if check.below is not None:
        words.append(f"below {check.below:g}")
    if check.above is not None:
        words.append(f"above {check.above:g}")
    if check.partition is not None:
        words.append(f"parts covering 0 to {check.partition - 1} once")
    if check.stratified is not None:
        words.append("parts that keep the class proportions")
    return " ".join(words)


def article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" or word.startswith("nd") else "a"
