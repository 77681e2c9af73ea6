"""Provides the parts every exported training script shares: imports, settings, data, model.

Each part is code text that replays what the engine does in the same order (numpy's and
scikit-learn's seeded draws for the data, then `torch.manual_seed(seed)` and the layers built
in order), so an exported script starts from the same data and the same weights as `lab run`.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lab.catalog import allowlists as allow

if TYPE_CHECKING:
    from lab.catalog.runspec import RunSpec
    from lab.catalog.schema import LayerSpec, TrainSpec

LOSS_CLASSES = {
    "mse": "MSELoss",
    "l1": "L1Loss",
    "bce": "BCELoss",
    "bce_with_logits": "BCEWithLogitsLoss",
    "cross_entropy": "CrossEntropyLoss",
}
OPTIMIZER_CLASSES = {
    "sgd": "SGD",
    "adam": "Adam",
    "adamw": "AdamW",
    "rmsprop": "RMSprop",
    "adagrad": "Adagrad",
}
ACTIVATIONS = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "gelu": "GELU"}
DOWNLOAD_CLASSES = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST", "cifar10": "CIFAR10"}
DOWNLOAD_FOLDERS = {
    "mnist": "MNIST",
    "fashion-mnist": "FashionMNIST",
    "cifar10": "cifar-10-batches-py",
}
EVAL_BATCH = 4096  # the engine's evaluation batch: the same sums in the same order
PARTS = f"zip(X.split({EVAL_BATCH}), y.split({EVAL_BATCH}), strict=True)"


@dataclass
class Imports:
    """The script's imports, written in isort's order (standard library, then the rest)."""

    names: set[tuple[str, str | None]] = field(default_factory=set)

    def add(self, module: str, name: str | None = None) -> None:
        self.names.add((module, name))

    def text(self) -> str:
        stdlib = {"copy", "csv", "gc", "math", "os", "collections"}
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


def data_code(run: RunSpec, imports: Imports) -> str:
    """numpy arrays X_train, y_train (X_val, X_test, ... where the split has them), as the
    engine's `load_data` makes them, then `as_tensors` for the loss."""
    spec = run.train
    ds = spec.dataset
    name, args = ds.name, ds.args
    val, test = float(ds.split.val), float(ds.split.test)
    stratify = spec.classification and ds.split.stratify
    imports.add("numpy")
    parts = [_load(name, args, run, imports)]
    official_test = name in DOWNLOAD_CLASSES or (name == "csv" and bool(args.get("test")))
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


def _load(name: str, args: dict[str, Any], run: RunSpec, imports: Imports) -> str:
    a = {**allow.DATASET_ARGS[name], **args}  # the set's defaults, as the engine fills them in
    seed_expr = f"{int(args['seed'])}" if "seed" in args else "seed"
    n = int(a.get("n", 0))
    if name == "linear-tiny":
        return (
            "# the smallest data set: y = 2x on x = 1, 2, 3\n"
            "X = np.array([[1.0], [2.0], [3.0]], dtype=np.float32)\n"
            "y = np.array([2.0, 4.0, 6.0])"
        )
    if name == "linear":
        return (
            f"# {n} points of y = {a['w']} * x + {a['b']} plus Gaussian noise\n"
            f"rng = np.random.RandomState({seed_expr})\n"
            f"X = rng.uniform(-3, 3, size=({n}, 1))\n"
            f"y = {literal(a['w'])} * X[:, 0] + {literal(a['b'])}"
            f" + {literal(a['noise'])} * rng.randn({n})\n"
            "X = X.astype(np.float32)"
        )
    if name == "hours-pass":
        return (
            f"# {n} students: hours studied (0 to 10), passed (1) when hours plus noise > 5\n"
            f"rng = np.random.RandomState({seed_expr})\n"
            f"X = rng.uniform(0, 10, size=({n}, 1))\n"
            f"y = (X[:, 0] + {literal(a['noise'])} * rng.randn({n}) > 5).astype(np.int64)\n"
            "X = X.astype(np.float32)"
        )
    if name in ("moons", "circles"):
        fn = "make_moons" if name == "moons" else "make_circles"
        imports.add("sklearn.datasets", fn)
        extra = f", factor={literal(a['factor'])}" if name == "circles" else ""
        return (
            f"# scikit-learn's {name}: {n} points in two classes\n"
            f"X, y = {fn}(n_samples={n}, noise={literal(a['noise'])}{extra}, "
            f"random_state={seed_expr})\n"
            "X = X.astype(np.float32)"
        )
    if name == "spirals":
        half = n // 2
        turns, noise = literal(a["turns"]), literal(a["noise"])
        return (
            f"# two spirals of {half} points each, {turns} turns, the second the first rotated\n"
            f"rng = np.random.RandomState({seed_expr})\n"
            f"t = np.sqrt(rng.uniform(0, 1, {half})) * {turns} * 2 * np.pi\n"
            f"arm = np.stack([t * np.cos(t), t * np.sin(t)], axis=1) / ({turns} * 2 * np.pi)\n"
            f"X = np.concatenate([arm, -arm]) + {noise} * 0.1 * rng.randn({2 * half}, 2)\n"
            f"y = np.concatenate([np.zeros({half}), np.ones({half})]).astype(np.int64)\n"
            "X = X.astype(np.float32)"
        )
    if name == "xor":
        return (
            f"# {n} points in [-1, 1]^2 labelled by the XOR of their signs, then noise\n"
            f"rng = np.random.RandomState({seed_expr})\n"
            f"X = rng.uniform(-1, 1, size=({n}, 2))\n"
            "y = ((X[:, 0] > 0) ^ (X[:, 1] > 0)).astype(np.int64)\n"
            f"X = X + {literal(a['noise'])} * rng.randn({n}, 2)\n"
            "X = X.astype(np.float32)"
        )
    if name == "random-regression":
        features, targets = int(a["features"]), int(a["targets"])
        return (
            f"# random inputs and targets: {n} samples, {features} features, {targets} targets\n"
            f"rng = np.random.RandomState({seed_expr})\n"
            f"X = rng.randn({n}, {features}).astype(np.float32)\n"
            f"y = rng.randn({n}, {targets})"
        )
    if name == "digits":
        imports.add("sklearn.datasets", "load_digits")
        return (
            "# scikit-learn's 8x8 handwritten digits, as [N, 1, 8, 8] images scaled to 0..1\n"
            "digits = load_digits()\n"
            "X = (digits.images / 16.0).astype(np.float32)[:, None, :, :]\n"
            "y = digits.target.astype(np.int64)"
        )
    if name in DOWNLOAD_CLASSES:
        return _download_code(name, run, imports)
    return _csv_code(args, run, imports)


