"""Export and import: a roundtrip keeps everything; importing merges without duplicates."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lab.store import Store, StoreError

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)


def _fill(store: Store, prefix: str, n: int, start: datetime = T0) -> None:
    for i in range(n):
        store.record_answer(
            f"{prefix}{i % 3}",
            "l1",
            i % 2 == 0,
            str(i),
            3 if i % 2 == 0 else 1,
            start + timedelta(hours=i),
        )
    store.mark_read("l1", start)
    run_id = store.start_run(f"{prefix}fit", "l1", {"lr": 0.1}, {"lr": 0.2}, 1, "cpu", "t")
    store.add_epoch(run_id, 1, {"train_loss": 0.3})
    store.add_points(
        run_id, [(s, "train", 1.0 / (s + 1)) for s in range(50)] + [(50, "train", float("inf"))]
    )
    store.finish_run(run_id, "completed", "", {"train_loss": 0.3}, 2.0)


def _cards(store):
    return {q: (c.due, c.reviews, c.last_correct) for q, c in store.cards().items()}


def test_roundtrip_into_a_fresh_store(tmp_path):
    with Store.open(tmp_path / "a.db") as a:
        _fill(a, "q", 10)
        data = json.loads(json.dumps(a.export_json()))  # through real JSON text
        cards_a = _cards(a)
        run_a = a.run(a.runs()[0].id)
    with Store.open(tmp_path / "b.db") as b:
        assert b.import_json(data) == {"reviews": 10, "lessons_read": 1, "runs": 1}
        assert _cards(b) == cards_a, "cards rebuilt from the log match"
        run_b = b.run(b.runs()[0].id)
        assert (run_b.uuid, run_b.epochs, run_b.points, run_b.tweaks) == (
            run_a.uuid,
            run_a.epochs,
            run_a.points,
            run_a.tweaks,
        )
        assert b.import_json(data) == {"reviews": 0, "lessons_read": 0, "runs": 0}
        assert b.review_count() == 10 and len(b.runs()) == 1


def test_import_merges_two_machines_without_duplicates(tmp_path):
    with Store.open(tmp_path / "a.db") as a, Store.open(tmp_path / "b.db") as b:
        _fill(a, "q", 6)
        _fill(b, "q", 4, start=T0 + timedelta(minutes=30))  # same questions, other answers
        exported = a.export_json()
        assert b.import_json(exported)["reviews"] == 6
        assert a.import_json(b.export_json())["reviews"] == 4
        assert a.review_count() == b.review_count() == 10
        assert _cards(a) == _cards(b)
        assert len(a.runs()) == len(b.runs()) == 2
        assert b.import_json(exported)["reviews"] == 0


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"format": "other"},
        {"format": "lab-progress", "version": 99},
        {"format": "lab-progress", "version": 1, "reviews": [{"uuid": "x"}]},
    ],
)
def test_a_bad_export_is_refused_with_a_store_error(store, data):
    with pytest.raises(StoreError):
        store.import_json(data)
    assert store.review_count() == 0


answers = st.lists(
    st.tuples(
        st.sampled_from(["q1", "q2", "term:grad"]),
        st.booleans(),
        st.integers(1, 4),
        st.integers(0, 60 * 24 * 60),
    ),
    max_size=25,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(first=answers, second=answers)
def test_merging_is_idempotent_and_order_free(tmp_path_factory, first, second):
    """Whatever two stores hold, merging both ways gives the same log and the same cards."""
    tmp = tmp_path_factory.mktemp("merge")
    with Store.open(tmp / "a.db") as a, Store.open(tmp / "b.db") as b:
        for store, rows in ((a, first), (b, second)):
            for q, ok, rating, minutes in rows:
                store.record_answer(q, "l", ok, "x", rating, T0 + timedelta(minutes=minutes))
        a.import_json(b.export_json())
        b.import_json(a.export_json())
        assert sorted(r["uuid"] for r in a.reviews()) == sorted(r["uuid"] for r in b.reviews())
        assert a.review_count() == len(first) + len(second)
        assert _cards(a) == _cards(b)
        assert a.import_json(b.export_json()) == {"reviews": 0, "lessons_read": 0, "runs": 0}
