"""Provides the Catalog: every loaded lesson, its terms, questions and experiments, and search."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from lab import paths
from lab.catalog.exercise_schema import Exercise
from lab.catalog.loader import LoadedLesson, Problem, load_file
from lab.catalog.schema import LINK, Experiment, Lesson, Term
from lab.catalog.settings import SettingError, parse_setting


@dataclass(frozen=True)
class TermEntry:
    term: Term
    lesson: str  # the id of the lesson that defines it

    def names(self) -> list[str]:
        """Every name a learner may look the term up by: term, aliases, translations."""
        t = self.term
        return [t.term, *t.aliases, *(x for x in (t.translations.zh, t.translations.fr) if x)]

    def to_json(self) -> dict:
        """The stable JSON shape of `lab glossary --json`."""
        t = self.term
        return {
            "term": t.term,
            "aliases": list(t.aliases),
            "short": t.short,
            "definition": t.definition,
            "translations": {"zh": t.translations.zh, "fr": t.translations.fr},
            "see_also": list(t.see_also),
            "lesson": self.lesson,
        }


@dataclass(frozen=True)
class ExperimentEntry:
    experiment: Experiment
    lesson: str
    lesson_dir: Path  # relative data paths (a lesson's CSV) are resolved from here


@dataclass(frozen=True)
class ExerciseEntry:
    exercise: Exercise
    lesson: str
    index: int  # its place in the lesson's `exercises`, for problems pointing into the file
    source: LoadedLesson

    def problem(self, loc: tuple, message: str) -> Problem:
        """A problem at `loc` inside this exercise (`("checks", 2)`), as `file:line:col`."""
        return self.source.problem(("exercises", self.index, *loc), message)


class Catalog:
    """Lessons in teaching order plus every problem found while loading them."""

    def __init__(self, loaded: list[LoadedLesson], problems: list[Problem]):
        self.problems = list(problems)
        self._loaded: dict[str, LoadedLesson] = {}
        for item in sorted(loaded, key=lambda x: (x.lesson.order, x.lesson.id)):
            first = self._loaded.get(item.lesson.id)
            if first:
                self.problems.append(
                    item.problem(
                        ("id",), f"lesson id {item.lesson.id!r} is also used by {first.path}"
                    )
                )
            else:
                self._loaded[item.lesson.id] = item
        self._terms: dict[str, TermEntry] = {}
        self._names: dict[str, str] = {}  # casefolded term, alias or translation -> term
        self._experiments: dict[str, ExperimentEntry] = {}
        self._question_lesson: dict[str, str] = {}
        self._predictions: dict[str, str] = {}  # prediction's question id -> experiment id
        self._exercises: dict[str, ExerciseEntry] = {}
        self._index()
        self._cross_check()

    # --- building -------------------------------------------------------------------------

    def _index(self) -> None:
        for item in self._loaded.values():
            lesson = item.lesson
            for i, term in enumerate(lesson.glossary):
                key = term.term.casefold()
                if key in self._terms:
                    other = self._terms[key].lesson
                    self.problems.append(
                        item.problem(
                            ("glossary", i, "term"),
                            f"term {term.term!r} is also defined in lesson {other!r}",
                        )
                    )
                    continue
                self._terms[key] = TermEntry(term, lesson.id)
                for j, name in enumerate([term.term, *term.aliases]):
                    owner = self._names.setdefault(name.casefold(), key)
                    if owner != key:
                        loc = (
                            ("glossary", i, "term") if j == 0 else ("glossary", i, "aliases", j - 1)
                        )
                        self.problems.append(
                            item.problem(
                                loc,
                                f"{name!r} already names the term {self._terms[owner].term.term!r}",
                            )
                        )
            for i, exp in enumerate(lesson.experiments):
                if exp.id in self._experiments:
                    other = self._experiments[exp.id].lesson
                    self.problems.append(
                        item.problem(
                            ("experiments", i, "id"),
                            f"experiment id {exp.id!r} is also used in lesson {other!r}",
                        )
                    )
                    continue
                self._experiments[exp.id] = ExperimentEntry(exp, lesson.id, item.path.parent)
            for i, q in enumerate(lesson.quiz):
                if q.id in self._question_lesson:
                    other = self._question_lesson[q.id]
                    self.problems.append(
                        item.problem(
                            ("quiz", i, "id"),
                            f"question id {q.id!r} is also used in lesson {other!r}",
                        )
                    )
                    continue
                self._question_lesson[q.id] = lesson.id
            for i, exp in enumerate(lesson.experiments):
                # A prediction is answered like a quiz question: its id shares their namespace.
                q = exp.predict
                if q is None or self._experiments[exp.id].experiment is not exp:
                    continue  # no prediction, or a duplicate experiment (already reported)
                if q.id in self._question_lesson:
                    other = self._question_lesson[q.id]
                    self.problems.append(
                        item.problem(
                            ("experiments", i, "predict", "id"),
                            f"question id {q.id!r} is also used in lesson {other!r}",
                        )
                    )
                    continue
                self._question_lesson[q.id] = lesson.id
                self._predictions[q.id] = exp.id
            for i, ex in enumerate(lesson.exercises):
                if ex.id in self._exercises:
                    other = self._exercises[ex.id].lesson
                    self.problems.append(
                        item.problem(
                            ("exercises", i, "id"),
                            f"exercise id {ex.id!r} is also used in lesson {other!r}",
                        )
                    )
                    continue
                self._exercises[ex.id] = ExerciseEntry(ex, lesson.id, i, item)

    def _cross_check(self) -> None:
        for item in self._loaded.values():
            lesson = item.lesson
            for i, prereq in enumerate(lesson.prerequisites):
                if prereq not in self._loaded:
                    self.problems.append(
                        item.problem(("prerequisites", i), f"unknown lesson {prereq!r}")
                    )
            for i, section in enumerate(lesson.sections):
                for link in _links(section.body):
                    if not self.term(link):
                        self.problems.append(
                            item.problem(
                                ("sections", i, "body"), f"[[{link}]] links to no glossary term"
                            )
                        )
            for i, exp in enumerate(lesson.experiments):
                if exp.predict is not None:
                    for name, value in exp.predict.settings.items():
                        try:
                            parse_setting(exp, name, value)
                        except SettingError as exc:
                            self.problems.append(
                                item.problem(
                                    ("experiments", i, "predict", "settings", name), str(exc)
                                )
                            )
            for i, term in enumerate(lesson.glossary):
                for j, other in enumerate(term.see_also):
                    if not self.term(other):
                        self.problems.append(
                            item.problem(
                                ("glossary", i, "see_also", j),
                                f"see-also {other!r} is no glossary term",
                            )
                        )

    # --- lookups --------------------------------------------------------------------------

    @property
    def lessons(self) -> list[Lesson]:
        return [item.lesson for item in self._loaded.values()]

    def lesson(self, lesson_id: str) -> Lesson | None:
        item = self._loaded.get(lesson_id)
        return item.lesson if item else None

    def lesson_path(self, lesson_id: str) -> Path | None:
        item = self._loaded.get(lesson_id)
        return item.path if item else None

    def terms(self) -> list[TermEntry]:
        return sorted(self._terms.values(), key=lambda e: e.term.term.casefold())

    def term(self, name: str) -> TermEntry | None:
        """The term whose name or alias is exactly `name`, ignoring case."""
        key = self._names.get(name.strip().casefold())
        return self._terms.get(key) if key else None

    def experiments(self) -> list[ExperimentEntry]:
        return list(self._experiments.values())

    def experiment(self, experiment_id: str) -> ExperimentEntry | None:
        return self._experiments.get(experiment_id)

    def exercises(self, lesson: str | None = None) -> list[ExerciseEntry]:
        """Exercises in teaching order, of one lesson or all."""
        return [e for e in self._exercises.values() if lesson is None or e.lesson == lesson]

    def exercise(self, exercise_id: str) -> ExerciseEntry | None:
        return self._exercises.get(exercise_id)

    def lesson_of_question(self, question_id: str) -> str | None:
        return self._question_lesson.get(question_id)

    def prediction(self, question_id: str) -> ExperimentEntry | None:
        """The experiment whose prediction has this question id."""
        experiment = self._predictions.get(question_id)
        return self._experiments[experiment] if experiment else None

    def predictions(self) -> list[ExperimentEntry]:
        """Experiments that ask a prediction, in teaching order."""
        return [self._experiments[e] for e in self._predictions.values()]

    def search_terms(self, query: str, limit: int = 8) -> list[tuple[TermEntry, float]]:
        """Terms best matching `query` on term, aliases and translations, best first."""
        from lab.catalog.search import rank

        entries = self.terms()
        return [
            (entries[i], score) for i, score in rank(query, [e.names() for e in entries], limit)
        ]


def _links(body: str) -> list[str]:
    return [m.group(1).strip() for m in LINK.finditer(body)]


def load_catalog(dirs: Iterable[Path] | None = None) -> Catalog:
    """Load every lesson file of `dirs` (default: shipped lessons plus LAB_LESSONS)."""
    loaded, problems = [], []
    for path in paths.lesson_files(paths.default_lesson_dirs() if dirs is None else dirs):
        item, found = load_file(path)
        problems.extend(found)
        if item:
            loaded.append(item)
    return Catalog(loaded, problems)