def _download_code(name: str, run: RunSpec, imports: Imports) -> str:
    imports.add("torchvision")
    cls = DOWNLOAD_CLASSES[name]
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
        if (root / DOWNLOAD_FOLDERS[name]).is_dir():
            return root
    return roots[-1] if roots else Path("data")


def _csv_code(args: dict[str, Any], run: RunSpec, imports: Imports) -> str:
    imports.add("csv")
    label = str(args["label"])
    lesson_dir = Path(run.lesson_dir)
    train = (lesson_dir / str(args["train"])).resolve()
    test = (lesson_dir / str(args["test"])).resolve() if args.get("test") else None
    classify_run = run.train.classification
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
    act = ACTIVATIONS[a["activation"]]
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
    return f"loss_fn = nn.{LOSS_CLASSES[spec.loss]}()"


def optimizer_code(spec: TrainSpec) -> str:
    opt = spec.optimizer
    name = opt.name
    kwargs = ["lr=lr"]
    momentum, wd = float(opt.momentum), float(opt.weight_decay)
    if name in ("sgd", "rmsprop") and momentum:
        kwargs.append(f"momentum={literal(momentum)}")
    if name == "sgd" and opt.nesterov:
        kwargs.append("nesterov=True")
    if wd:
        kwargs.append(f"weight_decay={literal(wd)}")
    optimizer = OPTIMIZER_CLASSES[name]
    return f"optimizer = torch.optim.{optimizer}(model.parameters(), {', '.join(kwargs)})"


def schedule_code(spec: TrainSpec) -> str:
    schedule = spec.schedule
    if schedule is None:
        return ""
    if schedule.name == "step":
        call = (
            "torch.optim.lr_scheduler.StepLR(optimizer, "
            f"step_size={schedule.step_size}, gamma={literal(float(schedule.gamma))})"
        )
        if len(f"schedule = {call}") > 88:  # ruff's line length: it breaks the call
            call = call.replace("(optimizer", "(\n    optimizer").removesuffix(")") + "\n)"
        return f"# the learning rate times gamma every step_size epochs\nschedule = {call}"
    return (
        "# the learning rate follows half a cosine down to 0 over the epochs\n"
        "schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=num_epochs)"
    )


def correct_expr(loss: str, y: str = "y") -> str:
    """How many predictions in a batch are right, as the engine counts them."""
    if loss == "cross_entropy":
        return f"(y_hat.argmax(dim=1) == {y}).sum().item()"
    threshold = "0.0" if loss == "bce_with_logits" else "0.5"
    return f"((y_hat > {threshold}) == ({y} > 0.5)).sum().item()"


def evaluate_code(spec: TrainSpec, model: str = "model") -> str:
    """`evaluate(X, y)`: mean loss (and accuracy) over a split, in eval mode, no gradients."""
    loss = spec.loss
    if spec.classification:
        return (
            "@torch.no_grad()\n"
            "def evaluate(X, y):\n"
            '    """Mean loss and accuracy over a whole split: eval mode, no gradients."""\n'
            f"    {model}.eval()\n"
            "    total, correct = 0.0, 0\n"
            f"    for X_part, y_part in {PARTS}:\n"
            f"        y_hat = {model}(X_part)\n"
            "        total += loss_fn(y_hat, y_part).item() * len(X_part)\n"
            f"        correct += {correct_expr(loss, 'y_part')}\n"
            f"    {model}.train()\n"
            "    return total / len(y), correct / len(y)"
        )
    return (
        "@torch.no_grad()\n"
        "def evaluate(X, y):\n"
        '    """Mean loss over a whole split: eval mode, no gradients."""\n'
        f"    {model}.eval()\n"
        "    total = 0.0\n"
        f"    for X_part, y_part in {PARTS}:\n"
        f"        total += loss_fn({model}(X_part), y_part).item() * len(X_part)\n"
        f"    {model}.train()\n"
        "    return total / len(y), None"
    )


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
