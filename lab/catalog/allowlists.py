"""Provides the names a lesson may use: data sets, layers, losses, optimizers, scripted experiments.

Plain data, importable without torch: the catalog checks lesson files against it, the engine
builds from it (`getattr(torch.optim, OPTIMIZERS[name].torch_name)`), the memory estimate reads
what each optimizer keeps, and the export writes the same names into its scripts. Adding a loss,
an optimizer, an activation or a download is one entry here (and a row in
docs/lesson-format.md); tests/engine/test_vocabulary.py resolves every entry in torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

# Data sets. `csv` reads a learner's or a lesson's own files; the three download ones need
# the network once (or LAB_DATA_DIR).
SYNTHETIC_DATASETS = {
    "linear-tiny": "x = 1, 2, 3 and y = 2, 4, 6: the course's smallest data set",
    "linear": "y = w*x + b with Gaussian noise",
    "hours-pass": "hours studied against pass (1) or fail (0)",
    "moons": "two interleaving half circles",
    "circles": "a small circle inside a large one",
    "spirals": "two interleaved spirals",
    "xor": "four clusters labelled by XOR of their signs",
    "random-regression": "random inputs and targets (100 samples x 1000 features -> 10 targets)",
}
REAL_DATASETS = {
    "digits": "scikit-learn's 8x8 handwritten digits (1,797 images, offline)",
    "csv": "a CSV file: feature columns and a label column",
}


@dataclass(frozen=True)
class Download:
    torch_name: str
    """The class in torchvision.datasets."""
    folder: str
    """The folder it unpacks into under its root (torchvision's own name for it)."""
    title: str
    about: str


DOWNLOADS = {
    "mnist": Download(
        "MNIST", "MNIST", "MNIST", "MNIST handwritten digits (28x28, 60,000 + 10,000)"
    ),
    "fashion-mnist": Download(
        "FashionMNIST",
        "FashionMNIST",
        "Fashion-MNIST",
        "Fashion-MNIST clothing images (28x28, 60,000 + 10,000)",
    ),
    "cifar10": Download(
        "CIFAR10",
        "cifar-10-batches-py",
        "CIFAR-10",
        "CIFAR-10 colour images (32x32x3, 50,000 + 10,000)",
    ),
}
DOWNLOAD_DATASETS = {name: download.about for name, download in DOWNLOADS.items()}
DATASETS = {**SYNTHETIC_DATASETS, **REAL_DATASETS, **DOWNLOAD_DATASETS}

# The arguments each data set takes, with their defaults (None: required, no default). The
# generated sets also take `seed` (else the run's seed is used); each is made by the function of
# its name in lab/engine/datasets/synthetic.py (`hours-pass`: `hours_pass(n, noise, seed)`).
DATASET_ARGS: dict[str, dict[str, Any]] = {
    "linear-tiny": {},
    "linear": {"n": 100, "w": 2.0, "b": 1.0, "noise": 0.5},
    "hours-pass": {"n": 100, "noise": 1.0},
    "moons": {"n": 200, "noise": 0.1},
    "circles": {"n": 200, "noise": 0.05, "factor": 0.5},
    "spirals": {"n": 300, "noise": 0.2, "turns": 1.5},
    "xor": {"n": 200, "noise": 0.2},
    "random-regression": {"n": 100, "features": 1000, "targets": 10},
    "digits": {},
    "csv": {"train": None, "test": None, "label": None},
    "mnist": {},
    "fashion-mnist": {},
    "cifar10": {},
}
CSV_REQUIRED = ("train", "label")

LAYERS = (
    "Linear",
    "Conv2d",
    "MaxPool2d",
    "AvgPool2d",
    "AdaptiveAvgPool2d",
    "Flatten",
    "ReLU",
    "LeakyReLU",
    "Sigmoid",
    "Tanh",
    "GELU",
    "Softmax",
    "LogSoftmax",
    "Dropout",
    "BatchNorm1d",
    "BatchNorm2d",
    "LayerNorm",
    "GroupNorm",
    "InstanceNorm2d",
    "Identity",
)

MODEL_BUILDERS = {
    "mlp": "hidden layers of the given sizes with an activation between them",
    "small-cnn": "two conv-relu-pool blocks, then a linear classifier",
}
# The arguments each builder takes, with their defaults.
BUILDER_ARGS: dict[str, dict[str, Any]] = {
    "mlp": {"hidden": [64], "activation": "relu", "dropout": 0.0},
    "small-cnn": {"channels": [16, 32], "kernel_size": 3, "hidden": 64},
}
# The mlp builder's `activation`: its name -> the class in torch.nn.
ACTIVATIONS = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "gelu": "GELU"}

