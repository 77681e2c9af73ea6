"""The exercises of the lesson on parameters: the ways learners write them pass, the habits
the lesson warns about fail, and each habit is named for what it is."""

from __future__ import annotations

import pytest

from tests.exercises.conftest import check_source, exercise

MODULE_HEAD = "import torch\nfrom torch import nn\n\n\nclass ScaledLinear(nn.Module):\n"
INIT = (
    "    def __init__(self, n_in, n_out, scale=1.0):\n"
    "        super().__init__()\n"
    "        self.linear = nn.Linear(n_in, n_out)\n"
)

RIGHT = {
    "ex-scaled-linear": {
        "a scale of shape [1], a reassigned buffer, the buffer made first": (
            MODULE_HEAD + "    def __init__(self, n_in, n_out, scale=1.0):\n"
            "        super().__init__()\n"
            "        self.register_buffer('running_mean', torch.zeros(n_in))\n"
            "        self.linear = nn.Linear(n_in, n_out)\n"
            "        self.scale = nn.Parameter(torch.ones(1) * scale)\n"
            "\n"
            "    def forward(self, x):\n"
            "        if self.training:\n"
            "            m = x.detach().mean(0)\n"
            "            self.running_mean = 0.9 * self.running_mean + 0.1 * m\n"
            "        return self.linear(x) * self.scale\n"
        ),
        "torch.full and a lerp_ under no_grad": (
            MODULE_HEAD + INIT + "        self.scale = nn.Parameter(torch.full((), float(scale)))\n"
            "        self.register_buffer(name='running_mean', tensor=torch.zeros(n_in))\n"
            "\n"
            "    def forward(self, x):\n"
            "        if self.training:\n"
            "            with torch.no_grad():\n"
            "                self.running_mean.lerp_(x.mean(dim=0), 0.1)\n"
            "        return self.scale * self.linear(x)\n"
        ),
    },
    "ex-freeze-layers": {
        "through get_submodule, counted in a loop": (
            "def freeze(model, names):\n"
            "    for name in names:\n"
            "        model.get_submodule(name).requires_grad_(False)\n"
            "    total = 0\n"
            "    for p in model.parameters():\n"
            "        if p.requires_grad:\n"
            "            total += p.numel()\n"
            "    return total\n"
        ),
        "the flag assigned on each parameter, names split with partition": (
            "def freeze(model, names):\n"
            "    for name, p in model.named_parameters():\n"
            "        layer, _, _ = name.partition('.')\n"
            "        if layer in names:\n"
            "            p.requires_grad = False\n"
            "    return sum(p.numel() for p in model.parameters() if p.requires_grad)\n"
        ),
        "named_children": (
            "def freeze(model, names):\n"
            "    for name, layer in model.named_children():\n"
            "        if name in names:\n"
            "            for p in layer.parameters():\n"
            "                p.requires_grad_(False)\n"
            "    trainable = filter(lambda p: p.requires_grad, model.parameters())\n"
            "    return sum(p.numel() for p in trainable)\n"
        ),
    },
}

