"""An answer the learner overrules ("I was right") counts as right and is marked in the log."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from lab.store import Store

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)


def test_overruling_a_stored_answer_rewrites_it_and_rebuilds_the_card(lab_home):
    with Store.open() as store:
        store.record_answer("q", "l", True, "a", 3, T0 - timedelta(days=3), "u-0")
        wrong = store.record_answer("q", "l", False, "saddle points", 1, T0, "u-1")
        info = store.overrule("u-1", 3)
        assert info.last_correct and info.due > wrong.due
        log = store.reviews("q")
        assert [(r["correct"], r["rating"], r["overruled"]) for r in log] == [
            (True, 3, False),
            (True, 3, True),
        ]
        assert store.card("q").due == info.due
        assert store.overrule("no-such-answer", 3) is None


def test_an_overrule_travels_in_export_and_import(lab_home, tmp_path):
    with Store.open() as store:
        store.record_answer("q", "l", False, "x", 1, T0, "u-1")
        before = store.export_json()
        store.overrule("u-1", 3)
        after = store.export_json()
    assert [r["overruled"] for r in after["reviews"]] == [True]
    other = Store.open(tmp_path / "other.db")
    with other:
        other.import_json(before)
        assert not other.card("q").last_correct
        counts = other.import_json(after)
        assert counts["reviews"] == 0, "the same answer, not a new one"
        assert other.reviews()[0]["overruled"] and other.card("q").last_correct
