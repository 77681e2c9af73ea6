"""Each data set loads tiny and shaped for its loss; splits, normalisation, CSV and downloads."""

from __future__ import annotations

import pickle
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from lab.catalog import allowlists as allow
from lab.engine.datasets import DataError, load_arrays, load_data
from tests.engine.conftest import train_run


def _data(dataset: dict, loss: str = "cross_entropy", **kw):
    spec = {
        "dataset": dataset,
        "model": {"builder": "mlp"},
        "loss": loss,
        "seed": 0,
    }
    return load_data(train_run(spec, **kw), loss)


@pytest.mark.parametrize("name", sorted(allow.SYNTHETIC_DATASETS))
def test_each_synthetic_set_is_generated_from_the_seed(name):
    a = load_arrays(name, {}, seed=3)
    b = load_arrays(name, {}, seed=3)
    assert a.X.dtype == np.float32 and len(a.X) == len(a.y) > 0
    assert np.array_equal(a.X, b.X) and np.array_equal(a.y, b.y)


def test_the_notes_tiny_set_and_note_003_random_regression():
    tiny = load_arrays("linear-tiny", {}, seed=0)
    assert tiny.X[:, 0].tolist() == [1, 2, 3] and tiny.y.tolist() == [2, 4, 6]
    rr = load_arrays("random-regression", {}, seed=0)
    assert rr.X.shape == (100, 1000) and rr.y.shape == (100, 10)


def test_synthetic_arguments_are_checked():
    assert len(load_arrays("moons", {"n": 50}, seed=0).X) == 50
    with pytest.raises(DataError, match="moons takes no argument 'size'"):
        load_arrays("moons", {"size": 3}, seed=0)


def test_digits_are_images_split_stratified_and_typed_for_the_loss():
    data = _data({"name": "digits"})
    assert data.X_train.shape[1:] == (1, 8, 8) and data.X_train.dtype == torch.float32
    assert data.y_train.dtype == torch.int64 and data.num_classes == 10
    total = len(data.X_train) + len(data.X_val) + len(data.X_test)
    assert total == 1797 and abs(len(data.X_test) - 0.15 * 1797) < 2
    shares = torch.bincount(data.y_val, minlength=10).float() / len(data.y_val)
    overall = torch.bincount(data.y_train, minlength=10).float() / len(data.y_train)
    assert (shares - overall).abs().max() < 0.02  # stratified


def test_targets_follow_the_loss():
    bce = _data({"name": "moons"}, loss="bce_with_logits")
    assert bce.y_train.dtype == torch.float32 and bce.y_train.shape[1:] == (1,)
    mse = _data({"name": "linear", "split": {"val": 0, "test": 0}}, loss="mse")
    assert mse.y_train.shape == (100, 1) and mse.X_val is None and mse.X_test is None
    with pytest.raises(DataError, match="use cross_entropy"):
        _data({"name": "digits"}, loss="bce")


def test_normalisation_is_fitted_on_the_training_part_only():
    data = _data({"name": "moons", "normalize": "standard"})
    assert torch.allclose(data.X_train.mean(0), torch.zeros(2), atol=1e-5)
    assert not torch.allclose(data.X_val.mean(0), torch.zeros(2), atol=1e-5)
    mm = _data({"name": "moons", "normalize": "minmax"})
    assert mm.X_train.min() == 0 and mm.X_train.max() == 1


def test_subset_and_smoke_keep_few_samples():
    data = _data({"name": "digits", "subset": 200})
    assert len(data.X_train) + len(data.X_val) + len(data.X_test) == 200


# --- CSV ---------------------------------------------------------------------------------------


def _write(folder: Path, name: str, text: str) -> str:
    (folder / name).write_text(text)
    return name


def test_csv_with_a_train_and_a_test_file(tmp_path):
    train = _write(
        tmp_path, "train.csv", "a,b,label\n1,2,cat\n2,3,dog\n3,4,cat\n4,5,dog\n5,6,cat\n"
    )
    test = _write(tmp_path, "test.csv", "a,b,label\n1,1,dog\n2,2,cat\n")
    ds = {
        "name": "csv",
        "args": {"train": train, "test": test, "label": "label"},
        "split": {"val": 0.2, "test": 0.2},
    }
    data = _data(ds, lesson_dir=tmp_path)
    assert data.X_train.shape[1] == 2 and data.num_classes == 2
    assert data.y_test.tolist() == [1, 0]  # cat=0, dog=1, as sorted


