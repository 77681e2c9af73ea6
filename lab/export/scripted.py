"""Provides the scripted experiments that train something, made standalone.

manual-gd, autograd, batch-modes, manual-vs-adam and covariate-shift are written out as their
code in lab/engine/scripted/ runs them (same data, same seeds, same order), minus the lab's
events; the other scripted experiments demonstrate rather than train and are refused by
`export_script`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lab.export import pieces

if TYPE_CHECKING:
    from lab.catalog.runspec import RunSpec
    from lab.catalog.schema import ScriptedSpec

HOW = "Run it with `python {name}`; it ends with the metrics of `lab run {experiment}`."


def script(run: RunSpec, spec: ScriptedSpec, filename: str) -> str:
    """The script for `run`, whose spec is `spec`, to be saved as `filename`."""
    experiment = run.experiment
    head = pieces.header(run, HOW.format(name=filename, experiment=experiment))
    body = BODIES[spec.name](spec.resolved_args())
    return f"{head}\n\n{body}"


def _manual_gd(a: dict[str, Any]) -> str:
    return f"""# --- settings ---
lr = {float(a["lr"])!r}
num_epochs = {int(a["epochs"])}
w = {float(a["w0"])!r}  # the starting guess

# --- data: y = 2x on three points; the model is y_hat = x * w ---
X = [1.0, 2.0, 3.0]
Y = [2.0, 4.0, 6.0]
n = len(X)

# --- gradient descent by hand ---
for epoch in range(1, num_epochs + 1):
    # forward and cost: the mean squared error
    cost = sum((x * w - y) ** 2 for x, y in zip(X, Y, strict=True)) / n
    # gradient of the cost with respect to w, worked out by hand: mean of 2x(xw - y)
    grad = sum(2 * x * (x * w - y) for x, y in zip(X, Y, strict=True)) / n
    # update
    w -= lr * grad
    # report
    print(f"epoch {{epoch}}: w={{w:.4f}} loss={{cost:.4g}}")

final = {{
    "w": w,
    "train_loss": sum((x * w - y) ** 2 for x, y in zip(X, Y, strict=True)) / n,
}}
print("  ".join(f"{{name}} {{value:.6f}}" for name, value in final.items()))
"""


def _autograd(a: dict[str, Any]) -> str:
    return f"""import torch

# --- settings ---
lr = {float(a["lr"])!r}
num_epochs = {int(a["epochs"])}

# --- data: y = 2x on three points; the model is y_hat = w * x + b ---
x = torch.tensor([1.0, 2.0, 3.0])
y = torch.tensor([2.0, 4.0, 6.0])
# requires_grad: autograd records every operation on w and b to differentiate them
w = torch.tensor([{float(a["w0"])!r}], requires_grad=True)
b = torch.tensor([{float(a["b0"])!r}], requires_grad=True)

for epoch in range(1, num_epochs + 1):
    # forward
    y_hat = w * x + b
    # loss
    loss = ((y_hat - y) ** 2).mean()
    # backward: autograd fills w.grad and b.grad
    loss.backward()
    if epoch == 1:
        print(
            f"after backward(): w.grad={{w.grad.item():.4f}} b.grad={{b.grad.item():.4f}}"
        )
    # update, outside the graph
    with torch.no_grad():
        w -= lr * w.grad
        b -= lr * b.grad
    # gradients add up unless cleared
    w.grad.zero_()
    b.grad.zero_()
    # report
    print(f"epoch {{epoch}}: w={{w.item():.4f}} b={{b.item():.4f}} loss={{loss.item():.4g}}")

with torch.no_grad():
    final = {{
        "w": w.item(),
        "b": b.item(),
        "train_loss": ((w * x + b - y) ** 2).mean().item(),
    }}
print("  ".join(f"{{name}} {{value:.6f}}" for name, value in final.items()))
"""


def _batch_modes(a: dict[str, Any]) -> str:
    return f"""import torch
from torch import nn

# --- settings ---
seed = {int(a["seed"])}
n = {int(a["n"])}
lr = {float(a["lr"])!r}
num_epochs = {int(a["epochs"])}
batch_size = {int(a["batch_size"])}

# --- data: n noisy points of y = 2x + 1, x in [-2, 2] ---
gen = torch.Generator().manual_seed(seed)  # the data and every shuffle come from it
X = torch.rand(n, 1, generator=gen) * 4 - 2  # [n, 1]
y = 2 * X + 1 + 0.3 * torch.randn(n, 1, generator=gen)  # [n, 1]

# --- three runs from the same start: the whole set, mini-batches, one example a step ---
modes = {{"full": n, "minibatch": batch_size, "stochastic": 1}}
models = {{}}
for mode in modes:
    torch.manual_seed(seed)  # the same starting weights for every mode
    models[mode] = nn.Linear(1, 1)
optimizers = {{
    mode: torch.optim.SGD(m.parameters(), lr=lr) for mode, m in models.items()
}}
loss_fn = nn.MSELoss()