Output = Literal["value", "probability", "logit", "classes"]
OUTPUTS: dict[str, str] = {
    "value": "the model outputs values (regression): no accuracy",
    "probability": "one probability of class 1: above 0.5 means class 1",
    "logit": "one logit of class 1: above 0 means class 1",
    "classes": "a score per class: the largest is the prediction",
}
"""What a model trained with a loss outputs, which says how its accuracy is counted."""


@dataclass(frozen=True)
class Loss:
    torch_name: str
    """The class in torch.nn."""
    output: Output = "value"

    @property
    def classify(self) -> bool:
        """A classification loss: the run reports accuracy."""
        return self.output != "value"


LOSSES = {
    "mse": Loss("MSELoss"),
    "l1": Loss("L1Loss"),
    "bce": Loss("BCELoss", "probability"),
    "bce_with_logits": Loss("BCEWithLogitsLoss", "logit"),
    "cross_entropy": Loss("CrossEntropyLoss", "classes"),
}


@dataclass(frozen=True)
class Optimizer:
    torch_name: str
    """The class in torch.optim."""
    settings: tuple[str, ...] = ("weight_decay",)
    """The `optimizer:` fields it is given beside `lr` (the spec's names are torch's; an
    exported script writes those that are not off, 0 or false, which are torch's defaults)."""
    state: tuple[str, ...] = ()
    """What it keeps per weight, by torch's names: each a tensor the size of the weights
    (with `momentum` on, a `momentum_buffer` too). The memory check counts them."""
    keeps: str = ""
    """The same in words, for the memory check's message (`adam's two moment estimates`)."""


OPTIMIZERS = {
    "sgd": Optimizer("SGD", ("momentum", "nesterov", "weight_decay")),
    "adam": Optimizer("Adam", state=("exp_avg", "exp_avg_sq"), keeps="two moment estimates"),
    "adamw": Optimizer("AdamW", state=("exp_avg", "exp_avg_sq"), keeps="two moment estimates"),
    "rmsprop": Optimizer("RMSprop", ("momentum", "weight_decay"), ("square_avg",), "averages"),
    "adagrad": Optimizer("Adagrad", state=("sum",), keeps="sums"),
}


@dataclass(frozen=True)
class Schedule:
    torch_name: str
    """The class in torch.optim.lr_scheduler."""
    settings: tuple[str, ...] = ()
    """The `schedule:` fields it is given (the spec's names are torch's)."""
    epochs_as: str | None = None
    """The argument that takes the run's number of epochs, if any."""
    about: str = ""


SCHEDULES = {
    "step": Schedule(
        "StepLR",
        ("step_size", "gamma"),
        about="the learning rate times gamma every step_size epochs",
    ),
    "cosine": Schedule(
        "CosineAnnealingLR",
        epochs_as="T_max",
        about="the learning rate follows half a cosine down to 0 over the epochs",
    ),
}

EVAL_BATCH = 4096
"""Samples per evaluation step (fewer when a wide model would not fit): the engine and the
exported scripts sum the same batches in the same order."""

# Metrics every declarative training run reports at its end.
TRAIN_METRICS = (
    "train_loss",
    "val_loss",
    "test_loss",
    "train_accuracy",
    "val_accuracy",
    "test_accuracy",
)

