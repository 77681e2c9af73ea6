"""Provides the parts every exported training script shares: imports, settings, data, model.

Each part replays what the engine does in the same order (the seeded draws for the data, then
`torch.manual_seed(seed)` and the layers built in order), so an exported script starts from the
same data and the same weights as `lab run`. The names come from the catalog's vocabulary
(lab/catalog/allowlists.py), and where the engine has a plain function (a generated data set,
`evaluate`), the script carries that function's source (source.py) rather than a copy.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lab.catalog import allowlists as allow
from lab.export.source import function

if TYPE_CHECKING:
    from lab.catalog.runspec import RunSpec
    from lab.catalog.schema import LayerSpec, TrainSpec

SYNTHETIC = "lab.engine.datasets.synthetic"  # one function per generated set
PARTS = "lab.engine.parts"  # correct_count and evaluate


@dataclass
class Imports:
    """The script's imports, written in isort's order (standard library, then the rest)."""

    names: set[tuple[str, str | None]] = field(default_factory=set)

    def add(self, module: str, name: str | None = None) -> None:
        self.names.add((module, name))

    def text(self) -> str:
        stdlib = {"copy", "csv", "gc", "json", "math", "os", "collections"}
        groups = []
        for is_std in (True, False):
            mine = [(m, n) for m, n in self.names if (m.split(".")[0] in stdlib) == is_std]
            plain = sorted(m for m, n in mine if n is None)
            froms: dict[str, list[str]] = {}
            for m, n in mine:
                if n is not None:
                    froms.setdefault(m, []).append(n)
            lines = [f"import {m}" + (" as np" if m == "numpy" else "") for m in plain]
            # ("torch.distributed as dist" sorts as torch.distributed)
            lines += [f"from {m} import {', '.join(sorted(froms[m]))}" for m in sorted(froms)]
            if lines:
                groups.append("\n".join(lines))
        return "\n\n".join(groups)


def literal(value: Any) -> str:
    """A value from the spec as Python source (text in double quotes, as ruff writes it)."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


def header(run: RunSpec, how: str, what: str = "a plain PyTorch script") -> str:
    experiment, lesson = run.experiment, run.lesson
    settings = ", ".join(f"{k}={v}" for k, v in run.tweaks.items())
    lines = [f'"""{experiment}: the lab\'s experiment as {what}.', ""]
    where = f"From the lesson {lesson}; exported" if lesson else "Exported"
    lines.append(f"{where} by `lab export {experiment}`")
    lines[-1] += f" with {settings}." if settings else "."
    lines += [how, '"""']
    return "\n".join(lines)


# --- data -----------------------------------------------------------------------------------


def data_code(run: RunSpec, spec: TrainSpec, imports: Imports) -> str:
    """numpy arrays X_train, y_train (X_val, X_test, ... where the split has them), as the
    engine's `load_data` makes them, then `as_tensors` for the loss (`spec`: the run's)."""
    ds = spec.dataset
    name, args = ds.name, ds.args
    val, test = float(ds.split.val), float(ds.split.test)
    stratify = spec.classification and ds.split.stratify
    imports.add("numpy")
    parts = [_load(spec, run, imports)]
    official_test = name in allow.DOWNLOADS or (name == "csv" and bool(args.get("test")))
    limit = ds.subset
    if limit:
        parts.append(_take_code(limit, official_test, test))
    if val > 0 or (test > 0 and not official_test):
        imports.add("sklearn.model_selection", "train_test_split")
        parts.append(_split_helper(stratify))
    parts.append(_split_code(val, test, official_test))
    names = splits_of(spec)
    if ds.normalize != "none":
        parts.append(_normalize_code(ds.normalize, names))
    parts.append(_tensor_code(spec, name, names))
    return "\n\n".join(parts)


def splits_of(spec: TrainSpec) -> list[str]:
    val, test = spec.dataset.split.val, spec.dataset.split.test
    return ["train"] + (["val"] if val > 0 else []) + (["test"] if test > 0 else [])


