"""Provides the exercise format: a task, starter and solution code, hints, declarative checks.

Checks are data that the lab's own checker interprets (`lab.exercises.check_server`): a lesson pack
never runs code of its own. A check either calls a function or class of the learner's file with
inputs written as data and compares what comes back, or looks at the file's syntax tree for
names it must use or must not use. `docs/lesson-format.md` describes every field.
"""

from __future__ import annotations

import ast
import re
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, field_validator, model_validator

from lab.catalog import allowlists as allow
from lab.catalog.fields import LayerSpec, Number, OneLine, Slug, Strict, Text

IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_]*$"
Identifier = Annotated[str, Field(pattern=IDENTIFIER, max_length=80)]
DottedName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")]

PATH_FUNCTIONS = ("len", "names", "float", "list")
"""What a check's `of` may wrap around a path: `len(result)`, `names(result)` (a module's
children or a mapping's keys, in order), `float(...)`, `list(...)`."""
PATH_BASES = ("result", "returns", "args", "kwargs")
DTYPES = (
    "float16",
    "bfloat16",
    "float32",
    "float64",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "bool",
    "float",  # any floating-point dtype
    "int",  # any integer dtype
)
MAX_ELEMENTS = 1_000_000  # random inputs are small: an exercise never needs more


# --- paths: what a check looks at ----------------------------------------------------------

_TOKEN = re.compile(r"\s*(?:([A-Za-z_][A-Za-z0-9_]*)|(-?\d+)|'([^']*)'|\"([^\"]*)\"|(\S))")


class PathError(ValueError):
    pass


def parse_path(text: str) -> tuple:
    """`len(result.fc1.weight)` -> ("len", ("path", "result", [("attr", "fc1"), ...])).

    A path starts at `result`, `returns`, `args`, `kwargs` or a name of the check's `let`, then
    goes through `.attribute` (never one starting with `_`) and `[index]` or `['key']`."""
    tokens = [m.groups() for m in _TOKEN.finditer(text.strip())]
    node, rest = _parse(tokens, text)
    if rest:
        raise PathError(f"cannot read {text!r}: unexpected text after the path")
    return node


def _parse(tokens: list, text: str) -> tuple[tuple, list]:
    if not tokens or tokens[0][0] is None:
        raise PathError(f"cannot read {text!r}: a path starts with a name such as `result`")
    name, tokens = tokens[0][0], tokens[1:]
    if tokens and tokens[0][4] == "(":
        if name not in PATH_FUNCTIONS:
            raise PathError(
                f"unknown function {name!r} in {text!r}; known: {', '.join(PATH_FUNCTIONS)}"
            )
        inner, tokens = _parse(tokens[1:], text)
        if not tokens or tokens[0][4] != ")":
            raise PathError(f"cannot read {text!r}: missing `)`")
        return (name, inner), tokens[1:]
    steps: list[tuple[str, Any]] = []
    while tokens and tokens[0][4] in (".", "["):
        if tokens[0][4] == ".":
            if len(tokens) < 2 or tokens[1][0] is None:
                raise PathError(f"cannot read {text!r}: a name must follow `.`")
            attr = tokens[1][0]
            if attr.startswith("_"):
                raise PathError(f"{text!r}: names starting with `_` cannot be looked at")
            steps.append(("attr", attr))
            tokens = tokens[2:]
        else:
            if len(tokens) < 3 or tokens[2][4] != "]":
                raise PathError(f"cannot read {text!r}: `[` takes one number or 'key', then `]`")
            number, quoted, double = tokens[1][1], tokens[1][2], tokens[1][3]
            if number is not None:
                steps.append(("item", int(number)))
            elif quoted is not None or double is not None:
                steps.append(("item", quoted if quoted is not None else double))
            else:
                raise PathError(f"cannot read {text!r}: `[` takes one number or 'key', then `]`")
            tokens = tokens[3:]
    return ("path", name, steps), tokens


def path_bases(node: tuple) -> set[str]:
    if node[0] == "path":
        return {node[1]}
    return path_bases(node[1])


# --- inputs: data the checker turns into tensors, arrays, lists, modules -------------------

MAKERS = (
    "tensor",
    "array",
    "randn",
    "uniform",
    "randint",
    "labels",
    "module",
    "linear_of",
    "ref",
    "mapping",
)


