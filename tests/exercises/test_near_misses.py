"""The eight exercises other tools rely on tell a correct file, in any reasonable style, from a
near miss: each near miss below is a mistake a learner makes, and each must fail with a message."""

from __future__ import annotations

import pytest

from tests.exercises.conftest import check_source

CORRECT = {
    "ex-mse": [
        "import torch\ndef mse(y_hat, y):\n    return torch.mean((y_hat - y) ** 2)\n",
        "def mse(y_hat, y):\n    d = y_hat - y\n    return (d * d).sum() / d.numel()\n",
        "import torch\ndef mse(a, b):\n    return (a - b).pow(2).mean()\n",
    ],
    "ex-gd-step": [
        "def gd_step(w, xs, ys, lr):\n"
        "    n = len(xs)\n"
        "    grad = 0.0\n"
        "    for x, y in zip(xs, ys):\n"
        "        grad += 2 * x * (w * x - y) / n\n"
        "    return float(w - lr * grad)\n",
        "import torch\n"
        "def gd_step(w, xs, ys, lr):\n"
        "    w = torch.tensor(w, requires_grad=True, dtype=torch.float64)\n"
        "    x, y = torch.tensor(xs, dtype=torch.float64), torch.tensor(ys, dtype=torch.float64)\n"
        "    ((w * x - y) ** 2).mean().backward()\n"
        "    return (w - lr * w.grad).item()\n",
    ],
    "ex-autograd-fit": [
        "import torch\n"
        "def fit(xs, ys, lr, epochs):\n"
        "    w = torch.tensor(1.0, requires_grad=True)\n"
        "    for _ in range(epochs):\n"
        "        loss = torch.mean((w * xs - ys) ** 2)\n"
        "        loss.backward()\n"
        "        with torch.no_grad():\n"
        "            w.sub_(lr * w.grad)\n"
        "        w.grad = None\n"
        "    return float(w)\n",
    ],
    "ex-dataset": [
        "from torch.utils import data\n"
        "class PairsDataset(data.Dataset):\n"
        "    def __init__(self, X, y):\n"
        "        super().__init__()\n"
        "        self.pairs = list(zip(X, y))\n"
        "    def __len__(self):\n"
        "        return len(self.pairs)\n"
        "    def __getitem__(self, index):\n"
        "        return self.pairs[index]\n",
    ],
    "ex-named-sequential": [
        "import collections\n"
        "import torch.nn as nn\n"
        "def build(n_in, n_hidden, n_out):\n"
        "    layers = collections.OrderedDict()\n"
        "    layers['fc1'] = nn.Linear(n_in, n_hidden)\n"
        "    layers['relu'] = nn.ReLU()\n"
        "    layers['fc2'] = nn.Linear(n_hidden, n_out)\n"
        "    return nn.Sequential(layers)\n",
    ],
    "ex-train-loop": [
        "import torch\n"
        "from torch import nn, optim\n"
        "def fit(model, X, y, epochs, lr):\n"
        "    opt = optim.SGD(model.parameters(), lr)\n"
        "    criterion = nn.MSELoss()\n"
        "    history = []\n"
        "    for _ in range(epochs):\n"
        "        opt.zero_grad()\n"
        "        loss = criterion(model(X), y)\n"
        "        history.append(float(loss))\n"
        "        loss.backward()\n"
        "        opt.step()\n"
        "    return history\n",
    ],
    "ex-stratified-split": [
        "import numpy as np\n"
        "def split(y, val, test, seed):\n"
        "    rng = np.random.default_rng(seed)\n"
        "    train_idx, val_idx, test_idx = [], [], []\n"
        "    for label in sorted(set(y.tolist())):\n"
        "        idx = np.where(y == label)[0]\n"
        "        rng.shuffle(idx)\n"
        "        n_test = int(len(idx) * test)\n"
        "        n_val = int(len(idx) * val)\n"
        "        test_idx += idx[:n_test].tolist()\n"
        "        val_idx += idx[n_test:n_test + n_val].tolist()\n"
        "        train_idx += idx[n_test + n_val:].tolist()\n"
        "    return np.array(train_idx), np.array(val_idx), np.array(test_idx)\n",
    ],
    "ex-early-stopper": [
        "import math\n"
        "class EarlyStopper:\n"
        "    def __init__(self, patience):\n"
        "        self.patience = patience\n"
        "        self.best = math.inf\n"
        "        self.since_best = 0\n"
        "    def step(self, val_loss):\n"
        "        if val_loss >= self.best:\n"
        "            self.since_best += 1\n"
        "            return self.since_best >= self.patience\n"
        "        self.best, self.since_best = val_loss, 0\n"
        "        return False\n",
    ],
    "ex-accuracy": [
        "import torch\n"
        "def accuracy(logits, y):\n"
        "    probs = torch.softmax(logits, dim=-1)\n"
        "    _, predicted = torch.max(probs, 1)\n"
        "    return float((predicted == y).sum()) / len(y)\n",
    ],
    "ex-precision-recall": [
        "def precision_recall(y_hat, y):\n"
        "    pairs = list(zip(y_hat.tolist(), y.tolist()))\n"
        "    tp = pairs.count((1, 1))\n"
        "    fp = pairs.count((1, 0))\n"
        "    fn = pairs.count((0, 1))\n"
        "    return tp / (tp + fp), tp / (tp + fn)\n",
    ],
    "ex-diagnose-fit": [
        "def diagnose(train, val, target):\n"
        "    best = min(val)\n"
        "    if train[len(train) - 1] <= target:\n"
        "        return 'overfitting' if val[-1] != best else 'good fit'\n"
        "    return 'underfitting'\n",
    ],
    "ex-l2-penalty": [
        "import torch\n"
        "from torch import nn\n"
        "def penalized_loss(model, X, y, lam):\n"
        "    mse = nn.MSELoss()(model(X), y)\n"
        "    squares = torch.stack([p.pow(2).sum() for p in model.parameters()])\n"
        "    return mse + lam * squares.sum()\n",
        "def penalized_loss(model, X, y, lam):\n"
        "    loss = ((model(X) - y) ** 2).mean()\n"
        "    for name, p in model.named_parameters():\n"
        "        loss = loss + lam * p.norm() ** 2\n"
        "    return loss\n",
    ],
    "ex-grad-norms": [
        "import torch\n"
        "def grad_norms(model, X, y):\n"
        "    loss = ((model(X) - y) ** 2).mean()\n"
        "    loss.backward()\n"
        "    norms = []\n"
        "    for name, p in model.named_parameters():\n"
        "        if name.endswith('weight'):\n"
        "            norms.append(float(torch.sqrt((p.grad ** 2).sum())))\n"
        "    return norms\n",
    ],
    "ex-cosine-lr": [
        "import numpy as np\n"
        "def cosine_lr(epoch, epochs, lr_max, lr_min=0.0):\n"
        "    progress = epoch / epochs\n"
        "    return lr_max - (lr_max - lr_min) * (1 - np.cos(np.pi * progress)) / 2\n",
    ],
    "ex-save-load": [
        "import io\n"
        "import torch\n"
        "def restore(model, fresh):\n"
        "    with io.BytesIO() as f:\n"
        "        torch.save(model.state_dict(), f)\n"
        "        f.seek(0)\n"
        "        fresh.load_state_dict(torch.load(f, weights_only=True, map_location='cpu'))\n"
        "    return fresh.eval()\n",
        "import os\n"
        "import tempfile\n"
        "import torch\n"
        "def restore(model, fresh):\n"
        "    with tempfile.TemporaryDirectory() as folder:\n"
        "        path = os.path.join(folder, 'model.pt')\n"
        "        torch.save(model.state_dict(), path)\n"
        "        state = torch.load(path, weights_only=True)\n"
        "    fresh.load_state_dict(state)\n"
        "    fresh.train(False)\n"
        "    return fresh\n",
    ],
    "ex-rank-indices": [
        "def rank_indices(n, rank, world_size):\n"
        "    indices = list(range(n))\n"
        "    while len(indices) % world_size:\n"
        "        indices.append(indices[len(indices) - n])\n"
        "    return [indices[i] for i in range(rank, len(indices), world_size)]\n",
    ],
    "ex-slurm-ranks": [
        "def ranks(env):\n"
        "    node, local, nodes, per_node = (\n"
        "        int(env[k])\n"
        "        for k in ('SLURM_NODEID', 'SLURM_LOCALID', 'SLURM_NNODES', 'SLURM_NTASKS_PER_NODE')\n"
        "    )\n"
        "    world_size = nodes * per_node\n"
        "    return (local + per_node * node, local, world_size)\n",
        "import os\n"
        "def ranks(env=os.environ):\n"
        "    g = int(env.get('SLURM_NTASKS_PER_NODE', '1'))\n"
        "    rank = int(env['SLURM_NODEID']) * g + int(env['SLURM_LOCALID'])\n"
        "    return rank, int(env['SLURM_LOCALID']), g * int(env['SLURM_NNODES'])\n",
    ],
}