def _load(spec: TrainSpec, run: RunSpec, imports: Imports) -> str:
    name, args = spec.dataset.name, spec.dataset.args
    if name in allow.SYNTHETIC_DATASETS:
        return _synthetic_code(name, args)
    if name == "digits":
        imports.add("sklearn.datasets", "load_digits")
        return (
            "# scikit-learn's 8x8 handwritten digits, as [N, 1, 8, 8] images scaled to 0..1\n"
            "digits = load_digits()\n"
            "X = (digits.images / 16.0).astype(np.float32)[:, None, :, :]\n"
            "y = digits.target.astype(np.int64)"
        )
    if name in allow.DOWNLOADS:
        return _download_code(name, run, imports)
    return _csv_code(args, run, spec.classification, imports)


def _synthetic_code(name: str, args: dict[str, Any]) -> str:
    """The engine's own function for the set, then a call with the run's arguments."""
    make = function(SYNTHETIC, allow.synthetic_function(name))
    call = [f"{key}={literal(value)}" for key, value in allow.dataset_args(name, args).items()]
    if "seed" in make.parameters:
        call.append(f"seed={int(args['seed'])}" if "seed" in args else "seed=seed")
    return (
        f"{make.source}\n\n\n"
        f"# {name}: {allow.SYNTHETIC_DATASETS[name]}\n"
        f"X, y = {allow.synthetic_function(name)}({', '.join(call)})"
    )


def _download_code(name: str, run: RunSpec, imports: Imports) -> str:
    imports.add("torchvision")
    cls = allow.DOWNLOADS[name].torch_name
    root = data_root(name, run)
    if name == "cifar10":
        shape = "# [N, 32, 32, 3] uint8 -> [N, 3, 32, 32] floats in 0..1"
        images = "np.asarray(part.data).transpose(0, 3, 1, 2)"
    else:
        shape = "# [N, 28, 28] uint8 -> [N, 1, 28, 28] floats in 0..1"
        images = "np.asarray(part.data)[:, None, :, :]"
    return (
        f"# {cls} from torchvision, downloaded once into data_dir (the lab's copy)\n"
        f"data_dir = {literal(str(root))}\n\n\n"
        "def images(part):\n"
        f"    {shape}\n"
        f"    X = {images}.astype(np.float32) / 255.0\n"
        "    return X, np.asarray(part.targets, dtype=np.int64)\n\n\n"
        f"X, y = images(torchvision.datasets.{cls}(data_dir, train=True, download=True))\n"
        f"X_test, y_test = images(\n"
        f"    torchvision.datasets.{cls}(data_dir, train=False, download=True)\n"
        ")"
    )


def data_root(name: str, run: RunSpec) -> Path:
    """The folder holding the lab's copy of a download set (shared first), else the cache."""
    roots = run.data_roots()
    for root in roots:
        if (root / allow.DOWNLOADS[name].folder).is_dir():
            return root
    return roots[-1] if roots else Path("data")


def _csv_code(args: dict[str, Any], run: RunSpec, classify_run: bool, imports: Imports) -> str:
    imports.add("csv")
    label = str(args["label"])
    lesson_dir = Path(run.lesson_dir)
    train = (lesson_dir / str(args["train"])).resolve()
    test = (lesson_dir / str(args["test"])).resolve() if args.get("test") else None
    numeric = classify_run and _labels_are_numbers([train, test], label)
    if not classify_run:
        convert = "np.array([float(v) for v in y])"
    elif numeric:
        convert = "[float(v) for v in y]"
    else:
        convert = "y"
    code = (
        f"# the lesson's CSV files: every column but {label!r} is a feature\n\n\n"
        "def read_csv(path):\n"
        + ('    """The labels are numbers here: they sort as numbers."""\n' if numeric else "")
        + '    with open(path, newline="", encoding="utf-8") as f:\n'
        "        rows = [row for row in csv.reader(f) if any(cell.strip() for cell in row)]\n"
        "    header = [name.strip() for name in rows[0]]\n"
        f"    label = header.index({literal(label)})\n"
        "    X = [[float(v) for i, v in enumerate(row) if i != label] for row in rows[1:]]\n"
        "    y = [row[label].strip() for row in rows[1:]]\n"
        f"    return np.array(X, dtype=np.float32), {convert}\n\n\n"
        f"X, y = read_csv({literal(str(train))})"
    )
    if test is not None:
        code += f"\nX_test, y_test = read_csv({literal(str(test))})"
    if classify_run:
        both = "set(y) | set(y_test)" if test is not None else "set(y)"
        code += (
            f"\n# the classes in sorted order become 0, 1, 2, ...\n"
            f"index = {{c: i for i, c in enumerate(sorted({both}))}}\n"
            "y = np.array([index[c] for c in y], dtype=np.int64)"
        )
        if test is not None:
            code += "\ny_test = np.array([index[c] for c in y_test], dtype=np.int64)"
    return code


