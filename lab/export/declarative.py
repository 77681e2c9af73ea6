"""Provides `train_script`: a declarative experiment as one plain, single-process script.

The loop is the engine's loop (lab/engine/loop.py) without the lab around it: the same batch
order (one seeded generator, `randperm` each epoch, or torch's DataLoader), the same steps, the
same per-epoch metrics and early stopping, the same evaluation at the end.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lab.export import pieces
from lab.export.divergence import divergence_code
from lab.export.pieces import Imports

if TYPE_CHECKING:
    from lab.catalog.runspec import RunSpec
    from lab.catalog.schema import TrainSpec


def train_script(run: RunSpec, spec: TrainSpec, filename: str) -> str:
    """The script for `run`, whose spec is `spec`, to be saved as `filename`."""
    imports = Imports()
    imports.add("torch")
    experiment = run.experiment
    head = pieces.header(
        run,
        f"Run it with `python {filename}`. On the CPU it ends with the\n"
        f"same metrics as `lab run {experiment}` with the same settings.",
    )
    data = pieces.data_code(run, spec, imports)
    model = pieces.model_code(spec, imports)
    loop = _loop(spec, imports)
    dataloader = spec.loader == "dataloader"
    parts = [
        head,
        imports.text(),
        pieces.settings_code(spec),
        "# --- data ---\n" + data,
        "# --- model, loss, optimizer ---\n" + model,
        pieces.device_code(spec),
        (
            "splits_on_cpu = dict(splits)  # the DataLoader batches from these\n"
            if dataloader
            else ""
        )
        + "model.to(device)\n"
        "splits = {name: (X.to(device), y.to(device)) for name, (X, y) in splits.items()}\n"
        'X_train, y_train = splits["train"]\n' + pieces.loss_code(spec),
        pieces.optimizer_code(spec),
        pieces.schedule_code(spec),
        pieces.evaluate_code(),
        loop,
    ]
    return "\n\n".join(p for p in parts if p) + "\n"


def _loop(spec: TrainSpec, imports: Imports) -> str:
    shuffle = spec.shuffle
    dataloader = spec.loader == "dataloader"
    stopping = spec.early_stopping
    splits = pieces.splits_of(spec)
    watched = "val_loss" if "val" in splits else "train_loss"
    classify = spec.classification
    imports.add("math")

    if dataloader:
        imports.add("torch.utils.data", "DataLoader")
        imports.add("torch.utils.data", "TensorDataset")
        setup = (
            "# torch's DataLoader shuffles with its own seeded generator\n"
            "shuffle_gen = torch.Generator().manual_seed(seed)\n"
            "train_loader = DataLoader(\n"
            '    TensorDataset(*splits_on_cpu["train"]),\n'
            "    batch_size=batch_size,\n"
            f"    shuffle={shuffle},\n"
            "    generator=shuffle_gen,\n"
            ")"
        )
        batches = (
            "    for X, y in train_loader:\n"
            "        X, y = X.to(device), y.to(device)  # X: [batch, *sample], y: [batch]\n"
        )
    elif shuffle:
        setup = "shuffle_gen = torch.Generator().manual_seed(seed)  # the batch order's own stream"
        batches = (
            "    order = torch.randperm(len(X_train), generator=shuffle_gen).to(device)\n"
            "    for start in range(0, len(X_train), batch_size):\n"
            "        index = order[start : start + batch_size]\n"
            "        X, y = X_train[index], y_train[index]  # X: [batch, *sample], y: [batch]\n"
        )
    else:
        setup = ""
        batches = (
            "    for start in range(0, len(X_train), batch_size):\n"
            "        X = X_train[start : start + batch_size]  # [batch, *sample]\n"
            "        y = y_train[start : start + batch_size]\n"
        )
    step = (
        "        # forward\n"
        "        y_hat = model(X)\n"
        "        # loss\n"
        "        loss = loss_fn(y_hat, y)\n"
        "        # backward\n"
        "        optimizer.zero_grad(set_to_none=True)\n"
        "        loss.backward()\n"
        "        # update\n"
        "        optimizer.step()\n"
        "        # report\n"
        "        step += 1\n"
        "        if watch.diverged(loss.item()):  # the lab stops a run here\n"
        '            lr_now = optimizer.param_groups[0]["lr"]\n'
        "            reason = diverged_reason(loss.item(), step, lr_now)\n"
        '            raise SystemExit(f"diverged: {reason}")\n'
        "        epoch_loss += loss.item() * len(X)  # a short last batch weighs what it holds\n"
        "        epoch_samples += len(X)\n"
    )
    epoch_end = (
        "    # the mean loss over the epoch's samples, measured while the weights changed, in\n"
        "    # train mode (dropout on); the end measures the finished model in eval mode\n"
        '    metrics = {"train_loss": epoch_loss / epoch_samples}\n'
        '    if watch.rose(metrics["train_loss"]):  # the loss climbs instead of falling\n'
        '        print(f"epoch {epoch}/{num_epochs}  {show(metrics)}")\n'
        '        lr_now = optimizer.param_groups[0]["lr"]\n'
        '        reason = rose_reason(watch.first, metrics["train_loss"], epoch, lr_now)\n'
        '        raise SystemExit(f"diverged: {reason}")\n'
    )
    if "val" in splits:
        target = 'metrics["val_loss"], ' + ('metrics["val_accuracy"]' if classify else "_")
        epoch_end += pieces.evaluate_line(target, '*splits["val"]', 4)
    epoch_end += '    print(f"epoch {epoch}/{num_epochs}  {show(metrics)}")\n'
    if spec.schedule:
        epoch_end += "    schedule.step()\n"
    if stopping:
        epoch_end += (
            f"    # early stopping on the {watched.replace('_', ' ')}\n"
            f'    if metrics["{watched}"] < best_loss - min_delta:\n'
            f'        best_loss, best_epoch = metrics["{watched}"], epoch\n'
            "        best_state = copy.deepcopy(model.state_dict())\n"
            "    elif epoch - best_epoch >= patience:\n"
            '        print(f"early stopping at epoch {epoch}: no better than epoch {best_epoch}")\n'
            "        break\n"
        )
    imports.add("copy")
    start = "step = 0\n"
    if stopping:
        start += "best_loss, best_epoch, best_state = math.inf, 0, None\n"
    show = (
        "def show(metrics):\n"
        '    """Metrics as `lab run` prints them: accuracies in %, the rest to 4 digits."""\n'
        '    return "  ".join(\n'
        '        f"{k} {v:.1%}" if "accuracy" in k else f"{k} {v:.4g}"\n'
        "        for k, v in metrics.items()\n"
        "    )"
    )
    final = pieces.restore_code(spec) + (
        "# --- the trained model on every split ---\n"
        "final = {}\n"
        "for name, (X, y) in splits.items():\n"
    )
    target = 'final[f"{name}_loss"], ' + ('final[f"{name}_accuracy"]' if classify else "_")
    final += pieces.evaluate_line(target, "X, y", 4)
    final += (
        "print(f\"completed: trained {epoch} epoch{'s' if epoch != 1 else ''}\")\n"
        'print("  ".join(f"{name} {value:.6f}" for name, value in final.items()))'
    )
    return (f"{setup}\n\n\n" if setup else "") + (
        f"{show}\n\n\n{divergence_code()}\n\n\n"
        "# --- training ---\n"
        "# the loss at the start, on a copy (its draws must not shift the training's stream)\n"
        "watch = DivergenceWatch(start_loss(model, X_train, y_train, loss_fn, seed))\n"
        "torch.manual_seed(seed)  # draws while training (dropout) start from the seed too\n"
        f"{start}"
        "for epoch in range(1, num_epochs + 1):\n"
        "    model.train()\n"
        "    epoch_loss, epoch_samples = 0.0, 0\n"
        f"{batches}{step}{epoch_end}\n"
        f"{final}"
    )
