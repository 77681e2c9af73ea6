"""Files in the style real learners write them (homework of the Liu Er course, d2l followers,
the EarlyStopping classes everyone copies): the checker must reject each wrong one, accept each
right one, and name a known mistake in the learner's words."""

from __future__ import annotations

import pytest

from tests.exercises.conftest import check_source

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


@pytest.mark.parametrize(
    ("exercise_id", "mistake"), [(k, m) for k, v in WRONG_ACCEPTS.items() for m in v]
)
def test_a_wrong_file_once_accepted_is_rejected(checker, exercise_id, mistake):
    result = check_source(checker, exercise_id, WRONG_ACCEPTS[exercise_id][mistake])
    assert result.error is None, result.error
    assert not result.passed, mistake
    assert all(c.message for c in result.failed_checks)


@pytest.mark.parametrize(("exercise_id", "style"), [(k, m) for k, v in RIGHT.items() for m in v])
def test_a_right_file_in_a_learners_style_passes(checker, exercise_id, style):
    result = check_source(checker, exercise_id, RIGHT[exercise_id][style])
    assert result.passed, [c.message for c in result.failed_checks] or result.error


HABITS = {
    "MSELoss(reduction='sum') in mse": (
        "ex-mse",
        "import torch\n"
        "\n"
        "def mse(y_hat, y):\n"
        "    loss = torch.nn.MSELoss(reduction='sum')  # noqa: the task forbids it; it is caught\n"
        "    return ((y_hat - y) ** 2).sum()\n",
        "your result is exactly 2 times the expected one: you added up the squared differences",
    ),
    "size_average=False in the training loop": (
        "ex-train-loop",
        "import torch\n"
        "from torch import nn\n"
        "\n"
        "def fit(model, X, y, epochs, lr):\n"
        "    criterion = nn.MSELoss(size_average=False)\n"
        "    optimizer = torch.optim.SGD(model.parameters(), lr=lr)\n"
        "    losses = []\n"
        "    for epoch in range(epochs):\n"
        "        y_pred = model(X)\n"
        "        loss = criterion(y_pred, y)\n"
        "        losses.append(loss.item())\n"
        "        optimizer.zero_grad()\n"
        "        loss.backward()\n"
        "        optimizer.step()\n"
        "    return losses\n",
        "your first loss is exactly 16 times the expected one: `reduction='sum'`",
    ),
    "one update per sample in gd-step": (
        "ex-gd-step",
        "def gradient(x, y, w):\n"
        "    return 2 * x * (x * w - y)\n"
        "\n"
        "def gd_step(w, xs, ys, lr):\n"
        "    for x, y in zip(xs, ys):\n"
        "        grad = gradient(x, y, w)\n"
        "        w = w - lr * grad\n"
        "    return w\n",
        "w moved by one step per sample: you updated w inside the loop over the samples",
    ),
    "one update per sample in autograd-fit": (
        "ex-autograd-fit",
        "import torch\n"
        "\n"
        "def fit(xs, ys, lr, epochs):\n"
        "    w = torch.Tensor([1.0])\n"
        "    w.requires_grad = True\n"
        "    for epoch in range(epochs):\n"
        "        for x, y in zip(xs, ys):\n"
        "            l = (x * w - y) ** 2\n"
        "            l.backward()\n"
        "            w.data = w.data - lr * w.grad.data\n"
        "            w.grad.data.zero_()\n"
        "    return w.item()\n",
        "w changed once per sample in every epoch: you updated w inside a loop over the samples",
    ),
    "an extra sigmoid on probabilities": (
        "ex-bce",
        "import torch\n"
        "\n"
        "def bce(p, y):\n"
        "    y_pred = torch.sigmoid(p)\n"
        "    loss = -(y * torch.log(y_pred) + (1 - y) * torch.log(1 - y_pred))\n"
        "    return loss.mean()\n",
        "you applied a sigmoid to `p`, which holds probabilities already",
    ),
    "mini-batches through a DataLoader": (
        "ex-train-loop",
        "import torch\n"
        "from torch import nn\n"
        "from torch.utils.data import DataLoader, TensorDataset\n"
        "\n"
        "def fit(model, X, y, epochs, lr):\n"
        "    loader = DataLoader(TensorDataset(X, y), batch_size=4, shuffle=True)\n"
        "    optimizer = torch.optim.SGD(model.parameters(), lr=lr)\n"
        "    criterion = nn.MSELoss()\n"
        "    losses = []\n"
        "    for epoch in range(epochs):\n"
        "        for inputs, labels in loader:\n"
        "            optimizer.zero_grad()\n"
        "            loss = criterion(model(inputs), labels)\n"
        "            loss.backward()\n"
        "            optimizer.step()\n"
        "        losses.append(loss.item())\n"
        "    return losses\n",
        "your file uses a DataLoader: with batches smaller than the data set",
    ),
    "np.mean on tensors": (
        "ex-mse",
        "import numpy as np\n\ndef mse(y_hat, y):\n    return np.mean((y_hat - y) ** 2)\n",
        "`np.mean` is for NumPy arrays: on a tensor it fails",
    ),
    "np.mean on a tensor of matches": (
        "ex-accuracy",
        "import numpy as np\n"
        "\n"
        "def accuracy(logits, y):\n"
        "    predicted = logits.argmax(dim=1)\n"
        "    return float(np.mean(predicted == y))\n",
        "`np.mean` is for NumPy arrays: on a tensor it fails",
    ),
    ".data[0] from old PyTorch": (
        "ex-train-loop",
        "import torch\n"
        "from torch import nn\n"
        "\n"
        "def fit(model, X, y, epochs, lr):\n"
        "    criterion = nn.MSELoss()\n"
        "    optimizer = torch.optim.SGD(model.parameters(), lr=lr)\n"
        "    losses = []\n"
        "    for epoch in range(epochs):\n"
        "        optimizer.zero_grad()\n"
        "        loss = criterion(model(X), y)\n"
        "        loss.backward()\n"
        "        optimizer.step()\n"
        "        losses.append(loss.data[0])\n"
        "    return losses\n",
        "`loss.data[0]` is how PyTorch before 0.4 read a loss",
    ),
    "a hard-coded view(-1, 784)": (
        "ex-flatten-batch",
        "import torch\n\ndef flatten_batch(x):\n    return x.view(-1, 784)\n",
        "784 (28 * 28) is written into your code, so only 28x28 images fit",
    ),
}


@pytest.mark.parametrize("habit", HABITS)
def test_a_known_habit_is_named_first(checker, habit):
    exercise_id, source, named = HABITS[habit]
    result = check_source(checker, exercise_id, source)
    assert result.error is None, result.error
    assert not result.passed
    first = result.failed_checks[0].message
    assert first.startswith(named), first
    # said once in full; a later check with the same mistake refers to it
    assert sum(named in c.message for c in result.failed_checks) == 1


def test_an_ordinary_mismatch_keeps_its_message(checker):
    source = "def gd_step(w, xs, ys, lr):\n    return w + 0.5\n"
    result = check_source(checker, "ex-gd-step", source)
    assert result.failed_checks[0].message == (
        "gd_step(1.0, [1.0, 2.0, 3.0], [2.0, 4.0, 6.0], 0.1) returned 1.5, expected 1.93333: "
        "the new w is w - lr * gradient, and the gradient is the mean of 2 * x * (w * x - y)"
    )
