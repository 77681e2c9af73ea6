"""The fine-tuning lesson's exercises: each right file in a learner's style passes, each near
miss fails, and a known habit is named first."""

from __future__ import annotations

import pytest

from tests.exercises.conftest import check_source

RIGHT = {
    "ex-new-head": {
        "a new Sequential around the old layers": (
            "import torch.nn as nn\n"
            "\n"
            "def new_head(model, n_classes):\n"
            "    features = model[-1].weight.shape[1]\n"
            "    return nn.Sequential(*list(model)[:-1], nn.Linear(features, n_classes))\n"
        ),
        "an index counted from the front": (
            "from torch import nn\n"
            "\n"
            "def new_head(model, n_classes):\n"
            "    last = list(model.children())[-1]\n"
            "    model[len(model) - 1] = nn.Linear(in_features=last.in_features,\n"
            "                                      out_features=n_classes)\n"
            "    return model\n"
        ),
    },
    "ex-finetune-optimizer": {
        "names and a default rate": (
            "from torch import optim\n"
            "\n"
            "def finetune_optimizer(model, body_lr, head_lr):\n"
            "    last = str(len(model) - 1)\n"
            "    body = [p for n, p in model.named_parameters()\n"
            "            if not n.startswith(last + '.')]\n"
            "    return optim.Adam([{'params': body, 'lr': body_lr},\n"
            "                       {'params': model[-1].parameters()}], lr=head_lr)\n"
        ),
        "slices of the parameter list": (
            "import torch\n"
            "\n"
            "def finetune_optimizer(model, body_lr, head_lr):\n"
            "    params = list(model.parameters())\n"
            "    groups = [dict(params=params[:-2], lr=body_lr),\n"
            "              dict(params=params[-2:], lr=head_lr)]\n"
            "    return torch.optim.Adam(params=groups)\n"
        ),
        "the body as a Sequential": (
            "import torch\n"
            "\n"
            "def finetune_optimizer(model, body_lr, head_lr):\n"
            "    return torch.optim.Adam([\n"
            "        {'params': model[:-1].parameters(), 'lr': body_lr},\n"
            "        {'params': model[-1].parameters(), 'lr': head_lr},\n"
            "    ])\n"
        ),
    },
}

WRONG = {
    "ex-new-head": {
        "the example's 8 written in": (
            "from torch import nn\n"
            "\n"
            "def new_head(model, n_classes):\n"
            "    model[-1] = nn.Linear(8, n_classes)\n"
            "    return model\n"
        ),
        "the old head's outputs as the new one's inputs": (
            "from torch import nn\n"
            "\n"
            "def new_head(model, n_classes):\n"
            "    model[-1] = nn.Linear(model[-1].out_features, n_classes)\n"
            "    return model\n"
        ),
    },
    "ex-finetune-optimizer": {
        "the head alone": (
            "import torch\n"
            "\n"
            "def finetune_optimizer(model, body_lr, head_lr):\n"
            "    return torch.optim.Adam(model[-1].parameters(), lr=head_lr)\n"
        ),
        "every layer in the body, the head too": (
            "import torch\n"
            "\n"
            "def finetune_optimizer(model, body_lr, head_lr):\n"
            "    return torch.optim.Adam([\n"
            "        {'params': list(model.parameters())[:-1], 'lr': body_lr},\n"
            "        {'params': list(model.parameters())[-1:], 'lr': head_lr},\n"
            "    ])\n"
        ),
    },
}

HABITS = {
    "512 written in": (
        "ex-new-head",
        "from torch import nn\n\ndef new_head(model, n_classes):\n"
        "    model[-1] = nn.Linear(512, n_classes)\n    return model\n",
        "the new head takes 512 inputs whatever the model",
    ),
    "out_features changed in place": (
        "ex-new-head",
        "def new_head(model, n_classes):\n"
        "    model[-1].out_features = n_classes\n    return model\n",
        "changing `out_features` only changes the number the layer reports",
    ),
    "a layer added after the old head": (
        "ex-new-head",
        "import torch.nn as nn\n\ndef new_head(model, n_classes):\n"
        "    model.append(nn.Linear(model[-1].out_features, n_classes))\n    return model\n",
        "you added a layer after the old head",
    ),
    "every parameter in the body's group": (
        "ex-finetune-optimizer",
        "import torch\n\ndef finetune_optimizer(model, body_lr, head_lr):\n"
        "    return torch.optim.Adam([{'params': model.parameters(), 'lr': body_lr},\n"
        "                             {'params': model[-1].parameters(), 'lr': head_lr}])\n",
        "the first group holds every parameter of the model",
    ),
    "the rates swapped": (
        "ex-finetune-optimizer",
        "import torch\n\ndef finetune_optimizer(model, body_lr, head_lr):\n"
        "    return torch.optim.Adam([{'params': model[:-1].parameters(), 'lr': head_lr},\n"
        "                             {'params': model[-1].parameters(), 'lr': body_lr}])\n",
        "the two rates are swapped",
    ),
}


@pytest.mark.parametrize(("exercise_id", "style"), [(k, s) for k, v in RIGHT.items() for s in v])
def test_a_right_file_in_a_learners_style_passes(checker, exercise_id, style):
    result = check_source(checker, exercise_id, RIGHT[exercise_id][style])
    assert result.passed, [c.message for c in result.failed_checks] or result.error


@pytest.mark.parametrize(("exercise_id", "mistake"), [(k, m) for k, v in WRONG.items() for m in v])
def test_a_near_miss_fails_with_a_message(checker, exercise_id, mistake):
    result = check_source(checker, exercise_id, WRONG[exercise_id][mistake])
    assert result.error is None, result.error
    assert not result.passed, mistake
    assert all(c.message for c in result.failed_checks)


@pytest.mark.parametrize("habit", HABITS)
def test_a_known_habit_is_named_first(checker, habit):
    exercise_id, source, named = HABITS[habit]
    result = check_source(checker, exercise_id, source)
    assert result.error is None, result.error
    assert not result.passed
    assert result.failed_checks[0].message.startswith(named), result.failed_checks[0].message