def _labels_are_numbers(paths: list[Path | None], label: str) -> bool:
    """Whether every label is a number (then they sort as numbers, as the engine sorts them).
    Read here, at export time, so the script carries no code for the case it does not have."""
    values = []
    for path in paths:
        if path is None or not path.is_file():
            continue
        with path.open(newline="", encoding="utf-8") as f:
            rows = [row for row in csv.reader(f) if any(cell.strip() for cell in row)]
        header = [h.strip() for h in rows[0]] if rows else []
        if label in header:
            values += [row[header.index(label)].strip() for row in rows[1:]]
    return bool(values) and all(_is_number(v) for v in values)


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _take_code(limit: int, official_test: bool, test: float) -> str:
    code = (
        "# keep only some samples, drawn with the seed, in their order\n"
        "rng = np.random.RandomState(seed)\n\n\n"
        "def take(X, y, n):\n"
        "    if n >= len(X):\n"
        "        return X, y\n"
        "    keep = np.sort(rng.permutation(len(X))[:n])\n"
        "    return X[keep], y[keep]\n\n\n"
        f"X, y = take(X, y, {int(limit)})"
    )
    if official_test and test > 0:
        n_test = max(1, round(limit * test / (1 - test)))
        code += f"\nX_test, y_test = take(X_test, y_test, {n_test})"
    return code


def _split_helper(stratify: bool) -> str:
    if not stratify:
        return (
            "def split(X, y, fraction):\n"
            '    """Hold out `fraction` of the samples, drawn with the seed."""\n'
            "    return train_test_split(X, y, test_size=fraction, random_state=seed)"
        )
    return (
        "def split(X, y, fraction):\n"
        '    """Hold out `fraction` of the samples; each class keeps its share (stratified)."""\n'
        "    try:\n"
        "        return train_test_split(X, y, test_size=fraction, random_state=seed, stratify=y)\n"
        "    except ValueError:  # a class too small to stratify: split at random instead\n"
        "        return train_test_split(X, y, test_size=fraction, random_state=seed)"
    )


def _split_code(val: float, test: float, official_test: bool) -> str:
    lines = []
    if official_test:
        rest = "X, y"
        if test == 0:
            lines.append("del X_test, y_test  # no test split asked for")
    elif test > 0:
        lines.append(f"X_rest, X_test, y_rest, y_test = split(X, y, {literal(test)})")
        rest = "X_rest, y_rest"
    else:
        rest = "X, y"
    if val > 0:
        fraction = literal(val) if official_test or test == 0 else f"{val!r} / (1 - {test!r})"
        lines.append(f"X_train, X_val, y_train, y_val = split({rest}, {fraction})")
    else:
        lines.append(f"X_train, y_train = {rest}")
    train, held = 1 - val - test, []
    if val > 0:
        held.append(f"{val:.0%} validation")
    if test > 0:
        held.append(f"{test:.0%} test" if not official_test else "the official test part")
    what = f"# {train:.0%} train" + ("".join(f", {h}" for h in held) if held else "")
    if official_test:
        what = "# the training part minus " + (f"{val:.0%} validation" if val else "nothing")
        what += "; the official test part" if test > 0 else ""
    return what + "\n" + "\n".join(lines)


def _normalize_code(how: str, names: list[str]) -> str:
    splits = ", ".join(f"X_{n}" for n in names)
    if how == "standard":
        fit = (
            "# standardise each feature with the training part's mean and spread only\n"
            "shift, scale = X_train.mean(axis=0), X_train.std(axis=0)"
        )
    else:
        fit = (
            "# scale each feature to 0..1 with the training part's minimum and range only\n"
            "shift, scale = X_train.min(axis=0), X_train.max(axis=0) - X_train.min(axis=0)"
        )
    lhs = splits + ("," if len(names) == 1 else "")
    return (
        f"{fit}\n"
        "scale[scale < 1e-8] = 1.0  # a constant feature stays as it is\n"
        f"{lhs} = [(X - shift) / scale for X in ({splits}{',' if len(names) == 1 else ''})]"
    )


