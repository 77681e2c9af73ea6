"""Provides models from a spec: allow-listed `torch.nn` layers or a named builder, shape-checked.

`build_model` makes the module; `check_shapes` runs one batch through it layer by layer so a
layer that does not fit is named, with the shapes, before training starts.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import torch
from pydantic import ValidationError
from torch import nn

from lab.catalog import allowlists as allow
from lab.catalog.runspec import spec_error
from lab.catalog.schema import ModelSpec


class ModelError(ValueError):
    """A model that cannot be built or does not fit the data; one line naming the layer."""


LAYER_CLASSES: dict[str, type[nn.Module]] = {name: getattr(nn, name) for name in allow.LAYERS}


def build_model(
    model_spec: ModelSpec | dict[str, Any], sample_shape: tuple[int, ...], out_size: int
):
    """An nn.Sequential; named layers become an OrderedDict, so each is `model.<name>`."""
    try:
        spec = ModelSpec.model_validate(model_spec)
    except ValidationError as exc:
        raise ModelError(spec_error(exc)) from None
    if spec.builder:
        return _builder(spec.builder, spec.resolved_args(), sample_shape, out_size)
    layers = []
    for i, layer in enumerate(spec.layers, start=1):
        cls = LAYER_CLASSES[layer.type]
        try:
            module = cls(*layer.args, **layer.kwargs)
        except (TypeError, ValueError, RuntimeError) as exc:
            raise ModelError(f"layer {i} ({layer.type}): {_first_line(exc)}") from None
        layers.append((layer.name, module))
    named = [(name, module) for name, module in layers if name]
    if layers and len(named) == len(layers):
        return nn.Sequential(OrderedDict(named))
    return nn.Sequential(*(m for _, m in layers))


def _builder(name: str, a: dict[str, Any], sample_shape: tuple[int, ...], out_size: int):
    """A named builder with its arguments (defaults filled in, names checked by the schema)."""
    if name == "mlp":
        act = getattr(nn, allow.ACTIVATIONS[a["activation"]])
        width = _prod(sample_shape)
        layers: list[nn.Module] = [nn.Flatten()]
        for hidden in a["hidden"]:
            layers += [nn.Linear(width, int(hidden)), act()]
            if a["dropout"]:
                layers.append(nn.Dropout(float(a["dropout"])))
            width = int(hidden)
        layers.append(nn.Linear(width, out_size))
        return nn.Sequential(*layers)
    # small-cnn: two conv-relu-pool blocks, then a linear classifier
    if len(sample_shape) != 3:
        raise ModelError(
            f"small-cnn needs images shaped [channels, height, width]; this data set's samples "
            f"are {list(sample_shape)}"
        )
    c, h, w = sample_shape
    k = int(a["kernel_size"])
    layers = []
    for out_c in a["channels"]:
        layers += [nn.Conv2d(c, int(out_c), k, padding=k // 2), nn.ReLU(), nn.MaxPool2d(2)]
        c, h, w = int(out_c), h // 2, w // 2
    if h < 1 or w < 1:
        raise ModelError(f"small-cnn: {len(a['channels'])} pooling blocks shrink the image to 0")
    layers += [nn.Flatten(), nn.Linear(c * h * w, int(a["hidden"])), nn.ReLU()]
    layers.append(nn.Linear(int(a["hidden"]), out_size))
    return nn.Sequential(*layers)


def _prod(shape) -> int:
    n = 1
    for s in shape:
        n *= int(s)
    return n


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _shape(t: torch.Tensor) -> str:
    return "[" + ", ".join(str(s) for s in t.shape) + "]"


def check_shapes(model: nn.Sequential, X: torch.Tensor, y: torch.Tensor, loss: str, classes):
    """Run two samples through each layer in turn; name the first that does not fit."""
    out = X[:2]
    was_training = model.training
    model.eval()  # BatchNorm on two samples, Dropout off: the dry run changes nothing
    try:
        with torch.no_grad():
            for i, (name, layer) in enumerate(model.named_children(), start=1):
                label = f"layer {i} ({type(layer).__name__}{'' if name.isdigit() else ' ' + name})"
                try:
                    out = layer(out)
                except (RuntimeError, ValueError, TypeError, IndexError) as exc:
                    raise ModelError(
                        f"{label} cannot take input of shape {_shape(out)}: {_first_line(exc)}"
                    ) from None
    finally:
        model.train(was_training)
    _check_output(out, y[:2], loss, classes)


def _check_output(out: torch.Tensor, y: torch.Tensor, loss: str, classes) -> None:
    got = _shape(out)
    if loss == "cross_entropy":
        if out.ndim != 2 or out.shape[1] < (classes or 1):
            raise ModelError(
                f"the model outputs {got}, but cross_entropy on {classes} classes needs "
                f"[N, {classes}]: make the last layer output {classes}"
            )
    elif out.shape[1:] != y.shape[1:]:
        want = "[N, " + ", ".join(str(s) for s in y.shape[1:]) + "]"
        raise ModelError(
            f"the model outputs {got}, but the targets for {loss} are {want}: make the last "
            f"layer output {y.shape[1] if y.ndim == 2 else 'that shape'}"
        )


def output_size(y: torch.Tensor, loss: str, classes: int | None) -> int:
    """What a builder's last layer outputs: classes for cross_entropy, else the target width."""
    if loss == "cross_entropy":
        return int(classes or 2)
    return int(y.shape[1]) if y.ndim == 2 else 1


SUMMARY_HEADER = ("layer", "output", "params")
"""Short enough for the experiment screen's side panel (29 columns) with a CNN's rows."""
SUMMARY_NOTE = "output: shape for one sample"


def summary(model: nn.Module, X: torch.Tensor, device: torch.device) -> str:
    """The model as a beginner reads it: under a header, the input's shape, then a row per
    layer with its output's shape for one sample (no batch dimension) and its parameter count.
    torchinfo runs one sample through a copy; its text (or the model's repr) if that fails."""
    try:
        import copy

        from torchinfo import summary as info

        # On a copy: the summary's hooks and forward pass leave the model that trains untouched.
        twin = copy.deepcopy(model)
        sample = X[:1].to(device)
        stats = info(twin, input_data=sample, verbose=0, device=device, depth=3)
        rows = [("input", _per_sample(list(sample.shape)), "")]
        for layer in stats.summary_list:
            if layer.depth < 1:
                continue
            shape = _per_sample(layer.output_size) if layer.output_size else ""
            params = f"{layer.num_params:,}" if layer.is_leaf_layer else ""
            rows.append(("  " * (layer.depth - 1) + layer.class_name, shape, params))
        return summary_table(rows)
    except Exception:  # the summary is a nicety; never fail a run over it
        return repr(model)


def summary_table(rows: list[tuple[str, str, str]]) -> str:
    """`layer  output  params` over the rows, parameters aligned right, then what the shapes
    are."""
    table = [SUMMARY_HEADER, *rows]
    name_w, shape_w, params_w = (max(len(r[i]) for r in table) for i in range(3))
    lines = [f"{n:<{name_w}}  {s:<{shape_w}}  {p:>{params_w}}".rstrip() for n, s, p in table]
    return "\n".join([*lines, SUMMARY_NOTE])


def _per_sample(shape: list[int]) -> str:
    """`[16, 8, 8]`: a batch of one's shape without its batch dimension."""
    return "[" + ", ".join(str(s) for s in shape[1:]) + "]"


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
