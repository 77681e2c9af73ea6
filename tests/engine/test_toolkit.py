"""views-and-copies: the relatives that share x's memory see an in-place write, the others
keep their values, and a name pointed at a new tensor changes none of them."""

from __future__ import annotations

import pytest

from lab.engine.events import Log
from tests.engine.conftest import done_of, run_all, scripted_run


def _lines(events) -> dict[str, str]:
    """The log line of each relative, by the code that made it."""
    lines = {}
    for e in events:
        if isinstance(e, Log):
            head, _, rest = e.text.partition("  ")
            lines[head.strip()] = rest
    return lines


@pytest.mark.parametrize("update", ["x.add_(100)", "x += 100"])
def test_an_in_place_write_reaches_the_views_and_numpy_but_not_the_copies(update):
    events = run_all(scripted_run("views-and-copies", {"update": update}))
    assert done_of(events).metrics == {"changed": 5.0, "unchanged": 3.0, "shared": 5.0}
    lines = _lines(events)
    for view in ("x[1]", "x[:, 0]", "x.view(-1)", "a", "x.numpy()"):
        assert "shares x's memory" in lines[view] and "changed: " in lines[view]
    assert lines["x[1]"].endswith("changed: [104, 105, 106, 107]")
    assert lines["x[:, 0]"].endswith("changed: [100, 104, 108]")
    for copy in ("x[x > 5]", "x.clone()", "torch.tensor(a)"):
        assert "has its own memory" in lines[copy] and "kept its values" in lines[copy]


def test_a_new_tensor_under_the_old_name_changes_nothing():
    events = run_all(scripted_run("views-and-copies", {"update": "x = x + 100"}))
    assert done_of(events).metrics == {"changed": 0.0, "unchanged": 8.0, "shared": 5.0}
    texts = [e.text for e in events if isinstance(e, Log)]
    assert any("x is a new tensor, off a's memory" in t for t in texts)
    assert _lines(events)["x[1]"].endswith("kept its values: [4, 5, 6, 7]")


def test_the_run_shows_autograd_refusing_in_place_writes():
    texts = [e.text for e in run_all(scripted_run("views-and-copies")) if isinstance(e, Log)]
    assert any("a leaf Variable that requires grad" in t for t in texts)
    assert any("modified by an inplace operation" in t for t in texts)


def test_an_unknown_update_is_refused_in_one_line():
    done = done_of(run_all(scripted_run("views-and-copies", {"update": "x.mul_(2)"})))
    assert done.status == "failed"
    assert "update must be one of x.add_(100), x += 100, x = x + 100" in done.reason
