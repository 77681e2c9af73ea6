"""Provides scripted experiments about data: dataloader-shapes and stratified-split."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from lab.engine.datasets import Arrays, load_arrays
from lab.engine.events import Log, Progress
from lab.engine.scripted.base import Context, Script


def _arrays(name: str, seed: int, ctx: Context) -> Arrays:
    run = ctx.run
    return load_arrays(name, {}, seed, lesson_dir=Path(run.lesson_dir), data_roots=run.data_roots())


def dataloader_shapes(args: dict[str, Any], ctx: Context) -> Script:
    """Iterate a real Dataset/DataLoader and say the shape of every batch."""
    seed, batch_size = int(args["seed"]), int(args["batch_size"])
    arrays = _arrays(str(args["dataset"]), seed, ctx)
    X, y = torch.from_numpy(arrays.X), torch.from_numpy(np.asarray(arrays.y))
    if ctx.smoke:
        X, y = X[:64], y[:64]
    dataset = torch.utils.data.TensorDataset(X, y)
    loader = torch.utils.data.DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=bool(args["shuffle"]),
        generator=torch.Generator().manual_seed(seed),
    )
    yield Log(
        f"len(dataset) = {len(dataset)}; batch_size = {batch_size}; len(loader) = {len(loader)}"
    )
    batches = 0
    for batches, (X_batch, y_batch) in enumerate(loader, start=1):
        ctx.before_update()
        if batches <= 3 or batches == len(loader):
            yield Log(
                f"batch {batches}: X {list(X_batch.shape)} {X_batch.dtype}, "
                f"y {list(y_batch.shape)} {y_batch.dtype}"
            )
        elif batches == 4:
            yield Log("...")
        yield Progress(1, batches, float(len(X_batch)), 0.0, series="batch_size")
    last = len(dataset) - (batches - 1) * batch_size
    if last != batch_size:
        yield Log(f"the last batch is smaller: {last} samples (drop_last=True would skip it)")
    return {"batches": float(batches), "batch_size": float(batch_size), "samples": float(len(X))}


def stratified_split(args: dict[str, Any], ctx: Context) -> Script:
    """Split with and without stratification; how far each split's class shares drift."""
    from sklearn.model_selection import train_test_split

    seed, val, test = int(args["seed"]), float(args["val"]), float(args["test"])
    arrays = _arrays(str(args["dataset"]), seed, ctx)
    y = np.asarray(arrays.y)
    if y.dtype.kind == "f":
        raise ValueError(f"{args['dataset']} has no classes to stratify")
    classes = np.unique(y)
    overall = np.array([(y == c).mean() for c in classes])
    index = np.arange(len(y))
    gaps = {}
    for step, (mode, stratify) in enumerate((("stratified", True), ("random", False)), start=1):
        ctx.before_update()
        rest, test_i = train_test_split(
            index, test_size=test, random_state=seed, stratify=y if stratify else None
        )
        train_i, val_i = train_test_split(
            rest,
            test_size=val / (1 - test),
            random_state=seed,
            stratify=y[rest] if stratify else None,
        )
        worst = 0.0
        for split, part in (("train", train_i), ("val", val_i), ("test", test_i)):
            shares = np.array([(y[part] == c).mean() for c in classes])
            gap = float(np.abs(shares - overall).max())
            worst = max(worst, gap)
            yield Log(
                f"{mode:10s} {split:5s} {len(part):5d} samples, largest class-share gap {gap:.2%}"
            )
        gaps[mode] = worst
        yield Progress(1, step, worst, 0.0, series=mode)
    return {"max_gap_stratified": gaps["stratified"], "max_gap_random": gaps["random"]}
