"""Provides the checking itself: runs a learner's file against an exercise's checks (imports torch).

Runs only inside a forked child of the check server (`lab.exercises.check_server`), never in the
app or the CLI. Each check's outcome is written as one JSON line as soon as it is known, so a
check that hangs or crashes the process leaves the earlier outcomes behind.
"""

from __future__ import annotations

import ast
import copy
import math
import os
import sys
import traceback
import types
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from lab.catalog.exercise_schema import Check, Exercise, Input, parse_path
from lab.engine.models import build_model
from lab.exercises.syntax import references, static_check, uses
from lab.exercises.wording import (
    article,
    brief,
    check_labels,
    describe_again,
    describe_call,
    what_is_looked_at,
)
from lab.text import plural

LEARNER_MODULE = "exercise"
SOLUTION_MODULE = "solution"
SOLUTION_FILE = "<reference solution>"

Emit = Callable[[dict], None]


class LearnerError(Exception):
    """The learner's code failed; `message` is what they should read."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class LessonError(Exception):
    """The exercise itself is broken (its inputs or its solution): not the learner's fault."""


class Failed(Exception):
    """A check's expectation was not met; the message says what came back and what was expected."""


# --- loading code --------------------------------------------------------------------------


def load_module(source: str, filename: str, name: str) -> types.ModuleType:
    """Compile and run a file as a module; a syntax error or exception becomes LearnerError."""
    try:
        code = compile(source, filename, "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise LearnerError(syntax_message(exc)) from None
    except ValueError as exc:  # null bytes
        raise LearnerError(
            f"{os.path.basename(filename)} cannot be read as Python: {exc}"
        ) from None
    module = types.ModuleType(name)
    module.__file__ = filename
    sys.modules[name] = module  # dataclasses and pickling look classes up by module name
    try:
        exec(code, module.__dict__)
    except BaseException as exc:  # noqa: BLE001 - anything the file does is the learner's
        raise LearnerError(
            "your file raised an error while loading:\n" + trimmed_traceback(exc, filename)
        ) from None
    return module


def syntax_message(exc: SyntaxError) -> str:
    where = f"line {exc.lineno}" if exc.lineno else "your file"
    text = f"syntax error at {where}: {exc.msg}"
    if exc.text and exc.text.strip():
        line = exc.text.rstrip("\n")
        indent = len(line) - len(line.lstrip())
        caret = max((exc.offset or 1) - 1 - indent, 0)
        text += f"\n    {line.strip()}\n    {' ' * caret}^"
    return text


def trimmed_traceback(exc: BaseException, filename: str) -> str:
    """The exception with only the frames in the learner's file (where they can act)."""
    if isinstance(exc, SystemExit):
        return f"the file called exit({exc.code!r}); remove that call: the checks call your code"
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
    lines = []
    for frame in frames[-6:]:
        lines.append(f"  line {frame.lineno}, in {frame.name}")
        if frame.line:
            lines.append(f"    {frame.line.strip()}")
    lines.append(_exception_line(exc))
    return "\n".join(lines)


def _exception_line(exc: BaseException) -> str:
    if isinstance(exc, MemoryError) or (
        isinstance(exc, RuntimeError) and "allocate" in str(exc).lower()
    ):
        return (
            "ran out of memory: the checks allow far less; is something much bigger than it needs?"
        )
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


# --- inputs --------------------------------------------------------------------------------


def make_input(value: Any, lets: dict[str, Any]) -> Any:
    """An input written as data -> the value a call receives (draws from torch's generator)."""
    if not isinstance(value, Input):
        return copy.deepcopy(value)
    maker = value.maker
    if maker == "ref":
        assert value.ref is not None  # the maker is the field that is set
        return copy.deepcopy(lets[value.ref])
    if maker == "mapping":
        return copy.deepcopy(value.mapping)
    if maker == "tensor":
        out = torch.tensor(
            value.tensor, dtype=_dtype(value.dtype) or _float_if_numbers(value.tensor)
        )
        return _finish(out, value, default="tensor")
    if maker == "array":
        return _finish(torch.tensor(np.asarray(value.array)), value, default="array", numpy=True)
    if maker == "randn":
        assert value.randn is not None
        out = torch.randn(value.randn) * value.std + value.mean
        return _finish(out, value, default="tensor")
    if maker == "uniform":
        low = 0.0 if value.low is None else value.low
        high = 1.0 if value.high is None else value.high
        assert value.uniform is not None
        return _finish(torch.rand(value.uniform) * (high - low) + low, value, default="tensor")
    if maker == "randint":
        low = int(value.low or 0)
        assert value.high is not None and value.randint is not None  # the schema asks for both
        out = torch.randint(low, int(value.high), value.randint)
        return _finish(out, value, default="tensor")
    if maker == "labels":
        assert value.labels is not None
        out = torch.cat([torch.full((n,), c) for c, n in enumerate(value.labels)])
        return _finish(out[torch.randperm(len(out))], value, default="tensor")
    if maker == "module":
        assert value.module is not None
        layers = [layer.model_dump() for layer in value.module]
        return build_model({"layers": layers}, (), 0)
    if maker == "linear_of":
        assert value.linear_of is not None and value.w is not None  # the schema asks for w
        X = torch.as_tensor(lets[value.linear_of], dtype=torch.float32)
        if isinstance(value.w, list):
            w = torch.tensor(value.w, dtype=torch.float32).reshape(-1, 1)
            out = X @ w + value.b
        else:
            out = X * value.w + value.b
        out = out + value.noise * torch.randn(out.shape)
        return _finish(out, value, default="tensor")
    raise AssertionError(maker)  # pragma: no cover - the schema allows no other


def _float_if_numbers(data: Any) -> torch.dtype | None:
    # `tensor: [1, 2]` means float data in a deep-learning course; say `dtype: int64` for labels.
    flat = np.asarray(data)
    return torch.float32 if flat.dtype.kind in "iuf" else None


def _dtype(name: str | None) -> torch.dtype | None:
    if name is None:
        return None
    if name == "float":
        return torch.float32
    if name == "int":
        return torch.int64
    return getattr(torch, name)


def _finish(out: torch.Tensor, value: Input, default: str, numpy: bool = False) -> Any:
    if value.dtype and not numpy:
        out = out.to(_dtype(value.dtype))
    kind = value.as_ or default
    if kind == "array":
        array = out.numpy()
        return (
            array.astype(value.dtype)
            if value.dtype and value.dtype not in ("float", "int")
            else array
        )
    if kind == "list":
        return out.tolist()
    if kind == "float":
        return float(out.reshape(-1)[0]) if out.numel() else 0.0
    if value.requires_grad:
        out = (
            out.float().requires_grad_(True)
            if not out.is_floating_point()
            else out.requires_grad_(True)
        )
    return out


# --- describing values for messages ---------------------------------------------------------


def plain(value: Any) -> Any:
    """Tensors, arrays, tuples, NumPy scalars -> lists and Python numbers, for comparing."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().tolist()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, torch.nn.Module):
        return {k: plain(v) for k, v in value.state_dict().items()}
    return value


def short(value: Any, limit: int = 70) -> str:
    return brief(plain(value), limit)


# --- looking at values ----------------------------------------------------------------------


def look(node: tuple, scope: dict[str, Any]) -> Any:
    kind = node[0]
    if kind == "path":
        value = scope[node[1]]
        for step, key in node[2]:
            value = getattr(value, key) if step == "attr" else value[key]
        return value
    inner = look(node[1], scope)
    if kind == "len":
        return len(inner)
    if kind == "names":
        if isinstance(inner, torch.nn.Module):
            return [name for name, _ in inner.named_children()]
        return [str(k) for k in inner]
    if kind == "float":
        return float(inner)
    return list(inner)


def same(actual: Any, expected: Any, tol: float) -> bool:
    """Equal, numbers within `tol` absolutely or relatively; lists element by element."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return isinstance(actual, bool) and isinstance(expected, bool) and actual == expected
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        if math.isnan(expected) or math.isnan(actual):
            return math.isnan(expected) and math.isnan(actual)
        if math.isinf(expected) or math.isinf(actual):  # inf - inf is nan: never within tol
            return actual == expected
        return abs(actual - expected) <= tol + tol * abs(expected)
    if isinstance(expected, list) and isinstance(actual, list):
        return len(actual) == len(expected) and all(
            same(a, e, tol) for a, e in zip(actual, expected, strict=True)
        )
    if isinstance(expected, dict) and isinstance(actual, dict):
        return actual.keys() == expected.keys() and all(
            same(actual[k], expected[k], tol) for k in expected
        )
    return actual == expected


def dtype_name(value: Any) -> str | None:
    if isinstance(value, torch.Tensor):
        return str(value.dtype).removeprefix("torch.")
    if isinstance(value, (np.ndarray, np.generic)):
        return value.dtype.name
    return None


def dtype_matches(value: Any, wanted: str) -> bool:
    name = dtype_name(value)
    if name is None:
        return False
    if wanted == "float":
        return name.startswith(("float", "bfloat"))
    if wanted == "int":
        return name.startswith(("int", "uint"))
    return name == wanted


def type_matches(value: Any, wanted: str) -> bool:
    return any(cls.__name__ == wanted for cls in type(value).__mro__)


def shape_of(value: Any) -> list[int] | None:
    shape = getattr(value, "shape", None)
    return None if shape is None else [int(s) for s in shape]


# --- running checks -------------------------------------------------------------------------


class Run:
    """One check run on one side (the learner's or the solution's): the scope its path reads."""

    def __init__(self, fn: Any, check: Check, inputs: tuple, seed: int):
        lets, args, kwargs, steps = copy.deepcopy(inputs)
        torch.manual_seed(seed)
        np.random.seed(seed % 2**32)
        result = fn(*args, **kwargs)
        returns = [getattr(result, method)(*step_args) for method, step_args in steps]
        if check.backward:
            result.backward()
        self.scope = {**lets, "result": result, "returns": returns, "args": args, "kwargs": kwargs}


def draw_inputs(check: Check) -> tuple:
    lets: dict[str, Any] = {}
    for name, value in check.let.items():
        lets[name] = make_input(value, lets)
    args = [make_input(a, lets) for a in check.args]
    kwargs = {k: make_input(v, lets) for k, v in check.kwargs.items()}
    steps = [
        (method, [make_input(a, lets) for a in step_args])
        for step in check.then
        for method, step_args in step.items()
    ]
    return lets, args, kwargs, steps


def again_inputs(check: Check, inputs: tuple) -> tuple:
    """The inputs of the check's second call (`again`): its own arguments, the same `let`."""
    lets, _, _, steps = inputs
    assert check.again is not None
    args = [make_input(a, lets) for a in check.again.args]
    kwargs = {k: make_input(v, lets) for k, v in check.again.kwargs.items()}
    return lets, args, kwargs, steps


def fresh_seed() -> int:
    return int.from_bytes(os.urandom(4), "little")


class Sides:
    """One request's code: the learner's module and file, the reference solution (loaded on
    first use) and the exercise's known mistakes."""

    def __init__(self, exercise: Exercise, learner: types.ModuleType, source: str, filename: str):
        self.exercise = exercise
        self.learner = learner
        self.source = source
        self.filename = filename
        self.mistakes = KnownMistakes(exercise, source)
        self._solution: types.ModuleType | None = None

    def solution(self, name: str) -> Any:
        if self._solution is None:
            self._solution = load_module(self.exercise.solution, SOLUTION_FILE, SOLUTION_MODULE)
        return getattr(self._solution, name)


class KnownMistakes:
    """The exercise's `misconceptions`, tried in order on a failing check: the first whose
    result matches the learner's is said first, in full once and "the same mistake" after."""

    def __init__(self, exercise: Exercise, source: str):
        self.items = exercise.misconceptions
        self.source = source
        self._variants: dict[int, types.ModuleType] = {}
        self._names: dict[str, int] | None = None
        self._said: set[int] = set()

    def for_error(self, exc: BaseException) -> str | None:
        """The mistake behind an error the learner's call raised, if a known one."""
        text = f"{type(exc).__name__}: {exc}"
        for i, item in enumerate(self.items):
            if (item.raises and item.raises in text) or self._uses(item.uses):
                return self._say(i, None, None)
        return None

    def for_value(
        self, check: Check, inputs: tuple, seed: int, path: tuple, actual: Any, expected: Any
    ) -> str | None:
        """The mistake whose variant gives the learner's value on the same inputs, if any."""
        for i, item in enumerate(self.items):
            if item.solution is not None:
                fn = getattr(self._variant(i), check.call or "", None)
                if fn is None:
                    continue
                try:
                    theirs = plain(look(path, Run(fn, check, inputs, seed).scope))
                except Exception:  # noqa: BLE001 - a variant that cannot run this check says nothing
                    continue
                mine = plain(actual)
                if same(mine, theirs, check.tol) and not (
                    expected is not None and same(theirs, plain(expected), check.tol)
                ):
                    return self._say(i, actual, expected)
            elif self._uses(item.uses):
                return self._say(i, actual, expected)
        return None

    def _variant(self, i: int) -> types.ModuleType:
        if i not in self._variants:
            code = self.items[i].solution or ""
            try:
                self._variants[i] = load_module(code, f"<known mistake {i + 1}>", f"mistake{i}")
            except LearnerError as exc:
                raise LessonError(f"misconception {i + 1} fails: {exc.message}") from None
        return self._variants[i]

    def _uses(self, names: list[str]) -> bool:
        if not names:
            return False
        if self._names is None:
            self._names = references(ast.parse(self.source))
        return any(uses(self._names, name) is not None for name in names)

    def _say(self, i: int, actual: Any, expected: Any) -> str:
        if i in self._said:
            return "the same mistake as above"
        self._said.add(i)
        message = self.items[i].message.strip()
        if "{times}" in message:
            message = message.replace("{times}", times(actual, expected))
        return message


def times(actual: Any, expected: Any) -> str:
    """The learner's first number divided by the expected one: `16`, `0.5`, or `several`."""
    pairs = zip(_numbers(plain(actual)), _numbers(plain(expected)), strict=False)
    for mine, wanted in pairs:
        if wanted and math.isfinite(mine) and math.isfinite(wanted):
            ratio = mine / wanted
            whole = round(ratio)
            return str(whole) if abs(ratio - whole) <= 1e-6 * abs(ratio) else f"{ratio:.3g}"
    return "several"


def _numbers(value: Any) -> list[float]:
    if isinstance(value, bool):
        return []
    if isinstance(value, (int, float)):
        return [float(value)]
    if isinstance(value, list):
        return [n for v in value for n in _numbers(v)]
    return []


def run_check(check: Check, sides: Sides) -> str | None:
    """None when the check passes, else the message the learner reads."""
    if check.call is None:
        return static_check(check, sides.source)
    fn = getattr(sides.learner, check.call, None)
    if fn is None:
        return f"your file defines no {check.call!r}: the task asks for it by that name"
    said = describe_call(check)
    path = parse_path(check.look_at)
    for _ in range(check.repeat):
        seed = fresh_seed()
        try:
            inputs = draw_inputs(check)
        except Exception as exc:  # noqa: BLE001 - e.g. ragged `tensor:` data
            raise LessonError(f"its inputs cannot be made: {_exception_line(exc)}") from None
        try:
            mine = Run(fn, check, inputs, seed)
        except BaseException as exc:  # noqa: BLE001 - the learner's code may raise anything
            return _raised(said, exc, sides)
        try:
            actual = look(path, mine.scope)
        except Exception as exc:  # noqa: BLE001
            what = what_is_looked_at(check, sides.exercise) or "the result"
            return f"{said}: cannot look at {what}: {_exception_line(exc)}"
        second = None
        if check.again is not None:
            try:
                # another random state: a split that shuffles with the global generator differs
                second = look(path, Run(fn, check, again_inputs(check, inputs), fresh_seed()).scope)
            except BaseException as exc:  # noqa: BLE001
                return _raised(describe_again(check), exc, sides)
        reference = None
        if check.same_as_solution:
            try:
                reference = look(path, Run(sides.solution(check.call), check, inputs, seed).scope)
            except LearnerError as exc:
                raise LessonError(f"the reference solution failed: {exc.message}") from None
            except Exception as exc:  # noqa: BLE001
                raise LessonError(
                    f"the reference solution failed: {said}: {_exception_line(exc)}"
                ) from None
        try:
            expectations(check, actual, reference, inputs[0], second)
        except Failed as exc:
            what = what_is_looked_at(check, sides.exercise)
            text = f"{said}{f': {what} is' if what else ' returned'} {exc}"
            expected = reference if check.same_as_solution else check.expect
            mistake = sides.mistakes.for_value(check, inputs, seed, path, actual, expected)
            if mistake:
                return f"{mistake}\n{text}"
            return f"{text}: {check.message.strip()}" if check.message else text
    return None


def _raised(said: str, exc: BaseException, sides: Sides) -> str:
    text = f"{said} raised an error:\n{trimmed_traceback(exc, sides.filename)}"
    mistake = sides.mistakes.for_error(exc)
    return f"{mistake}\n{text}" if mistake else text


def expectations(
    check: Check, actual: Any, reference: Any, lets: dict[str, Any], second: Any = None
) -> None:
    """Raise Failed("4.0, expected 2.0") at the first expectation not met."""
    tol = check.tol
    if check.type is not None and not type_matches(actual, check.type):
        got = type(actual).__name__
        raise Failed(
            f"{article(got)} {got} ({short(actual)}), expected {article(check.type)} {check.type}"
        )
    if check.shape is not None and shape_of(actual) != check.shape:
        got = shape_of(actual)
        what = "no shape" if got is None else f"shape {got}"
        raise Failed(f"{short(actual)} of {what}, expected shape {check.shape}")
    if check.dtype is not None and not dtype_matches(actual, check.dtype):
        raise Failed(f"dtype {dtype_name(actual) or type(actual).__name__}, expected {check.dtype}")
    if check.given("expect") and not same(plain(actual), check.expect, tol):
        raise Failed(f"{short(actual)}, expected {short(check.expect)}")
    if check.same_as_solution and not same(plain(actual), plain(reference), tol):
        raise Failed(f"{short(actual)}, expected {short(reference)}")
    for bound, ok, word in (
        (check.below, lambda v, b: v < b, "below"),
        (check.above, lambda v, b: v > b, "above"),
    ):
        if bound is None:
            continue
        try:
            number = float(actual)
        except (TypeError, ValueError, RuntimeError):
            raise Failed(f"{short(actual)}, expected a number {word} {bound:g}") from None
        if not (math.isfinite(number) and ok(number, bound)):
            raise Failed(f"{number:.6g}, expected a number {word} {bound:g}")
    if check.partition is not None:
        partition(actual, check.partition)
    if check.stratified is not None:
        stratified(actual, plain(lets[check.stratified]), check.shares)
    if check.changes is not None:
        again = describe_again(check)
        alike = same(plain(actual), plain(second), tol)
        if check.changes and alike:
            raise Failed(f"{short(actual)}, and the same again from {again}: expected a change")
        if not check.changes and not alike:
            raise Failed(
                f"{short(actual)}, then {short(second)} from {again}: expected the same both times"
            )


def _parts(value: Any) -> list[list[int]]:
    parts = plain(value)
    if not isinstance(parts, list) or not all(isinstance(p, list) for p in parts):
        raise Failed(f"{short(value)}, expected a list of index arrays")
    for part in parts:
        if not all(isinstance(i, int) and not isinstance(i, bool) for i in part):
            raise Failed(f"{short(value)}, expected whole-number indexes in every part")
    return parts


def partition(value: Any, n: int) -> None:
    seen: dict[int, int] = {}
    for p, part in enumerate(_parts(value)):
        for i in part:
            if not 0 <= i < n:
                raise Failed(f"index {i} in part {p}, expected indexes from 0 to {n - 1}")
            if i in seen:
                raise Failed(
                    f"index {i} in both part {seen[i]} and part {p}, "
                    "expected parts that do not overlap"
                )
            seen[i] = p
    missing = [i for i in range(n) if i not in seen]
    if missing:
        raise Failed(
            f"parts that leave out {plural(len(missing), 'sample')} (index {missing[0]}, ...), "
            "expected every sample in one part"
        )


def stratified(value: Any, labels: list, shares: list | None = None) -> None:
    classes = sorted(set(labels))
    if shares is not None:
        return _shares(_parts(value), labels, classes, shares)
    share = {c: labels.count(c) / len(labels) for c in classes}
    for p, part in enumerate(_parts(value)):
        counts = [labels[i] for i in part if 0 <= i < len(labels)]
        for c in classes:
            wanted = share[c] * len(part)
            got = counts.count(c)
            if abs(got - wanted) > 1 + 1e-9:
                raise Failed(
                    f"part {p} with {got} of its {len(part)} samples in class {c}, expected about "
                    f"{wanted:.1f} (class {c} is {share[c]:.0%} of all labels)"
                )


def _shares(parts: list[list[int]], labels: list, classes: list, shares: list) -> None:
    if len(parts) != len(shares):
        raise Failed(f"{len(parts)} parts, expected {len(shares)}")
    size = {c: labels.count(c) for c in classes}
    for p, (part, share) in enumerate(zip(parts, shares, strict=True)):
        if share is None:  # the rest
            continue
        counts = [labels[i] for i in part if 0 <= i < len(labels)]
        for c in classes:
            wanted = size[c] * share
            got = counts.count(c)
            if abs(got - wanted) > 1 + 1e-9:
                raise Failed(
                    f"part {p} with {got} of the {size[c]} samples of class {c}, expected "
                    f"{wanted:g} ({share:g} of them) give or take one"
                )


# --- one request ------------------------------------------------------------------------------


def judge(request: dict, emit: Emit) -> None:
    """Check `request["source"]` (the learner's file) against `request["exercise"]`."""
    exercise = Exercise.model_validate(request["exercise"])
    filename = request["path"]
    source = request["source"]
    torch.set_num_threads(1)
    try:
        learner = load_module(source, filename, LEARNER_MODULE)
    except LearnerError as exc:
        emit({"error": exc.message})
        return
    sides = Sides(exercise, learner, source, filename)
    for i, (check, name) in enumerate(zip(exercise.checks, check_labels(exercise), strict=True)):
        emit({"running": i, "name": name})
        try:
            message = run_check(check, sides)
        except LessonError as exc:
            message = f"this check is broken, not your code ({exc}); tell the lesson's author"
        emit({"check": i, "name": name, "passed": message is None, "message": message or ""})