def _tensor_code(spec: TrainSpec, name: str, names: list[str]) -> str:
    if spec.loss == "cross_entropy":
        body = "    return torch.tensor(X), torch.tensor(y)"
        doc = "float32 features, class indices as int64"
    else:
        wide = name == "random-regression"
        y = "torch.tensor(y, dtype=torch.float32)" + ("" if wide else "[:, None]")
        body = f"    return torch.tensor(X), {y}"
        doc = "float32 features and targets" + ("" if wide else " shaped [N, 1] like the output")
    pairs = ",\n".join(f'    "{n}": as_tensors(X_{n}, y_{n})' for n in names)
    return f'def as_tensors(X, y):\n    """{doc}."""\n{body}\n\n\nsplits = {{\n{pairs},\n}}'


# --- model, loss, optimizer -------------------------------------------------------------------


def model_code(spec: TrainSpec, imports: Imports) -> str:
    """`model = nn.Sequential(...)`, layer by layer, after `torch.manual_seed(seed)`."""
    model = spec.model
    imports.add("torch", "nn")
    if model.builder == "mlp":
        layers, pre = _mlp(model.resolved_args(), spec)
    elif model.builder == "small-cnn":
        layers, pre = _small_cnn(model.resolved_args(), spec)
    else:
        layers, pre = [(layer.name, _layer(layer)) for layer in model.layers], ""
    if layers and all(n for n, _ in layers):
        imports.add("collections", "OrderedDict")
        rows = "\n".join(f'            ("{n}", {code}),' for n, code in layers)
        body = f"nn.Sequential(\n    OrderedDict(\n        [\n{rows}\n        ]\n    )\n)"
    else:
        rows = "\n".join(f"    {code}," for _, code in layers)
        body = f"nn.Sequential(\n{rows}\n)"
    return f"{pre}torch.manual_seed(seed)  # the same starting weights as `lab run`\nmodel = {body}"


def _layer(layer: LayerSpec) -> str:
    args = [literal(a) for a in layer.args]
    args += [f"{k}={literal(v)}" for k, v in layer.kwargs.items()]
    return f"nn.{layer.type}({', '.join(args)})"


def _outputs(spec: TrainSpec) -> str:
    if spec.loss == "cross_entropy":
        return "num_classes"
    return "y_train.shape[1]"


def _num_classes(spec: TrainSpec) -> str:
    if spec.loss != "cross_entropy":
        return 'X_train, y_train = splits["train"]\n'
    labels = "max(int(y.max()) for _, y in splits.values()) + 1"
    return f'X_train, y_train = splits["train"]\nnum_classes = {labels}\n'


def _mlp(a: dict[str, Any], spec: TrainSpec):
    act = allow.ACTIVATIONS[a["activation"]]
    layers: list[tuple[str | None, str]] = [(None, "nn.Flatten()")]
    width = "X_train[0].numel()"
    for hidden in a["hidden"]:
        layers += [(None, f"nn.Linear({width}, {int(hidden)})"), (None, f"nn.{act}()")]
        if a["dropout"]:
            layers.append((None, f"nn.Dropout({literal(float(a['dropout']))})"))
        width = str(int(hidden))
    layers.append((None, f"nn.Linear({width}, {_outputs(spec)})"))
    return layers, _num_classes(spec)


def _small_cnn(a: dict[str, Any], spec: TrainSpec):
    k = int(a["kernel_size"])
    layers: list[tuple[str | None, str]] = []
    channels = "channels"
    for out_c in a["channels"]:
        layers += [
            (None, f"nn.Conv2d({channels}, {int(out_c)}, {k}, padding={k // 2})"),
            (None, "nn.ReLU()"),
            (None, "nn.MaxPool2d(2)"),
        ]
        channels = str(int(out_c))
    shrink = 2 ** len(a["channels"])
    flat = f"{channels} * (height // {shrink}) * (width // {shrink})"
    layers += [
        (None, "nn.Flatten()"),
        (None, f"nn.Linear({flat}, {int(a['hidden'])})"),
        (None, "nn.ReLU()"),
        (None, f"nn.Linear({int(a['hidden'])}, {_outputs(spec)})"),
    ]
    pre = _num_classes(spec) + "channels, height, width = X_train.shape[1:]\n"
    return layers, pre