# Scripted experiments: what they teach, the arguments they take (with defaults) and the
# metrics they report in their `done` event, which a goal may name. `"pausable": False` where
# a run cannot pause or step (the processes of a distributed run wait on each other);
# `"trains": False` for a demonstration that trains no model (nothing to export).
SCRIPTED: dict[str, dict] = {
    "tensor-tour": {
        "about": "tensors, shapes, dtypes and broadcasting, checked against plain Python",
        "trains": False,
        "args": {"seed": 0},
        "metrics": ("checks_passed", "max_error"),
    },
    "cost-sweep": {
        "about": "exhaustive search over w for y = 2x: the MSE cost against w",
        "trains": False,
        "args": {"w_min": 0.0, "w_max": 4.0, "w_step": 0.1},
        "metrics": ("best_w", "min_cost"),
    },
    "manual-gd": {
        "about": "gradient descent written by hand on y = 2x, w printed each epoch",
        "args": {"lr": 0.01, "epochs": 100, "w0": 1.0},
        "metrics": ("w", "train_loss"),
    },
    "autograd": {
        "about": "y = w*x + b with requires_grad, .grad, a manual update and grad.zero_()",
        "args": {"lr": 0.01, "epochs": 100, "w0": 1.0, "b0": 0.0},
        "metrics": ("w", "b", "train_loss"),
    },
    "batch-modes": {
        "about": "full batch vs mini-batch vs one sample at a time on the same data",
        "args": {"lr": 0.05, "epochs": 30, "batch_size": 16, "n": 256, "seed": 0},
        "metrics": ("full_loss", "minibatch_loss", "stochastic_loss", "train_loss"),
    },
    "dataloader-shapes": {
        "about": "iterate a DataLoader and report the shape of each batch",
        "trains": False,
        "args": {"dataset": "digits", "batch_size": 32, "shuffle": True, "seed": 0},
        "metrics": ("batches", "batch_size", "samples"),
    },
    "manual-vs-adam": {
        "about": "a 1000-100-10 network: a manual parameter update, then optim.Adam",
        "args": {"lr_manual": 0.0001, "lr_adam": 0.001, "steps": 300, "seed": 0},
        "metrics": ("manual_loss", "adam_loss", "train_loss"),
    },
    "stratified-split": {
        "about": "70/15/15 splits with and without stratification: class shares per split",
        "trains": False,
        "args": {"dataset": "digits", "val": 0.15, "test": 0.15, "seed": 0},
        "metrics": ("max_gap_stratified", "max_gap_random"),
    },
    "views-and-copies": {
        "about": "slices, views, masks, clones and the NumPy bridge: which see a change to x",
        "trains": False,
        "args": {"update": "x.add_(100)"},
        "metrics": ("changed", "unchanged", "shared"),
    },
    "tabular-prep": {
        "about": "house prices from raw columns, then imputed, one-hot, standardised, log target",
        "args": {"lr": 0.01, "epochs": 100, "batch_size": 32, "skip": "none", "seed": 0},
        "metrics": ("raw_error", "prepared_error"),
    },
    "ddp-digits": {
        "about": "the digits MLP on several processes with DistributedDataParallel",
        "pausable": False,
        "args": {
            "world_size": 2,
            "batch_size": 32,
            "lr": 0.2,
            "epochs": 10,
            "seed": 0,
            "backend": "auto",
        },
        "metrics": (*TRAIN_METRICS, "world_size", "rank_weight_gap"),
    },
    "ddp-batch-sizes": {
        "about": "one process with batch 64, two with 32 each, one with 32, on the digits",
        "pausable": False,
        "args": {"lr": 0.1, "epochs": 10, "seed": 0, "backend": "gloo"},
        "metrics": (
            "loss_1x64",
            "loss_2x32",
            "loss_1x32",
            "curve_gap",
            "rank_weight_gap",
            "train_loss",
        ),
    },
    "covariate-shift": {
        "about": "an MLP trained on the digits, tested on its test images as they are and moved",
        "args": {"pixels": 1, "epochs": 20, "lr": 0.003, "hidden": 64, "seed": 0},
        "metrics": ("train_loss", "test_accuracy", "shifted_accuracy", "accuracy_drop"),
    },
    "pipeline": {
        "about": "the digits end to end: train and test loops, save, load, predict one image",
        "args": {"lr": 0.2, "epochs": 20, "batch_size": 64, "seed": 0, "sample": 0},
        "metrics": (
            "train_loss",
            "val_loss",
            "val_accuracy",
            "test_loss",
            "test_accuracy",
            "reload_max_diff",
            "predicted",
            "true_class",
            "probability",
        ),
    },
    "gradient-accumulation": {
        "about": "k micro-batches with the loss divided by k, then one step, against one big batch",
        "args": {"k": 4, "micro_batch": 16, "lr": 0.1, "epochs": 10, "divide": True, "seed": 0},
        "metrics": (
            "max_grad_diff",
            "max_weight_diff",
            "accumulated_loss",
            "big_batch_loss",
            "train_loss",
        ),
    },
    "freeze-layers": {
        "about": "the digits MLP trained whole, and with one layer frozen by requires_grad_(False)",
        "args": {
            "layer": "hidden",
            "hidden": 32,
            "lr": 0.1,
            "epochs": 20,
            "batch_size": 32,
            "seed": 0,
        },
        "metrics": (
            "trainable_all",
            "trainable_frozen",
            "frozen_weight_change",
            "trained_weight_change",
            "frozen_test_accuracy",
            "all_test_accuracy",
            "frozen_loss",
            "all_loss",
        ),
    },
    "save-resume": {
        "about": "the digits MLP saved after stop_at epochs, resumed with and without Adam's state",
        "args": {"lr": 0.01, "epochs": 20, "stop_at": 10, "seed": 0},
        "metrics": ("uninterrupted_loss", "resumed_loss", "weights_only_loss", "resume_gap"),
    },
    "fine-tune": {
        "about": "a digits CNN reused for a new task with few labels: scratch, frozen, fine-tuned",
        "args": {
            "task": "parity",
            "labels": 20,
            "epochs": 30,
            "base_epochs": 20,
            "lr": 0.01,
            "body_lr": 0.001,
            "batch_size": 16,
            "seed": 0,
        },
        "metrics": (
            "base_accuracy",
            "scratch_accuracy",
            "frozen_accuracy",
            "finetune_accuracy",
            "frozen_gain",
            "frozen_body_change",
        ),
    },
}