NEAR_MISSES = {
    "ex-mse": {
        "a sum instead of a mean": "def mse(y_hat, y):\n    return ((y_hat - y) ** 2).sum()\n",
        "divided by the rows only": (
            "def mse(y_hat, y):\n    return ((y_hat - y) ** 2).sum() / len(y)\n"
        ),
        "the root of it": "def mse(y_hat, y):\n    return ((y_hat - y) ** 2).mean().sqrt()\n",
        "a Python float": "def mse(y_hat, y):\n    return ((y_hat - y) ** 2).mean().item()\n",
        "the library's loss": (
            "import torch.nn.functional as F\ndef mse(y_hat, y):\n    return F.mse_loss(y_hat, y)\n"
        ),
        "the library's module": (
            "from torch import nn\ndef mse(y_hat, y):\n    return nn.MSELoss()(y_hat, y)\n"
        ),
    },
    "ex-gd-step": {
        "a sign error": (
            "def gd_step(w, xs, ys, lr):\n"
            "    g = sum(2 * x * (w * x - y) for x, y in zip(xs, ys)) / len(xs)\n"
            "    return w + lr * g\n"
        ),
        "the factor 2 forgotten": (
            "def gd_step(w, xs, ys, lr):\n"
            "    g = sum(x * (w * x - y) for x, y in zip(xs, ys)) / len(xs)\n"
            "    return w - lr * g\n"
        ),
        "a sum instead of a mean": (
            "def gd_step(w, xs, ys, lr):\n"
            "    g = sum(2 * x * (w * x - y) for x, y in zip(xs, ys))\n"
            "    return w - lr * g\n"
        ),
        "a tensor returned": (
            "import torch\n"
            "def gd_step(w, xs, ys, lr):\n"
            "    x, y = torch.tensor(xs), torch.tensor(ys)\n"
            "    return w - lr * (2 * x * (w * x - y)).mean()\n"
        ),
    },
    "ex-autograd-fit": {
        "the gradient never zeroed": (
            "import torch\n"
            "def fit(xs, ys, lr, epochs):\n"
            "    w = torch.tensor(1.0, requires_grad=True)\n"
            "    for _ in range(epochs):\n"
            "        ((w * xs - ys) ** 2).mean().backward()\n"
            "        with torch.no_grad():\n"
            "            w -= lr * w.grad\n"
            "    return w.item()\n"
        ),
        "a sum instead of a mean": (
            "import torch\n"
            "def fit(xs, ys, lr, epochs):\n"
            "    w = torch.tensor(1.0, requires_grad=True)\n"
            "    for _ in range(epochs):\n"
            "        ((w * xs - ys) ** 2).sum().backward()\n"
            "        with torch.no_grad():\n"
            "            w -= lr * w.grad\n"
            "        w.grad.zero_()\n"
            "    return w.item()\n"
        ),
        "the update outside no_grad": (
            "import torch\n"
            "def fit(xs, ys, lr, epochs):\n"
            "    w = torch.tensor(1.0, requires_grad=True)\n"
            "    for _ in range(epochs):\n"
            "        ((w * xs - ys) ** 2).mean().backward()\n"
            "        w -= lr * w.grad\n"
            "        w.grad.zero_()\n"
            "    return w.item()\n"
        ),
        "one epoch short": (
            "import torch\n"
            "def fit(xs, ys, lr, epochs):\n"
            "    w = torch.tensor(1.0, requires_grad=True)\n"
            "    for _ in range(epochs - 1):\n"
            "        ((w * xs - ys) ** 2).mean().backward()\n"
            "        with torch.no_grad():\n"
            "            w -= lr * w.grad\n"
            "        w.grad.zero_()\n"
            "    return w.item()\n"
        ),
    },
    "ex-dataset": {
        "a length off by one": (
            "from torch.utils.data import Dataset\n"
            "class PairsDataset(Dataset):\n"
            "    def __init__(self, X, y):\n"
            "        self.X, self.y = X, y\n"
            "    def __len__(self):\n"
            "        return len(self.X) - 1\n"
            "    def __getitem__(self, i):\n"
            "        return self.X[i], self.y[i]\n"
        ),
        "the inputs only": (
            "from torch.utils.data import Dataset\n"
            "class PairsDataset(Dataset):\n"
            "    def __init__(self, X, y):\n"
            "        self.X, self.y = X, y\n"
            "    def __len__(self):\n"
            "        return len(self.X)\n"
            "    def __getitem__(self, i):\n"
            "        return self.X[i]\n"
        ),
        "not a Dataset": (
            "class PairsDataset:\n"
            "    def __init__(self, X, y):\n"
            "        self.X, self.y = X, y\n"
            "    def __len__(self):\n"
            "        return len(self.X)\n"
            "    def __getitem__(self, i):\n"
            "        return self.X[i], self.y[i]\n"
        ),
        "the targets shifted": (
            "from torch.utils.data import Dataset\n"
            "class PairsDataset(Dataset):\n"
            "    def __init__(self, X, y):\n"
            "        self.X, self.y = X, y\n"
            "    def __len__(self):\n"
            "        return len(self.X)\n"
            "    def __getitem__(self, i):\n"
            "        return self.X[i], self.y[i - 1]\n"
        ),
    },
    "ex-named-sequential": {
        "layers without names": (
            "from collections import OrderedDict\n"
            "from torch import nn\n"
            "def build(n_in, n_hidden, n_out):\n"
            "    return nn.Sequential(nn.Linear(n_in, n_hidden), nn.ReLU(), nn.Linear(n_hidden, n_out))\n"
        ),
        "sizes swapped": (
            "from collections import OrderedDict\n"
            "from torch import nn\n"
            "def build(n_in, n_hidden, n_out):\n"
            "    return nn.Sequential(OrderedDict([('fc1', nn.Linear(n_hidden, n_in)),\n"
            "        ('relu', nn.ReLU()), ('fc2', nn.Linear(n_hidden, n_out))]))\n"
        ),
        "other names": (
            "from collections import OrderedDict\n"
            "from torch import nn\n"
            "def build(n_in, n_hidden, n_out):\n"
            "    return nn.Sequential(OrderedDict([('hidden', nn.Linear(n_in, n_hidden)),\n"
            "        ('act', nn.ReLU()), ('out', nn.Linear(n_hidden, n_out))]))\n"
        ),
    },
    "ex-train-loop": {
        "the gradient never zeroed": (
            "import torch\nfrom torch import nn\n"
            "def fit(model, X, y, epochs, lr):\n"
            "    opt = torch.optim.SGD(model.parameters(), lr=lr)\n"
            "    losses = []\n"
            "    for _ in range(epochs):\n"
            "        loss = nn.MSELoss()(model(X), y)\n"
            "        loss.backward()\n"
            "        opt.step()\n"
            "        losses.append(loss.item())\n"
            "    return losses\n"
        ),
        "the loss after the step": (
            "import torch\nfrom torch import nn\n"
            "def fit(model, X, y, epochs, lr):\n"
            "    opt = torch.optim.SGD(model.parameters(), lr=lr)\n"
            "    loss_fn = nn.MSELoss()\n"
            "    losses = []\n"
            "    for _ in range(epochs):\n"
            "        opt.zero_grad()\n"
            "        loss_fn(model(X), y).backward()\n"
            "        opt.step()\n"
            "        losses.append(loss_fn(model(X), y).item())\n"
            "    return losses\n"
        ),
        "one epoch too many": (
            "import torch\nfrom torch import nn\n"
            "def fit(model, X, y, epochs, lr):\n"
            "    opt = torch.optim.SGD(model.parameters(), lr=lr)\n"
            "    losses = []\n"
            "    for _ in range(epochs + 1):\n"
            "        opt.zero_grad()\n"
            "        loss = nn.MSELoss()(model(X), y)\n"
            "        loss.backward()\n"
            "        opt.step()\n"
            "        losses.append(loss.item())\n"
            "    return losses\n"
        ),
        "a sum instead of a mean": (
            "import torch\nfrom torch import nn\n"
            "def fit(model, X, y, epochs, lr):\n"
            "    opt = torch.optim.SGD(model.parameters(), lr=lr)\n"
            "    losses = []\n"
            "    for _ in range(epochs):\n"
            "        opt.zero_grad()\n"
            "        loss = nn.MSELoss(reduction='sum')(model(X), y)\n"
            "        loss.backward()\n"
            "        opt.step()\n"
            "        losses.append(loss.item())\n"
            "    return losses\n"
        ),
        "tensors in the list": (
            "import torch\nfrom torch import nn\n"
            "def fit(model, X, y, epochs, lr):\n"
            "    opt = torch.optim.SGD(model.parameters(), lr=lr)\n"
            "    losses = []\n"
            "    for _ in range(epochs):\n"
            "        opt.zero_grad()\n"
            "        loss = nn.MSELoss()(model(X), y)\n"
            "        loss.backward()\n"
            "        opt.step()\n"
            "        losses.append(loss.detach())\n"
            "    return losses\n"
        ),
    },
    "ex-stratified-split": {
        "a split that ignores the classes": (
            "import numpy as np\n"
            "def split(y, val, test, seed):\n"
            "    idx = np.random.default_rng(seed).permutation(len(y))\n"
            "    n_val, n_test = round(len(y) * val), round(len(y) * test)\n"
            "    return idx[n_val + n_test:], idx[:n_val], idx[n_val:n_val + n_test]\n"
        ),
        "parts that overlap": (
            "import numpy as np\n"
            "def split(y, val, test, seed):\n"
            "    rng = np.random.default_rng(seed)\n"
            "    parts = ([], [], [])\n"
            "    for c in np.unique(y):\n"
            "        idx = rng.permutation(np.flatnonzero(y == c))\n"
            "        n_val, n_test = round(len(idx) * val), round(len(idx) * test)\n"
            "        parts[1].append(idx[:n_val])\n"
            "        parts[2].append(idx[n_val - 1:n_val + n_test - 1])\n"
            "        parts[0].append(idx[n_val + n_test:])\n"
            "    return tuple(np.concatenate(p) for p in parts)\n"
        ),
        "lists, not arrays": (
            "import numpy as np\n"
            "def split(y, val, test, seed):\n"
            "    rng = np.random.default_rng(seed)\n"
            "    parts = ([], [], [])\n"
            "    for c in np.unique(y):\n"
            "        idx = rng.permutation(np.flatnonzero(y == c)).tolist()\n"
            "        n_val, n_test = round(len(idx) * val), round(len(idx) * test)\n"
            "        parts[1].extend(idx[:n_val])\n"
            "        parts[2].extend(idx[n_val:n_val + n_test])\n"
            "        parts[0].extend(idx[n_val + n_test:])\n"
            "    return parts\n"
        ),
    },
    "ex-early-stopper": {
        "patience off by one": (
            "class EarlyStopper:\n"
            "    def __init__(self, patience):\n"
            "        self.patience, self.best, self.bad = patience, float('inf'), 0\n"
            "    def step(self, val_loss):\n"
            "        if val_loss < self.best:\n"
            "            self.best, self.bad = val_loss, 0\n"
            "        else:\n"
            "            self.bad += 1\n"
            "        return self.bad > self.patience\n"
        ),
        "the count never reset": (
            "class EarlyStopper:\n"
            "    def __init__(self, patience):\n"
            "        self.patience, self.best, self.bad = patience, float('inf'), 0\n"
            "    def step(self, val_loss):\n"
            "        if val_loss < self.best:\n"
            "            self.best = val_loss\n"
            "        else:\n"
            "            self.bad += 1\n"
            "        return self.bad >= self.patience\n"
        ),
        "an equal loss counted as progress": (
            "class EarlyStopper:\n"
            "    def __init__(self, patience):\n"
            "        self.patience, self.best, self.bad = patience, float('inf'), 0\n"
            "    def step(self, val_loss):\n"
            "        if val_loss <= self.best:\n"
            "            self.best, self.bad = val_loss, 0\n"
            "        else:\n"
            "            self.bad += 1\n"
            "        return self.bad >= self.patience\n"
        ),
        "best never kept": (
            "class EarlyStopper:\n"
            "    def __init__(self, patience):\n"
            "        self.patience, self.bad, self.best, self._low = patience, 0, None, float('inf')\n"
            "    def step(self, val_loss):\n"
            "        if val_loss < self._low:\n"
            "            self._low, self.bad = val_loss, 0\n"
            "        else:\n"
            "            self.bad += 1\n"
            "        return self.bad >= self.patience\n"
        ),
    },
    "ex-accuracy": {
        "argmax of the whole tensor": (
            "def accuracy(logits, y):\n    return (logits.argmax() == y).float().mean().item()\n"
        ),
        "argmax down the columns": (
            "def accuracy(logits, y):\n"
            "    return (logits.argmax(dim=0) == y).float().mean().item()\n"
        ),
        "a count, not a fraction": (
            "def accuracy(logits, y):\n    return (logits.argmax(dim=1) == y).sum().item()\n"
        ),
        "a tensor returned": (
            "def accuracy(logits, y):\n    return (logits.argmax(dim=1) == y).float().mean()\n"
        ),
    },
    "ex-precision-recall": {
        "precision and recall swapped": (
            "def precision_recall(y_hat, y):\n"
            "    tp = ((y_hat == 1) & (y == 1)).sum().item()\n"
            "    fp = ((y_hat == 1) & (y == 0)).sum().item()\n"
            "    fn = ((y_hat == 0) & (y == 1)).sum().item()\n"
            "    return tp / (tp + fn), tp / (tp + fp)\n"
        ),
        "accuracy for precision": (
            "def precision_recall(y_hat, y):\n"
            "    tp = ((y_hat == 1) & (y == 1)).sum().item()\n"
            "    fn = ((y_hat == 0) & (y == 1)).sum().item()\n"
            "    return (y_hat == y).float().mean().item(), tp / (tp + fn)\n"
        ),
        "scikit-learn's functions": (
            "from sklearn.metrics import precision_score, recall_score\n"
            "def precision_recall(y_hat, y):\n"
            "    return float(precision_score(y, y_hat)), float(recall_score(y, y_hat))\n"
        ),
    },
    "ex-diagnose-fit": {
        "the gap between the losses for overfitting": (
            "def diagnose(train, val, target):\n"
            "    if train[-1] > target:\n"
            "        return 'underfitting'\n"
            "    if val[-1] > 2 * train[-1]:\n"
            "        return 'overfitting'\n"
            "    return 'good fit'\n"
        ),
        "the first losses instead of the last": (
            "def diagnose(train, val, target):\n"
            "    if train[0] > target:\n"
            "        return 'underfitting'\n"
            "    if val[0] > min(val):\n"
            "        return 'overfitting'\n"
            "    return 'good fit'\n"
        ),
        "overfitting tested first": (
            "def diagnose(train, val, target):\n"
            "    if val[-1] > min(val):\n"
            "        return 'overfitting'\n"
            "    if train[-1] > target:\n"
            "        return 'underfitting'\n"
            "    return 'good fit'\n"
        ),
    },
    "ex-l2-penalty": {
        "absolute values (L1) instead of squares": (
            "import torch.nn.functional as F\n"
            "def penalized_loss(model, X, y, lam):\n"
            "    penalty = sum(p.abs().sum() for p in model.parameters())\n"
            "    return F.mse_loss(model(X), y) + lam * penalty\n"
        ),
        "the norm, not squared": (
            "import torch.nn.functional as F\n"
            "def penalized_loss(model, X, y, lam):\n"
            "    penalty = sum(p.norm() for p in model.parameters())\n"
            "    return F.mse_loss(model(X), y) + lam * penalty\n"
        ),
        "the biases left out": (
            "import torch.nn.functional as F\n"
            "def penalized_loss(model, X, y, lam):\n"
            "    penalty = sum((m.weight ** 2).sum() for m in model if hasattr(m, 'weight'))\n"
            "    return F.mse_loss(model(X), y) + lam * penalty\n"
        ),
        "the penalty as a Python number": (
            "import torch.nn.functional as F\n"
            "def penalized_loss(model, X, y, lam):\n"
            "    penalty = sum((p ** 2).sum().item() for p in model.parameters())\n"
            "    return F.mse_loss(model(X), y) + lam * penalty\n"
        ),
    },
    "ex-grad-norms": {
        "the weights measured, not their gradients": (
            "import torch.nn.functional as F\n"
            "from torch import nn\n"
            "def grad_norms(model, X, y):\n"
            "    F.mse_loss(model(X), y).backward()\n"
            "    return [m.weight.norm().item() for m in model if isinstance(m, nn.Linear)]\n"
        ),
        "the biases measured too": (
            "import torch.nn.functional as F\n"
            "def grad_norms(model, X, y):\n"
            "    F.mse_loss(model(X), y).backward()\n"
            "    return [p.grad.norm().item() for p in model.parameters()]\n"
        ),
        "a sum of the gradient, not its norm": (
            "import torch.nn.functional as F\n"
            "from torch import nn\n"
            "def grad_norms(model, X, y):\n"
            "    F.mse_loss(model(X), y).backward()\n"
            "    return [m.weight.grad.sum().item() for m in model if isinstance(m, nn.Linear)]\n"
        ),
        "tensors in the list": (
            "import torch.nn.functional as F\n"
            "from torch import nn\n"
            "def grad_norms(model, X, y):\n"
            "    F.mse_loss(model(X), y).backward()\n"
            "    return [m.weight.grad.norm() for m in model if isinstance(m, nn.Linear)]\n"
        ),
    },
    "ex-cosine-lr": {
        "lr_min forgotten": (
            "import math\n"
            "def cosine_lr(epoch, epochs, lr_max, lr_min=0.0):\n"
            "    return lr_max * (1 + math.cos(math.pi * epoch / epochs)) / 2\n"
        ),
        "pi forgotten": (
            "import math\n"
            "def cosine_lr(epoch, epochs, lr_max, lr_min=0.0):\n"
            "    return lr_min + (lr_max - lr_min) * (1 + math.cos(epoch / epochs)) / 2\n"
        ),
        "the halving forgotten": (
            "import math\n"
            "def cosine_lr(epoch, epochs, lr_max, lr_min=0.0):\n"
            "    return lr_min + (lr_max - lr_min) * (1 + math.cos(math.pi * epoch / epochs))\n"
        ),
        "PyTorch's scheduler": (
            "import torch\n"
            "def cosine_lr(epoch, epochs, lr_max, lr_min=0.0):\n"
            "    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr_max)\n"
            "    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs, lr_min)\n"
            "    for _ in range(epoch):\n"
            "        opt.step()\n"
            "        sched.step()\n"
            "    return opt.param_groups[0]['lr']\n"
        ),
    },
    "ex-save-load": {
        "load_state_dict's report returned": (
            "import io\n"
            "import torch\n"
            "def restore(model, fresh):\n"
            "    buffer = io.BytesIO()\n"
            "    torch.save(model.state_dict(), buffer)\n"
            "    buffer.seek(0)\n"
            "    fresh.eval()\n"
            "    return fresh.load_state_dict(torch.load(buffer, weights_only=True))\n"
        ),
        "the trained model returned": (
            "import io\n"
            "import torch\n"
            "def restore(model, fresh):\n"
            "    buffer = io.BytesIO()\n"
            "    torch.save(model.state_dict(), buffer)\n"
            "    buffer.seek(0)\n"
            "    torch.load(buffer, weights_only=True)\n"
            "    return model.eval()\n"
        ),
        "copied without saving": (
            "def restore(model, fresh):\n"
            "    fresh.load_state_dict(model.state_dict())\n"
            "    return fresh.eval()\n"
        ),
        "eval forgotten": (
            "import io\n"
            "import torch\n"
            "def restore(model, fresh):\n"
            "    buffer = io.BytesIO()\n"
            "    torch.save(model.state_dict(), buffer)\n"
            "    buffer.seek(0)\n"
            "    fresh.load_state_dict(torch.load(buffer, weights_only=True))\n"
            "    return fresh\n"
        ),
        "the whole model pickled": (
            "import io\n"
            "import torch\n"
            "def restore(model, fresh):\n"
            "    buffer = io.BytesIO()\n"
            "    torch.save(model, buffer)\n"
            "    buffer.seek(0)\n"
            "    loaded = torch.load(buffer, weights_only=True)\n"
            "    fresh.load_state_dict(loaded.state_dict())\n"
            "    return fresh.eval()\n"
        ),
    },
    "ex-rank-indices": {
        "a block of neighbours per rank": (
            "import math\n"
            "def rank_indices(n, rank, world_size):\n"
            "    size = math.ceil(n / world_size)\n"
            "    return [i % n for i in range(rank * size, (rank + 1) * size)]\n"
        ),
        "no padding": (
            "def rank_indices(n, rank, world_size):\n    return list(range(rank, n, world_size))\n"
        ),
        "padded with the last index": (
            "import math\n"
            "def rank_indices(n, rank, world_size):\n"
            "    total = math.ceil(n / world_size) * world_size\n"
            "    indices = list(range(n)) + [n - 1] * (total - n)\n"
            "    return indices[rank::world_size]\n"
        ),
        "padded only once": (
            "import math\n"
            "def rank_indices(n, rank, world_size):\n"
            "    total = math.ceil(n / world_size) * world_size\n"
            "    indices = list(range(n))\n"
            "    indices += indices[: total - n]\n"
            "    return indices[rank::world_size]\n"
        ),
        "PyTorch's sampler": (
            "from torch.utils.data import DistributedSampler\n"
            "def rank_indices(n, rank, world_size):\n"
            "    s = DistributedSampler(range(n), num_replicas=world_size, rank=rank, shuffle=False)\n"
            "    return list(s)\n"
        ),
    },
    "ex-slurm-ranks": {
        "the local rank times G": (
            "def ranks(env):\n"
            "    node = int(env['SLURM_NODEID'])\n"
            "    local = int(env['SLURM_LOCALID'])\n"
            "    nodes = int(env['SLURM_NNODES'])\n"
            "    g = int(env['SLURM_NTASKS_PER_NODE'])\n"
            "    return local * g + node, local, nodes * g\n"
        ),
        "the node times the number of nodes": (
            "def ranks(env):\n"
            "    node = int(env['SLURM_NODEID'])\n"
            "    local = int(env['SLURM_LOCALID'])\n"
            "    nodes = int(env['SLURM_NNODES'])\n"
            "    g = int(env['SLURM_NTASKS_PER_NODE'])\n"
            "    return node * nodes + local, local, nodes * g\n"
        ),
        "the world size as a sum": (
            "def ranks(env):\n"
            "    node = int(env['SLURM_NODEID'])\n"
            "    local = int(env['SLURM_LOCALID'])\n"
            "    nodes = int(env['SLURM_NNODES'])\n"
            "    g = int(env['SLURM_NTASKS_PER_NODE'])\n"
            "    return node * g + local, local, nodes + g\n"
        ),
        "the world size one short": (
            "def ranks(env):\n"
            "    node = int(env['SLURM_NODEID'])\n"
            "    local = int(env['SLURM_LOCALID'])\n"
            "    nodes = int(env['SLURM_NNODES'])\n"
            "    g = int(env['SLURM_NTASKS_PER_NODE'])\n"
            "    return node * g + local, local, nodes * g - 1\n"
        ),
        "the node rank for the local rank": (
            "def ranks(env):\n"
            "    node = int(env['SLURM_NODEID'])\n"
            "    local = int(env['SLURM_LOCALID'])\n"
            "    nodes = int(env['SLURM_NNODES'])\n"
            "    g = int(env['SLURM_NTASKS_PER_NODE'])\n"
            "    return node * g + local, node, nodes * g\n"
        ),
        "no node offset": (
            "def ranks(env):\n"
            "    node = int(env['SLURM_NODEID'])\n"
            "    local = int(env['SLURM_LOCALID'])\n"
            "    nodes = int(env['SLURM_NNODES'])\n"
            "    g = int(env['SLURM_NTASKS_PER_NODE'])\n"
            "    return local, local, nodes * g\n"
        ),
        "ranks from 1": (
            "def ranks(env):\n"
            "    node = int(env['SLURM_NODEID'])\n"
            "    local = int(env['SLURM_LOCALID'])\n"
            "    nodes = int(env['SLURM_NNODES'])\n"
            "    g = int(env['SLURM_NTASKS_PER_NODE'])\n"
            "    return node * g + local + 1, local, nodes * g\n"
        ),
        "text never converted": (
            "def ranks(env):\n"
            "    node, local = env['SLURM_NODEID'], env['SLURM_LOCALID']\n"
            "    g, nodes = env['SLURM_NTASKS_PER_NODE'], env['SLURM_NNODES']\n"
            "    return node * g + local, local, nodes * g\n"
        ),
        "a rank as text": (
            "def ranks(env):\n"
            "    g = int(env['SLURM_NTASKS_PER_NODE'])\n"
            "    rank = int(env['SLURM_NODEID']) * g + int(env['SLURM_LOCALID'])\n"
            "    return str(rank), env['SLURM_LOCALID'], str(g * int(env['SLURM_NNODES']))\n"
        ),
        "a dict instead of a tuple": (
            "def ranks(env):\n"
            "    g = int(env['SLURM_NTASKS_PER_NODE'])\n"
            "    local = int(env['SLURM_LOCALID'])\n"
            "    rank = int(env['SLURM_NODEID']) * g + local\n"
            "    return {'rank': rank, 'local_rank': local, 'world_size': g * int(env['SLURM_NNODES'])}\n"
        ),
    },
}


