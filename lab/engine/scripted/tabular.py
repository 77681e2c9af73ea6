"""Provides the scripted experiment about tabular data, tabular-prep, and the generated house
sales it trains on (the rows of lessons/data/houses_train.csv and houses_test.csv)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from lab.engine.divergence import DivergenceWatch
from lab.engine.events import EpochEnd, Log, Progress
from lab.engine.scripted.base import Context, Script, ScriptError, train_epoch

COLUMNS = ("area", "rooms", "neighbourhood", "year_built", "price")
NUMERIC = ("area", "rooms", "year_built")
NEIGHBOURHOODS = {"centre": 1.8, "outskirts": 0.7, "riverside": 1.3, "suburbs": 1.0}
"""Each neighbourhood's price factor; in alphabetical order, as integer codes would number them."""
TRAIN_ROWS, TEST_ROWS = 300, 100


def houses(n: int, seed: int) -> list[dict[str, str]]:
    """`n` generated house sales as a CSV reader gives them (text, "" where a value is
    missing): the price, in thousands, is a product of the area, the neighbourhood, the rooms
    and the age, times noise of about 10 %; old houses' years are more often unknown."""
    rng = np.random.RandomState(seed)
    names = sorted(NEIGHBOURHOODS)
    rows = []
    for _ in range(n):
        area = float(np.clip(rng.lognormal(np.log(95), 0.35), 30, 320))
        rooms = int(np.clip(round(area / 28 + rng.normal(0, 0.7)), 1, 9))
        where = names[rng.choice(len(names), p=[0.2, 0.25, 0.2, 0.35])]
        year = int(rng.randint(1890, 2024))
        price = (
            3.0
            * area**0.9
            * NEIGHBOURHOODS[where]
            * 1.04 ** (rooms - area / 28)
            * np.exp(0.005 * (year - 1960))
            * np.exp(rng.normal(0, 0.1))
        )
        row = {
            "area": f"{area:.0f}",
            "rooms": str(rooms),
            "neighbourhood": where,
            "year_built": str(year),
            "price": f"{price:.1f}",
        }
        if rng.rand() < 0.08:
            row["area"] = ""
        if rng.rand() < 0.05:
            row["neighbourhood"] = ""
        if rng.rand() < (0.45 if year < 1950 else 0.1):
            row["year_built"] = ""
        rows.append(row)
    return rows


def house_sets() -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The training and test rows of the CSV files."""
    rows = houses(TRAIN_ROWS + TEST_ROWS, seed=0)
    return rows[:TRAIN_ROWS], rows[TRAIN_ROWS:]


def _numbers(rows: list[dict[str, str]], column: str) -> np.ndarray:
    """A column as floats, NaN where the value is missing."""
    return np.array([float(r[column]) if r[column] else np.nan for r in rows])


STEPS = ("impute", "one-hot", "standardise")
"""The preparations of the features; the raw series skips them all, the prepared one all but
the experiment's `skip` (which may also be `log-target`)."""


class Preparation:
    """What is learnt from the training rows (means, standard deviations, categories) and
    applied unchanged to any other row; a skipped step is done the raw way instead."""

    def __init__(self, train: list[dict[str, str]], skip: tuple[str, ...] = ()):
        self.skip = skip
        numeric = np.stack([_numbers(train, c) for c in NUMERIC], axis=1)
        self.fill = np.nanmean(numeric, axis=0) if "impute" not in skip else np.zeros(3)
        self.categories = sorted({r["neighbourhood"] for r in train})  # "" is one: unknown
        # the statistics of the imputed training columns, as they will be fed in
        filled = np.where(np.isnan(numeric), self.fill, numeric)
        self.mean, self.std = filled.mean(axis=0), filled.std(axis=0)
        self.std[self.std == 0] = 1.0  # a constant column: centred to 0, not divided by 0
        self.flagged = np.isnan(numeric).any(axis=0)  # columns with a value missing
        if "standardise" in skip:
            self.mean, self.std = np.zeros(3), np.ones(3)

    def features(self, rows: list[dict[str, str]]) -> np.ndarray:
        numeric = np.stack([_numbers(rows, c) for c in NUMERIC], axis=1)
        missing = np.isnan(numeric)
        columns = [(np.where(missing, self.fill, numeric) - self.mean) / self.std]
        if "impute" not in self.skip:  # a column that says where a value was missing
            columns.append(missing[:, self.flagged].astype(float))
        if "one-hot" in self.skip:  # the alphabetical code; an unknown one becomes 0
            codes = {name: i for i, name in enumerate(sorted(NEIGHBOURHOODS))}
            columns.append(np.array([[codes.get(r["neighbourhood"], 0)] for r in rows]))
        else:
            columns.append(
                np.array([[float(r["neighbourhood"] == c) for c in self.categories] for r in rows])
            )
        return np.concatenate(columns, axis=1)