# a mistake -> words the first failing check's message holds (None: no known habit is named)
WRONG = {
    "ex-scaled-linear": {
        "a plain tensor for the scale": (
            MODULE_HEAD
            + INIT
            + "        self.scale = torch.tensor(float(scale), requires_grad=True)\n"
            "        self.register_buffer('running_mean', torch.zeros(n_in))\n"
            "\n"
            "    def forward(self, x):\n"
            "        if self.training:\n"
            "            with torch.no_grad():\n"
            "                self.running_mean.mul_(0.9).add_(0.1 * x.mean(0))\n"
            "        return self.scale * self.linear(x)\n",
            "self.scale is not an nn.Parameter",
        ),
        "a plain tensor for the running mean": (
            MODULE_HEAD + INIT + "        self.scale = nn.Parameter(torch.tensor(float(scale)))\n"
            "        self.running_mean = torch.zeros(n_in)\n"
            "\n"
            "    def forward(self, x):\n"
            "        if self.training:\n"
            "            self.running_mean = 0.9 * self.running_mean + 0.1 * x.mean(0)\n"
            "        return self.scale * self.linear(x)\n",
            "running_mean is a plain tensor attribute",
        ),
        "the running mean as a parameter": (
            MODULE_HEAD + INIT + "        self.scale = nn.Parameter(torch.tensor(float(scale)))\n"
            "        self.running_mean = nn.Parameter(torch.zeros(n_in))\n"
            "\n"
            "    def forward(self, x):\n"
            "        if self.training:\n"
            "            with torch.no_grad():\n"
            "                self.running_mean.mul_(0.9).add_(0.1 * x.mean(0))\n"
            "        return self.scale * self.linear(x)\n",
            None,
        ),
        "the running mean updated in eval mode too": (
            MODULE_HEAD + INIT + "        self.scale = nn.Parameter(torch.tensor(float(scale)))\n"
            "        self.register_buffer('running_mean', torch.zeros(n_in))\n"
            "\n"
            "    def forward(self, x):\n"
            "        self.running_mean = 0.9 * self.running_mean + 0.1 * x.mean(0)\n"
            "        return self.scale * self.linear(x)\n",
            "the running mean also changes in eval mode",
        ),
        "the weights 0.9 and 0.1 swapped": (
            MODULE_HEAD + INIT + "        self.scale = nn.Parameter(torch.tensor(float(scale)))\n"
            "        self.register_buffer('running_mean', torch.zeros(n_in))\n"
            "\n"
            "    def forward(self, x):\n"
            "        if self.training:\n"
            "            self.running_mean = 0.1 * self.running_mean + 0.9 * x.mean(0)\n"
            "        return self.scale * self.linear(x)\n",
            None,
        ),
    },
    "ex-freeze-layers": {
        "requires_grad set on the module": (
            "def freeze(model, names):\n"
            "    for name in names:\n"
            "        getattr(model, name).requires_grad = False\n"
            "    return sum(p.numel() for p in model.parameters() if p.requires_grad)\n",
            "A module has no requires_grad flag",  # the check's own message says it
        ),
        "tensors counted, not numbers": (
            "def freeze(model, names):\n"
            "    for name, p in model.named_parameters():\n"
            "        if name.split('.')[0] in names:\n"
            "            p.requires_grad = False\n"
            "    return len([p for p in model.parameters() if p.requires_grad])\n",
            "you counted the parameter tensors",
        ),
        "a prefix match that also freezes fc2": (
            "def freeze(model, names):\n"
            "    for name, p in model.named_parameters():\n"
            "        if any(name.startswith(n) for n in names):\n"
            "            p.requires_grad_(False)\n"
            "    return sum(p.numel() for p in model.parameters() if p.requires_grad)\n",
            "`'fc2.weight'.startswith('fc')` is True",
        ),
        "only the weights frozen": (
            "def freeze(model, names):\n"
            "    for name in names:\n"
            "        getattr(model, name).weight.requires_grad_(False)\n"
            "    return sum(p.numel() for p in model.parameters() if p.requires_grad)\n",
            None,
        ),
        "every parameter counted": (
            "def freeze(model, names):\n"
            "    for name in names:\n"
            "        getattr(model, name).requires_grad_(False)\n"
            "    return sum(p.numel() for p in model.parameters())\n",
            None,
        ),
    },
}


def _check(checker, exercise_id, source):
    result = check_source(checker, exercise_id, source)
    assert result.error is None, result.error
    return result


@pytest.mark.parametrize(("exercise_id", "style"), [(k, s) for k, v in RIGHT.items() for s in v])
def test_a_right_file_in_a_learners_style_passes(checker, exercise_id, style):
    result = _check(checker, exercise_id, RIGHT[exercise_id][style])
    assert result.passed, [c.message for c in result.failed_checks]


@pytest.mark.parametrize(("exercise_id", "mistake"), [(k, m) for k, v in WRONG.items() for m in v])
def test_a_mistake_fails_and_a_known_habit_is_named_first(checker, exercise_id, mistake):
    source, named = WRONG[exercise_id][mistake]
    result = _check(checker, exercise_id, source)
    assert not result.passed, mistake
    assert all(c.message for c in result.failed_checks)
    first = result.failed_checks[0].message
    if named is None:
        assert not any(
            first.startswith(m.message[:30]) for m in exercise(exercise_id).misconceptions
        ), first
    else:
        assert named in first, first
