"""Provides the review log: quiz and flashcard answers, each card's fsrs state, lessons read.

Answers go to an append-only review log (each row with a stable uuid, so export/import merges
without duplicates); each card's fsrs state is updated in the same transaction and can always be
rebuilt from the log.
"""

from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from lab.store import recall
from lab.store.base import StoreBase
from lab.store.values import iso, parse_time, utc, utc_now

if TYPE_CHECKING:
    from fsrs import Card

REVIEW_KEYS = (
    "uuid",
    "question_id",
    "lesson",
    "correct",
    "answer",
    "rating",
    "reviewed_at",
    "overruled",
)
TERM_PREFIX = "term:"
"""A glossary flashcard's card id is this prefix and the term; a question's is its id."""


@dataclass
class CardInfo:
    """A question's (or a term's) spaced-repetition state."""

    question_id: str
    lesson: str
    card: Card
    due: datetime
    last_correct: bool
    reviews: int


class ReviewLog(StoreBase):
    """Answers and lessons read."""

    def record_answer(
        self,
        question_id: str,
        lesson: str,
        correct: bool,
        answer: str,
        rating: int,
        reviewed_at: datetime | None = None,
        review_uuid: str | None = None,
        *,
        overruled: bool = False,
    ) -> CardInfo:
        """Append the answer to the review log and update the card, in one transaction.

        `overruled`: the learner said "I was right" to an answer graded wrong (it is stored
        as right, and marked so in the log)."""
        reviewed_at = reviewed_at or utc_now()
        review_uuid = review_uuid or str(uuidlib.uuid4())
        with self._write() as conn:
            conn.execute(
                "INSERT INTO reviews (uuid, question_id, lesson, correct, answer, rating,"
                " reviewed_at, overruled) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    review_uuid,
                    question_id,
                    lesson,
                    int(bool(correct)),
                    str(answer),
                    int(rating),
                    iso(reviewed_at),
                    int(overruled),
                ),
            )
            row = conn.execute(
                "SELECT card FROM cards WHERE question_id = ?", (question_id,)
            ).fetchone()
            card = recall.card_from_json(row[0]) if row else None
            if card is not None and card.last_review and card.last_review >= utc(reviewed_at):
                # An answer not newer than the card's last one (an import, a clock step back):
                # rebuild from the whole log, ties in uuid order, as every copy of it would.
                info = self._rebuild(conn, question_id)
                assert info is not None  # from the answer just logged, at least
            else:
                card = card or recall.new_card(question_id)
                card = recall.review(card, rating, reviewed_at)
                info = self._save_card(conn, question_id, lesson, card, correct, row is None)
        return info

    def overrule(self, review_uuid: str, rating: int) -> CardInfo | None:
        """Mark a stored answer right after all ("I was right"), overruled, and rebuild its
        card from the log. The CardInfo, or None when no such answer is stored."""
        with self._write() as conn:
            row = conn.execute(
                "SELECT question_id FROM reviews WHERE uuid = ?", (review_uuid,)
            ).fetchone()
            if row is None:
                return None
            conn.execute(
                "UPDATE reviews SET correct = 1, rating = ?, overruled = 1 WHERE uuid = ?",
                (int(rating), review_uuid),
            )
            return self._rebuild(conn, row[0])

    def _save_card(self, conn, question_id, lesson, card, correct, new: bool) -> CardInfo:
        if new:
            conn.execute(
                "INSERT INTO cards (question_id, lesson, card, due, last_correct, reviews)"
                " VALUES (?, ?, ?, ?, ?, 1)",
                (question_id, lesson, recall.card_to_json(card), iso(card.due), int(correct)),
            )
        else:
            conn.execute(
                "UPDATE cards SET lesson = ?, card = ?, due = ?, last_correct = ?,"
                " reviews = reviews + 1 WHERE question_id = ?",
                (lesson, recall.card_to_json(card), iso(card.due), int(correct), question_id),
            )
        row = conn.execute("SELECT reviews FROM cards WHERE question_id = ?", (question_id,))
        return CardInfo(question_id, lesson, card, card.due, bool(correct), row.fetchone()[0])

    def _rebuild(self, conn, question_id: str) -> CardInfo | None:
        rows = conn.execute(
            "SELECT lesson, correct, rating, reviewed_at FROM reviews WHERE question_id = ?"
            " ORDER BY reviewed_at, uuid",
            (question_id,),
        ).fetchall()
        if not rows:
            return None
        card = recall.rebuild(question_id, [(r[2], parse_time(r[3])) for r in rows])
        lesson, correct = rows[-1][0], bool(rows[-1][1])
        conn.execute(
            "INSERT OR REPLACE INTO cards (question_id, lesson, card, due, last_correct, reviews)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (question_id, lesson, recall.card_to_json(card), iso(card.due), correct, len(rows)),
        )
        return CardInfo(question_id, lesson, card, card.due, correct, len(rows))

    def card(self, question_id: str) -> CardInfo | None:
        rows = self._read(
            "SELECT lesson, card, due, last_correct, reviews FROM cards WHERE question_id = ?",
            (question_id,),
        )
        if not rows:
            return None
        lesson, card, due, last, n = rows[0]
        return CardInfo(
            question_id, lesson, recall.card_from_json(card), parse_time(due), bool(last), n
        )

    def cards(self, lesson: str | None = None) -> dict[str, CardInfo]:
        sql = "SELECT question_id, lesson, card, due, last_correct, reviews FROM cards"
        rows = self._read(sql + " WHERE lesson = ?", (lesson,)) if lesson else self._read(sql)
        return {
            q: CardInfo(q, les, recall.card_from_json(c), parse_time(d), bool(last), n)
            for q, les, c, d, last, n in rows
        }

    def due(
        self, now: datetime | None = None, lesson: str | None = None, *, terms: bool = False
    ) -> list[str]:
        """Ids of cards due at `now`, most overdue first: questions, or with terms=True the
        glossary flashcards (`term:<term>`)."""
        sql = "SELECT question_id FROM cards WHERE due <= ? AND question_id "
        sql += "LIKE ?" if terms else "NOT LIKE ?"
        args: tuple = (iso(now or utc_now()), TERM_PREFIX + "%")
        if lesson:
            sql += " AND lesson = ?"
            args += (lesson,)
        return [r[0] for r in self._read(sql + " ORDER BY due, question_id", args)]

    def reviews(self, question_id: str | None = None) -> list[dict]:
        """The review log, oldest first."""
        sql = (
            "SELECT uuid, question_id, lesson, correct, answer, rating, reviewed_at, overruled"
            " FROM reviews"
        )
        if question_id:
            rows = self._read(
                sql + " WHERE question_id = ? ORDER BY reviewed_at, id", (question_id,)
            )
        else:
            rows = self._read(sql + " ORDER BY reviewed_at, id")
        keys = REVIEW_KEYS
        out = [dict(zip(keys, r, strict=True)) for r in rows]
        for r in out:
            r["correct"], r["overruled"] = bool(r["correct"]), bool(r["overruled"])
        return out

    def review_count(self) -> int:
        return self._read("SELECT count(*) FROM reviews")[0][0]

    def answer_counts(self) -> dict[str, int]:
        """Quiz answers per lesson (flashcards not counted)."""
        sql = "SELECT lesson, count(*) FROM reviews WHERE question_id NOT LIKE ? GROUP BY lesson"
        return dict(self._read(sql, (TERM_PREFIX + "%",)))

    def mark_read(self, lesson: str, when: datetime | None = None) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO lessons_read (lesson, read_at) VALUES (?, ?)",
                (lesson, iso(when or utc_now())),
            )

    def lessons_read(self) -> dict[str, datetime]:
        return {
            r[0]: parse_time(r[1]) for r in self._read("SELECT lesson, read_at FROM lessons_read")
        }