@pytest.mark.parametrize(("exercise_id", "source"), [(k, s) for k, v in CORRECT.items() for s in v])
def test_a_correct_file_in_another_style_passes(checker, exercise_id, source):
    result = check_source(checker, exercise_id, source)
    assert result.passed, [c.message for c in result.failed_checks] or result.error


@pytest.mark.parametrize(
    ("exercise_id", "mistake"), [(k, m) for k, v in NEAR_MISSES.items() for m in v]
)
def test_a_near_miss_fails_with_a_message(checker, exercise_id, mistake):
    source = NEAR_MISSES[exercise_id][mistake]
    result = check_source(checker, exercise_id, source)
    assert not result.passed, mistake
    assert result.error is None, result.error
    assert all(c.message for c in result.failed_checks)


def test_the_sum_instead_of_the_mean_is_named_as_the_known_mistake(checker):
    source = NEAR_MISSES["ex-mse"]["a sum instead of a mean"]
    result = check_source(checker, "ex-mse", source)
    assert result.failed_checks[0].message == (
        "your result is exactly 2 times the expected one: you added up the squared differences "
        "(as `reduction='sum'` or `size_average=False` does) instead of averaging them; the "
        "task asks for the mean\nmse([1, 2], [1, 4]) returned 4.0, expected 2.0"
    )


def test_a_mistake_no_misconception_matches_keeps_the_checks_message(checker):
    source = NEAR_MISSES["ex-mse"]["the root of it"]
    result = check_source(checker, "ex-mse", source)
    assert result.failed_checks[0].message == (
        "mse([1, 2], [1, 4]) returned 1.41421, expected 2.0: did you take the mean?"
    )


def test_the_local_rank_times_g_is_named_as_the_known_mistake(checker):
    source = NEAR_MISSES["ex-slurm-ranks"]["the local rank times G"]
    result = check_source(checker, "ex-slurm-ranks", source)
    assert result.failed_checks[0].message.startswith(
        "you multiplied the local rank by G and added the node"
    )