def relative_error(predicted: np.ndarray, price: np.ndarray) -> float:
    """The mean of |predicted - price| / price."""
    return float(np.mean(np.abs(predicted - price) / price))


def tabular_prep(args: dict[str, Any], ctx: Context) -> Script:
    """The same small network on the house sales, fed the raw columns and then prepared ones;
    the test error of each, relative to the price."""
    seed, lr = int(args["seed"]), float(args["lr"])
    epochs, batch_size = ctx.limit(args["epochs"], smoke_n=2), int(args["batch_size"])
    skip = str(args["skip"])
    if skip not in ("none", *STEPS, "log-target"):
        raise ScriptError(f"skip is one of none, {', '.join(STEPS)}, log-target, not {skip!r}")
    train, test = house_sets()
    price = {"train": _numbers(train, "price"), "test": _numbers(test, "price")}
    raw, prepared = Preparation(train, skip=STEPS), Preparation(train, skip=(skip,))
    inputs = {
        "raw": (raw.features(train), raw.features(test)),
        "prepared": (prepared.features(train), prepared.features(test)),
    }
    yield Log(
        f"{len(train)} training and {len(test)} test houses (generated); "
        f"raw: {inputs['raw'][0].shape[1]} columns, prepared: {inputs['prepared'][0].shape[1]}"
        + (f" (skipping {skip})" if skip != "none" else "")
    )
    errors = {}
    for series, (X_train, X_test) in inputs.items():
        # the prepared series learns log(1 + price), and its predictions are turned back
        log = series == "prepared" and skip != "log-target"
        target = np.log1p(price["train"]) if log else price["train"]
        X = torch.tensor(X_train, dtype=torch.float32)
        y = torch.tensor(target, dtype=torch.float32).unsqueeze(1)  # [n, 1]
        X_new = torch.tensor(X_test, dtype=torch.float32)
        torch.manual_seed(seed)
        model = nn.Sequential(nn.Linear(X.shape[1], 32), nn.ReLU(), nn.Linear(32, 1))
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        loss_fn = nn.MSELoss()
        gen = torch.Generator().manual_seed(seed)
        watch, what = DivergenceWatch(), f"the {series} loss"
        for epoch in range(1, epochs + 1):
            data = (X, y, torch.randperm(len(X), generator=gen))
            train_epoch(ctx, model, optimizer, loss_fn, data, batch_size, epoch, watch, lr, what)
            with torch.no_grad():
                predicted = model(X_new).squeeze(1).double().numpy()
            if log:
                predicted = np.expm1(predicted)
            errors[series] = relative_error(predicted, price["test"])
            ctx.metrics[f"{series}_error"] = errors[series]
            yield Progress(epoch, epoch, errors[series], 0.0, series=series)
            ctx.epoch_done()
        yield Log(f"{series}: test error {errors[series]:.1%} of the price")
    yield EpochEnd(epochs, {f"{s}_error": e for s, e in errors.items()})
    return {f"{s}_error": e for s, e in errors.items()}