class Input(Strict):
    """One input written as data: exactly one maker key, plus its options."""

    tensor: Any = None
    """Literal data as a tensor: `{tensor: [[1, 2], [3, 4]]}`."""
    array: Any = None
    """Literal data as a NumPy array."""
    randn: list[Annotated[int, Field(ge=0)]] | None = None
    """A shape: normal random numbers (`mean`, `std`), drawn afresh at every check run."""
    uniform: list[Annotated[int, Field(ge=0)]] | None = None
    """A shape: uniform random numbers between `low` and `high` (default 0 and 1)."""
    randint: list[Annotated[int, Field(ge=0)]] | None = None
    """A shape: random integers from `low` (default 0) up to `high` (excluded)."""
    labels: list[Annotated[int, Field(ge=0)]] | None = None
    """Class counts: `[140, 40, 20]` gives 140 zeros, 40 ones and 20 twos, shuffled."""
    module: list[LayerSpec] | None = None
    """An `nn.Sequential` of allow-listed layers, written as in experiments."""
    linear_of: Identifier | None = None
    """A name of the check's `let`: `X @ w + b` plus `noise` times normal noise."""
    ref: Identifier | None = None
    """A name of the check's `let`: the same value (a fresh copy for each side)."""
    mapping: dict[str, Any] | None = None
    """A literal mapping (a plain mapping would be read as a maker)."""

    mean: Number = 0.0
    std: Number = 1.0
    low: Number | None = None
    high: Number | None = None
    w: Number | list[Number] | None = None
    b: Number = 0.0
    noise: Annotated[Number, Field(ge=0)] = 0.0
    dtype: Literal[DTYPES] | None = None  # type: ignore[valid-type]
    requires_grad: bool = False
    as_: Literal["tensor", "array", "list", "float"] | None = Field(None, alias="as")
    """What it becomes: a tensor (default for drawn values), a NumPy array, a list, a float."""

    @model_validator(mode="after")
    def _one_maker(self):
        given = [name for name in MAKERS if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(
                f"an input is a mapping with exactly one of {', '.join(MAKERS)}"
                + (f" (found {', '.join(given)})" if given else "")
            )
        maker = given[0]
        shape = getattr(self, maker) if maker in ("randn", "uniform", "randint") else None
        if shape is not None:
            n = 1
            for size in shape:
                n *= size
            if n > MAX_ELEMENTS:
                raise ValueError(f"{maker}: {n:,} numbers is more than {MAX_ELEMENTS:,}")
        if maker == "randint" and self.high is None:
            raise ValueError("randint needs `high` (the first integer it never draws)")
        if maker == "linear_of" and self.w is None:
            raise ValueError("linear_of needs `w`, the weights (a number or one per feature)")
        if self.module is not None:  # the one maker given is `module`
            names = [layer.name for layer in self.module if layer.name]
            if names and len(names) != len(self.module):
                raise ValueError("name every layer or none (they become an OrderedDict)")
            for layer in self.module:
                if layer.type not in allow.LAYERS:  # pragma: no cover - LayerSpec checks it
                    raise ValueError(f"unknown layer {layer.type!r}")
        return self

    @property
    def maker(self) -> str:
        return next(name for name in MAKERS if getattr(self, name) is not None)


def _input_kind(value: Any) -> str:
    return "input" if isinstance(value, dict | Input) else "literal"


InputValue = Annotated[
    Annotated[Input, Tag("input")] | Annotated[Any, Tag("literal")],
    Discriminator(_input_kind),
]
"""A mapping is a maker (`{randn: [4, 3]}`); anything else (number, text, list, true, null)
is taken literally."""


def _refs(values: list[Any]) -> list[str]:
    return [n for v in values if isinstance(v, Input) for n in (v.ref, v.linear_of) if n]


# --- checks --------------------------------------------------------------------------------

EXPECTATIONS = (
    "expect",
    "shape",
    "dtype",
    "type",
    "same_as_solution",
    "below",
    "above",
    "partition",
    "stratified",
    "changes",
)


class Again(Strict):
    """A second call of the same function or class, with its own inputs (the `let` values are
    the same) and a fresh random state."""

    args: list[InputValue] = []
    kwargs: dict[Identifier, InputValue] = {}


class Check(Strict):
    """One thing the checker verifies; see docs/lesson-format.md for the vocabulary."""

    name: OneLine | None = None
    """Shown instead of the call written out (`mse of two random 5x3 tensors`)."""
    message: Text | None = None
    """Added when the check fails: the likely mistake, in the learner's words."""

    # run: a call of the learner's function or class, with inputs written as data
    call: Identifier | None = None
    args: list[InputValue] = []
    kwargs: dict[Identifier, InputValue] = {}
    let: dict[Identifier, InputValue] = {}
    """Named inputs, drawn once per run; `{ref: NAME}` and `{linear_of: NAME}` use them."""
    then: list[dict[Identifier, list[InputValue]]] = []
    """Methods called on the result, in order: `[{step: [0.5]}, {step: [0.4]}]`; `returns`
    is the list of what they returned."""
    backward: bool = False
    """Call `.backward()` on the result, then look at gradients (`args[0].grad`)."""
    seed: int | None = None
    """Seed torch's generator before the call (a model's initial weights); default: fresh."""
    repeat: Annotated[int, Field(ge=1, le=20)] = 1
    """Run the check this many times, each with freshly drawn inputs."""

    # look: a path into what the call left, then what it must be
    of: str | None = None
    """What to look at: `result` (default), `returns` (with `then`), `args[0].grad`,
    `result.fc1.weight.shape`, `len(result)`, `names(result)`, a name of `let`, ..."""
    expect: Any = None
    tol: Annotated[Number, Field(ge=0)] = 1e-4
    """Numbers may differ by this much, absolutely or relative to the expected value."""
    shape: list[Annotated[int, Field(ge=0)]] | None = None
    dtype: Literal[DTYPES] | None = None  # type: ignore[valid-type]
    type: OneLine | None = None
    """A class name the value must be an instance of: `float`, `Tensor`, `ndarray`,
    `Module`, `Sequential`, `Linear`, `Dataset`, `list`, `tuple`, `bool`, `int`, ..."""
    same_as_solution: bool = False
    """The same call on the reference solution, with the same inputs, gives the same value."""
    below: Number | None = None
    above: Number | None = None
    partition: Annotated[int, Field(ge=0)] | None = None
    """The value is a sequence of index collections, disjoint, covering 0 to N-1."""
    stratified: Identifier | None = None
    """A name of `let` holding class labels: each part of the value (index collections) keeps
    their proportions within one sample per class."""
    shares: list[Annotated[Number, Field(ge=0, le=1)] | None] | None = None
    """With `stratified`: the fraction of every class that each part holds, within one sample
    (`[null, 0.15, 0.15]`: the first part is the rest)."""
    again: Again | None = None
    """A second call, compared with the first by `changes`."""
    changes: bool | None = None
    """With `again`: true when what is looked at must differ between the two calls (another
    seed gives another split), false when it must be the same (the same seed, the same split)."""

    # read: the learner's syntax tree
    forbid: list[DottedName] = []
    """Names the file must not use: `torch.nn.MSELoss`, `torch.nn.functional.mse_loss`."""
    require: list[DottedName] = []
    """Names the file must use: `backward`, `torch.no_grad`, `torch.optim.SGD`."""

    @field_validator("then", mode="before")
    @classmethod
    def _then(cls, value: Any) -> Any:
        if not isinstance(value, list):
            return value
        out = []
        for step in value:
            if not (isinstance(step, dict) and len(step) == 1):
                raise ValueError("each step of `then` is one mapping, `{method: [args]}`")
            ((method, args),) = step.items()
            out.append({method: args if isinstance(args, list) else [args]})
        return out

    @field_validator("of")
    @classmethod
    def _of(cls, value: str | None) -> str | None:
        if value is not None:
            parse_path(value)  # PathError is a ValueError: reported at `of`
        return value

    @model_validator(mode="after")
    def _consistent(self):
        expectations = [e for e in EXPECTATIONS if self.given(e)]
        static = bool(self.forbid or self.require)
        if self.call is None:
            if not static:
                raise ValueError("a check either has `call` or `forbid`/`require`")
            if expectations or self.then or self.args or self.kwargs or self.let:
                raise ValueError("`forbid`/`require` check the file's text: give no call with them")
            return self
        if static:
            raise ValueError("put `forbid`/`require` in a check of their own, without `call`")
        if not expectations:
            raise ValueError(f"say what the result must be: one of {', '.join(EXPECTATIONS)}")
        names = set(self.let)
        for i, value in enumerate(self.let.values()):
            earlier = set(list(self.let)[:i])
            for ref in _refs([value]):
                if ref not in earlier:
                    raise ValueError(f"let: {ref!r} must be defined above its use")
        used = _refs(self.args) + _refs(list(self.kwargs.values()))
        if self.again is not None:
            used += _refs(self.again.args) + _refs(list(self.again.kwargs.values()))
        for step in self.then:
            used += _refs(next(iter(step.values())))
        for ref in used:
            if ref not in names:
                raise ValueError(f"{ref!r} is not a name of this check's `let`")
        if self.of is not None:
            for base in path_bases(parse_path(self.of)):
                if base not in PATH_BASES and base not in names:
                    raise ValueError(
                        f"of: {base!r} is neither {', '.join(PATH_BASES)} nor a name of `let`"
                    )
                if base == "returns" and not self.then:
                    raise ValueError("of: `returns` needs `then` (the methods' results)")
        if self.stratified is not None and self.stratified not in names:
            raise ValueError(f"stratified: {self.stratified!r} is not a name of this check's `let`")
        if self.shares is not None and self.stratified is None:
            raise ValueError("`shares` goes with `stratified`: the fractions of each class")
        if (self.again is None) != (self.changes is None):
            raise ValueError("`again` (a second call) and `changes` (true or false) go together")
        return self

    def given(self, name: str) -> bool:
        if name == "same_as_solution":
            return self.same_as_solution
        if name == "expect":
            return "expect" in self.model_fields_set
        return getattr(self, name) is not None

    @property
    def look_at(self) -> str:
        return self.of or ("returns" if self.then else "result")


class Misconception(Strict):
    """A mistake learners are known to make, recognised by what it gives: when a failing
    check's result matches it, the check says `message` first."""

    message: Text
    """What the learner did and what the task asks, in the learner's words. `{times}` stands
    for the learner's value divided by the expected one ("exactly 16 times")."""
    solution: Text | None = None
    """A variant of the reference solution that makes the mistake: it matches a failing check
    when the learner's value equals the variant's on the same inputs."""
    raises: OneLine | None = None
    """Text of an error message: it matches a check whose call raised an error containing it
    (`invalid index of a 0-dim tensor` for `loss.data[0]`)."""
    uses: list[DottedName] = []
    """Names: it matches any failing check when the learner's file uses one of them
    (`torch.utils.data.DataLoader` where the task asks for the full batch)."""

    @model_validator(mode="after")
    def _one_way(self):
        given = [k for k in ("solution", "raises", "uses") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError(
                "a misconception is recognised one way: `solution` (a variant), `raises` or `uses`"
                + (f" (found {', '.join(given)})" if given else "")
            )
        if self.solution is not None:
            try:
                ast.parse(self.solution)
            except SyntaxError as exc:
                raise ValueError(f"line {exc.lineno} of the solution: {exc.msg}") from None
        return self


class Exercise(Strict):
    """A small program the learner writes, checked by running it."""

    id: Slug
    title: OneLine
    task: Text
    """Markdown: what to write, with the names and types the checks rely on."""
    starter: Text
    """The file the learner starts from: it must fail at least one check."""
    solution: Text
    """A reference solution: it must pass every check; shown after a real attempt."""
    hints: list[Text] = []
    """Shown one at a time, on request."""
    checks: list[Check] = Field(min_length=1)
    time_limit: Annotated[Number, Field(ge=1, le=120)] = 10.0
    """Seconds the whole check may take before it is stopped."""
    misconceptions: list[Misconception] = []
    """Known mistakes, tried in order on a failing check; the first that matches is said."""

    @field_validator("starter", "solution")
    @classmethod
    def _parses(cls, code: str) -> str:
        try:
            ast.parse(code)
        except SyntaxError as exc:
            raise ValueError(f"line {exc.lineno} of the code: {exc.msg}") from None
        return code

    @model_validator(mode="after")
    def _solution_defines_the_calls(self):
        defined = top_level_names(self.solution)
        for i, check in enumerate(self.checks):
            if check.call and check.call not in defined:
                raise ValueError(
                    f"checks[{i}] calls {check.call!r}, which the solution does not define"
                )
        return self


def top_level_names(code: str) -> set[str]:
    """Functions, classes and variables a module defines at its top level."""
    names: set[str] = set()
    for node in ast.parse(code).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names