losses = {{}}
for epoch in range(1, num_epochs + 1):
    for mode, size in modes.items():
        model, optimizer = models[mode], optimizers[mode]
        order = torch.randperm(n, generator=gen)
        for start in range(0, n, size):
            index = order[start : start + size]
            # forward, loss, backward, update
            loss = loss_fn(model(X[index]), y[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        # report: each mode's loss on the whole data set, so the three compare
        with torch.no_grad():
            losses[mode] = loss_fn(model(X), y).item()
    print(f"epoch {{epoch}}  " + "  ".join(f"{{m}} {{v:.4g}}" for m, v in losses.items()))

final = {{f"{{mode}}_loss": value for mode, value in losses.items()}}
final["train_loss"] = losses["minibatch"]
print("  ".join(f"{{name}} {{value:.6f}}" for name, value in final.items()))
"""


def _manual_vs_adam(a: dict[str, Any]) -> str:
    return f"""from collections import OrderedDict

import torch
from torch import nn

# --- settings ---
seed = {int(a["seed"])}
steps = {int(a["steps"])}
rates = {{"manual": {float(a["lr_manual"])!r}, "adam": {float(a["lr_adam"])!r}}}

# --- data: random inputs and targets ---
gen = torch.Generator().manual_seed(seed)
x = torch.randn(100, 1000, generator=gen)  # [batch_n, input_data]
y = torch.randn(100, 10, generator=gen)  # [batch_n, output_data]
loss_fn = nn.MSELoss()

final = {{}}
for series, lr in rates.items():
    torch.manual_seed(seed)  # both start from the same weights
    models = nn.Sequential(
        OrderedDict(
            [
                ("Line1", nn.Linear(1000, 100)),
                ("Relu1", nn.ReLU()),
                ("Line2", nn.Linear(100, 10)),
            ]
        )
    )
    optimizer = None  # the manual run updates the parameters itself
    if series == "adam":
        optimizer = torch.optim.Adam(models.parameters(), lr=lr)
    for _ in range(steps):
        # forward
        y_pred = models(x)
        # loss
        loss = loss_fn(y_pred, y)
        # backward
        models.zero_grad()
        loss.backward()
        # update: by hand, or by the optimizer
        if optimizer is None:
            with torch.no_grad():
                for param in models.parameters():
                    param -= param.grad * lr
        else:
            optimizer.step()
        final[f"{{series}}_loss"] = loss.item()
    print(f"{{series}}: loss after {{steps}} steps = {{final[f'{{series}}_loss']:.4f}}")

final["train_loss"] = final["adam_loss"]
print("  ".join(f"{{name}} {{value:.6f}}" for name, value in final.items()))
"""


def _covariate_shift(a: dict[str, Any]) -> str:
    return f"""import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn

# --- settings ---
seed = {int(a["seed"])}
pixels = {int(a["pixels"])}  # columns the test digits move to the right
hidden = {int(a["hidden"])}
lr = {float(a["lr"])!r}
num_epochs = {int(a["epochs"])}
batch_size = 32

# --- data: the digits, 85% to train on and 15% to test, stratified ---
digits = load_digits()
X_all = torch.from_numpy((digits.images / 16.0).astype(np.float32)[:, None, :, :])
y_all = torch.from_numpy(digits.target.astype(np.int64))
train_i, test_i = train_test_split(
    np.arange(len(y_all)), test_size=0.15, random_state=seed, stratify=digits.target
)
X_train, y_train = X_all[train_i], y_all[train_i]
X_test, y_test = X_all[test_i], y_all[test_i]


def shift_right(images, pixels):
    \"\"\"The images moved `pixels` columns right; the emptied columns are 0.\"\"\"
    out = torch.zeros_like(images)
    width = images.shape[-1]
    out[..., pixels:] = images[..., : width - pixels]
    return out


def accuracy(model, X, y):
    model.eval()
    with torch.no_grad():
        right = (model(X).argmax(dim=1) == y).float().mean().item()
    model.train()
    return right


X_moved = shift_right(X_test, pixels)  # the same test digits, moved

# --- model: an MLP trained on the digits as they are ---
torch.manual_seed(seed)
model = nn.Sequential(
    nn.Flatten(), nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, 10)
)
optimizer = torch.optim.Adam(model.parameters(), lr=lr)
loss_fn = nn.CrossEntropyLoss()
gen = torch.Generator().manual_seed(seed)
n = len(y_train)

for epoch in range(1, num_epochs + 1):
    order = torch.randperm(n, generator=gen)
    total = 0.0
    for start in range(0, n, batch_size):
        index = order[start : start + batch_size]
        loss = loss_fn(model(X_train[index]), y_train[index])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(index)
    final = {{
        "train_loss": total / n,
        "test_accuracy": accuracy(model, X_test, y_test),
        "shifted_accuracy": accuracy(model, X_moved, y_test),
    }}
    final["accuracy_drop"] = final["test_accuracy"] - final["shifted_accuracy"]
    print(
        f"epoch {{epoch}}: test accuracy {{final['test_accuracy']:.1%}} as they are, "
        f"{{final['shifted_accuracy']:.1%}} moved {{pixels}} px"
    )

print("  ".join(f"{{name}} {{value:.6f}}" for name, value in final.items()))
"""


BODIES = {
    "manual-gd": _manual_gd,
    "autograd": _autograd,
    "batch-modes": _batch_modes,
    "manual-vs-adam": _manual_vs_adam,
    "covariate-shift": _covariate_shift,
}