# A tweakable hyperparameter's name maps to a path in the training spec unless it names one.
KNOWN_PARAM_PATHS = {
    "lr": "optimizer.lr",
    "momentum": "optimizer.momentum",
    "weight_decay": "optimizer.weight_decay",
    "optimizer": "optimizer.name",
    "epochs": "epochs",
    "batch_size": "batch_size",
    "seed": "seed",
    "patience": "early_stopping.patience",
    "normalize": "dataset.normalize",
}


def unknown_arg(owner: str, args: dict[str, Any], known: dict[str, Any] | tuple) -> str | None:
    """The refusal for the first argument `owner` does not take (`moons takes no argument
    'noize'; it takes n, noise`), or None when every one is known."""
    extra = sorted(set(args) - set(known))
    if not extra:
        return None
    return f"{owner} takes no argument {extra[0]!r}; it takes {', '.join(known) or 'no arguments'}"


def dataset_args(name: str, args: dict[str, Any]) -> dict[str, Any]:
    """A data set's arguments with its defaults filled in (not `seed`), whole numbers as int:
    what the engine calls its function with, and the export writes into the script."""
    out = {}
    for key, default in DATASET_ARGS[name].items():
        value = args.get(key, default)
        whole = isinstance(default, int) and not isinstance(default, bool)
        out[key] = int(value) if whole else value
    return out


def synthetic_function(name: str) -> str:
    """The function in lab/engine/datasets/synthetic.py that makes a generated set."""
    return name.replace("-", "_")


def metrics_for_scripted(name: str) -> tuple[str, ...]:
    return tuple(SCRIPTED[name]["metrics"]) if name in SCRIPTED else ()