@pytest.mark.parametrize(
    ("text", "args", "message"),
    [
        ("a,y\n1,\n2,1\n", {}, "train.csv:2: column 'y' has a missing value"),
        ("a,y\nx,0\n2,1\n", {}, "train.csv:2: column 'a' holds 'x', not a number"),
        ("a,y\n1,0\n2,1\n", {"label": "z"}, "no column 'z'; columns: a, y"),
        ("a,y\n1,0\n2,0\n3,0\n", {}, "has only one class"),
        ("a,y\n1,0\n", {"train": "nope.csv"}, "no file nope.csv"),
        ("a,y\n1,0\n", {"train": "../outside.csv"}, "outside the lesson's folder"),
    ],
)
def test_csv_problems_are_one_line_before_training(tmp_path, text, args, message):
    _write(tmp_path, "train.csv", text)
    ds = {"name": "csv", "args": {"train": "train.csv", "label": "y", **args}}
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _data(ds, lesson_dir=tmp_path)


# --- torchvision's own on-disk formats, loaded by its real loaders -----------------------------


def _idx(path: Path, array: np.ndarray) -> None:
    magic = 0x0801 if array.ndim == 1 else 0x0803
    header = struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def write_mnist(root: Path, folder: str = "MNIST", n: int = 20) -> None:
    raw = root / folder / "raw"
    raw.mkdir(parents=True)
    rng = np.random.RandomState(0)
    for prefix, count in (("train", n), ("t10k", n // 2)):
        _idx(raw / f"{prefix}-images-idx3-ubyte", rng.randint(0, 256, (count, 28, 28)))
        _idx(raw / f"{prefix}-labels-idx1-ubyte", np.arange(count) % 10)


def write_cifar(root: Path, n: int = 10) -> None:
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.RandomState(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {"data": rng.randint(0, 256, (n, 3072)).astype(np.uint8), "labels": list(range(n))}
        (folder / name).write_bytes(pickle.dumps(batch))
    meta = {"label_names": [f"class{i}" for i in range(10)]}
    (folder / "batches.meta").write_bytes(pickle.dumps(meta))


@pytest.mark.parametrize(
    ("name", "folder"), [("mnist", "MNIST"), ("fashion-mnist", "FashionMNIST")]
)
def test_mnist_style_sets_load_from_the_cache(tmp_path, name, folder):
    write_mnist(tmp_path / "cache", folder)
    data = _data({"name": name, "split": {"val": 0.2}}, data_cache=tmp_path / "cache")
    assert (
        data.X_train.shape[1:] == (1, 28, 28) and 0 <= data.X_train.min() < data.X_train.max() <= 1
    )
    assert len(data.X_test) == 10  # the official test part
    assert len(data.X_train) + len(data.X_val) == 20


def test_the_shared_folder_comes_before_the_cache(tmp_path):
    write_mnist(tmp_path / "shared", n=30)
    data = _data({"name": "mnist"}, data_cache=tmp_path / "cache", data_shared=tmp_path / "shared")
    assert len(data.X_test) == 15


def test_cifar10_loads_from_its_python_batches(tmp_path, monkeypatch):
    import torchvision.datasets.cifar

    # The real files are checked against torchvision's MD5 list; ours are made up.
    monkeypatch.setattr(torchvision.datasets.cifar, "check_integrity", lambda *a, **k: True)
    write_cifar(tmp_path)
    data = _data({"name": "cifar10", "split": {"val": 0.1}}, data_cache=tmp_path)
    assert data.X_train.shape[1:] == (3, 32, 32)
    assert len(data.X_train) + len(data.X_val) == 50 and len(data.X_test) == 10


def test_a_missing_download_names_the_set_the_fetch_and_the_offline_choice(tmp_path):
    with pytest.raises(DataError) as err:
        _data({"name": "fashion-mnist"}, data_cache=tmp_path)
    message = str(err.value)
    assert "Fashion-MNIST" in message and "lab data fetch fashion-mnist" in message
    assert "digits" in message and "\n" not in message