def loss_code(spec: TrainSpec) -> str:
    """`loss_fn`, and `output`: what the model outputs, which says how accuracy is counted."""
    loss = allow.LOSSES[spec.loss]
    return (
        f"loss_fn = nn.{loss.torch_name}()\n"
        f"output = {literal(loss.output)}  # {allow.OUTPUTS[loss.output]}"
    )


def optimizer_code(spec: TrainSpec) -> str:
    """The optimizer with `lr` and each setting it takes that is not off (0 or false)."""
    opt = spec.optimizer
    entry = allow.OPTIMIZERS[opt.name]
    kwargs = ["lr=lr"]
    kwargs += [f"{key}={literal(getattr(opt, key))}" for key in entry.settings if getattr(opt, key)]
    return f"optimizer = torch.optim.{entry.torch_name}(model.parameters(), {', '.join(kwargs)})"


def schedule_code(spec: TrainSpec) -> str:
    schedule = spec.schedule
    if schedule is None:
        return ""
    entry = allow.SCHEDULES[schedule.name]
    kwargs = [f"{key}={literal(getattr(schedule, key))}" for key in entry.settings]
    if entry.epochs_as:
        kwargs.append(f"{entry.epochs_as}=num_epochs")
    call = f"torch.optim.lr_scheduler.{entry.torch_name}(optimizer, {', '.join(kwargs)})"
    if len(f"schedule = {call}") > 88:  # ruff's line length: it breaks the call
        call = call.replace("(optimizer", "(\n    optimizer").removesuffix(")") + "\n)"
    return f"# {entry.about}\nschedule = {call}"


def evaluate_code() -> str:
    """`evaluate(model, loss_fn, X, y, output)`: the engine's own function, and its helper."""
    return (
        "# --- evaluation: the functions `lab run` evaluates with (lab/engine/parts.py) ---\n"
        f"EVAL_BATCH = {allow.EVAL_BATCH}  # samples a step: the sums of `lab run`, in its order"
        "\n\n\n"
        f"{function(PARTS, 'correct_count').source}\n\n\n"
        f"{function(PARTS, 'evaluate').source}"
    )


def evaluate_line(target: str, X_y: str, indent: int) -> str:
    """`target = evaluate(model, loss_fn, X_y, output)` at `indent`, as ruff breaks it."""
    pad = " " * indent
    args = f"model, loss_fn, {X_y}, output"
    line = f"{pad}{target} = evaluate({args})"
    if len(line) <= 88:
        return line + "\n"
    return f"{pad}{target} = evaluate(\n{pad}    {args}\n{pad})\n"


def settings_code(spec: TrainSpec) -> str:
    lines = [
        f"seed = {spec.seed}",
        f"num_epochs = {spec.epochs}",
        f"batch_size = {spec.batch_size}",
        f"lr = {literal(float(spec.optimizer.lr))}",
    ]
    stopping = spec.early_stopping
    if stopping:
        lines += [
            f"patience = {stopping.patience}  # epochs without a better val loss",
            f"min_delta = {literal(float(stopping.min_delta))}",
        ]
    return "# --- settings ---\n" + "\n".join(lines)


def restore_code(spec: TrainSpec, distributed: bool = False) -> str:
    """After the loop: back to the best epoch's weights, as the engine ends a run with early
    stopping (whether patience ran out or the epochs did)."""
    stopping = spec.early_stopping
    if not stopping or not stopping.restore_best:
        return ""
    say = 'print(f"restored epoch {best_epoch}\'s weights, the best of the run")'
    if distributed:  # every process restores (their weights are the same); rank 0 says so
        say = f"if rank == 0:\n        {say}"
    return (
        "# early stopping on: the run ends on its best epoch's weights\n"
        "if best_state is not None and best_epoch != epoch:\n"
        "    model.load_state_dict(best_state)\n"
        f"    {say}\n\n"
    )


def device_code(spec: TrainSpec) -> str:
    if spec.device != "auto":
        return f"device = torch.device({literal(spec.device)})  # as the experiment asks"
    return (
        "# the GPU when there is one, as `lab run` picks it\n"
        'if torch.cuda.is_available():\n    device = torch.device("cuda")\n'
        'elif torch.backends.mps.is_available():\n    device = torch.device("mps")\n'
        'else:\n    device = torch.device("cpu")'
    )
