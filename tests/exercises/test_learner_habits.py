"""Files in the style real learners write them (homework of the Liu Er course, d2l followers,
the EarlyStopping classes everyone copies): the checker must reject each wrong one, accept each
right one, and name a known mistake in the learner's words."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.exercises.conftest import exercise

WRONG_ACCEPTS = {
    "ex-stratified-split": {
        "never shuffles": (
            "import numpy as np\n"
            "\n"
            "def split(y, val, test, seed):\n"
            "    train_idx, val_idx, test_idx = [], [], []\n"
            "    for c in np.unique(y):\n"
            "        idx = np.where(y == c)[0]  # indexes of this class\n"
            "        n_val = round(len(idx) * val)\n"
            "        n_test = round(len(idx) * test)\n"
            "        val_idx.extend(idx[:n_val])\n"
            "        test_idx.extend(idx[n_val:n_val + n_test])\n"
            "        train_idx.extend(idx[n_val + n_test:])\n"
            "    return np.array(train_idx), np.array(val_idx), np.array(test_idx)\n"
        ),
        "ignores its seed": (
            "import numpy as np\n"
            "\n"
            "def split(y, val, test, seed):\n"
            "    rng = np.random.default_rng()\n"
            "    parts = [[], [], []]\n"
            "    for c in np.unique(y):\n"
            "        idx = np.flatnonzero(y == c)\n"
            "        rng.shuffle(idx)\n"
            "        n_val, n_test = round(len(idx) * val), round(len(idx) * test)\n"
            "        parts[1] += list(idx[:n_val])\n"
            "        parts[2] += list(idx[n_val:n_val + n_test])\n"
            "        parts[0] += list(idx[n_val + n_test:])\n"
            "    return tuple(np.array(p, dtype=int) for p in parts)\n"
        ),
        "rounds the training part down and gives the test part the rest": (
            "import numpy as np\n"
            "\n"
            "def split(y, val, test, seed):\n"
            "    rng = np.random.default_rng(seed)\n"
            "    train, valid, tst = [], [], []\n"
            "    for label in np.unique(y):\n"
            "        idx = rng.permutation(np.where(y == label)[0])\n"
            "        n_train = int(len(idx) * (1 - val - test))\n"
            "        n_val = int(len(idx) * val)\n"
            "        train.append(idx[:n_train])\n"
            "        valid.append(idx[n_train:n_train + n_val])\n"
            "        tst.append(idx[n_train + n_val:])\n"
            "    return np.concatenate(train), np.concatenate(valid), np.concatenate(tst)\n"
        ),
    },
    "ex-dataset": {
        "labels turned into floats": (
            "import torch\n"
            "from torch.utils.data import Dataset\n"
            "\n"
            "class PairsDataset(Dataset):\n"
            "    def __init__(self, X, y):\n"
            "        self.x_data = X\n"
            "        self.y_data = y.float()\n"
            "        self.len = X.shape[0]\n"
            "\n"
            "    def __getitem__(self, index):\n"
            "        return self.x_data[index], self.y_data[index]\n"
            "\n"
            "    def __len__(self):\n"
            "        return self.len\n"
        ),
    },
    "ex-early-stopper": {
        "ignores small improvements": (
            "class EarlyStopper:\n"
            "    def __init__(self, patience, min_delta=0.001):\n"
            "        self.patience = patience\n"
            "        self.min_delta = min_delta\n"
            "        self.counter = 0\n"
            "        self.best = float('inf')\n"
            "\n"
            "    def step(self, val_loss):\n"
            "        if val_loss < self.best - self.min_delta:\n"
            "            self.best = val_loss\n"
            "            self.counter = 0\n"
            "        else:\n"
            "            self.counter += 1\n"
            "        return self.counter >= self.patience\n"
        ),
    },
}

RIGHT = {
    "ex-early-stopper": {
        "a stop flag that stays True once set": (
            "class EarlyStopper:\n"
            "    def __init__(self, patience):\n"
            "        self.patience = patience\n"
            "        self.counter = 0\n"
            "        self.best = float('inf')\n"
            "        self.early_stop = False\n"
            "\n"
            "    def step(self, val_loss):\n"
            "        if val_loss < self.best:\n"
            "            self.best = val_loss\n"
            "            self.counter = 0\n"
            "        else:\n"
            "            self.counter += 1\n"
            "            if self.counter >= self.patience:\n"
            "                self.early_stop = True\n"
            "        return self.early_stop\n"
        ),
    },
    "ex-stratified-split": {
        "np.random.seed and the global generator": (
            "import numpy as np\n"
            "\n"
            "def split(y, val, test, seed):\n"
            "    np.random.seed(seed)\n"
            "    tr, va, te = [], [], []\n"
            "    for c in np.unique(y):\n"
            "        idx = np.random.permutation(np.where(y == c)[0])\n"
            "        a = int(np.floor(len(idx) * val))\n"
            "        b = a + int(np.ceil(len(idx) * test))\n"
            "        va += idx[:a].tolist()\n"
            "        te += idx[a:b].tolist()\n"
            "        tr += idx[b:].tolist()\n"
            "    return np.array(tr), np.array(va), np.array(te)\n"
        ),
    },
    "ex-dataset": {
        "the Liu Er style with x_data and y_data": (
            "import torch\n"
            "from torch.utils.data import Dataset\n"
            "\n"
            "class PairsDataset(Dataset):\n"
            "    def __init__(self, X, y):\n"
            "        self.x_data = X\n"
            "        self.y_data = y\n"
            "        self.len = X.shape[0]\n"
            "\n"
            "    def __getitem__(self, index):\n"
            "        return self.x_data[index], self.y_data[index]\n"
            "\n"
            "    def __len__(self):\n"
            "        return self.len\n"
        ),
    },
}


def check(exercise_id: str, source: str, checker):
    return checker.check(exercise(exercise_id), Path("mine.py"), source)


@pytest.mark.parametrize(
    ("exercise_id", "mistake"), [(k, m) for k, v in WRONG_ACCEPTS.items() for m in v]
)
def test_a_wrong_file_once_accepted_is_rejected(checker, exercise_id, mistake):
    result = check(exercise_id, WRONG_ACCEPTS[exercise_id][mistake], checker)
    assert result.error is None, result.error
    assert not result.passed, mistake
    assert all(c.message for c in result.failed_checks)


@pytest.mark.parametrize(("exercise_id", "style"), [(k, m) for k, v in RIGHT.items() for m in v])
def test_a_right_file_in_a_learners_style_passes(checker, exercise_id, style):
    result = check(exercise_id, RIGHT[exercise_id][style], checker)
    assert result.passed, [c.message for c in result.failed_checks] or result.error
