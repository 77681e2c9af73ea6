"""What "Continue" on home offers: the next unfinished step of the course."""

from __future__ import annotations

from types import SimpleNamespace

from lab.quiz.standing import HomeFigures, LessonProgress, next_step


def lesson(lesson_id: str, questions: int) -> SimpleNamespace:
    return SimpleNamespace(id=lesson_id, title=lesson_id.title(), quiz=[None] * questions)


class Catalog:
    lessons = [lesson("tensors", 2), lesson("autograd", 0), lesson("models", 3)]
    _exercises = {"tensors": ["make-a-tensor"], "autograd": ["grad-of-square"]}

    def exercises(self, lesson_id: str):
        return [
            SimpleNamespace(exercise=SimpleNamespace(id=x, title=x.replace("-", " ")))
            for x in self._exercises.get(lesson_id, [])
        ]


def step(done=(), **lessons: LessonProgress):
    figures = HomeFigures(lessons=lessons, done=frozenset(done))
    found = next_step(Catalog(), figures)
    return (found.target, found.text) if found else None


def test_the_first_lesson_unread_comes_first():
    assert step() == ("tensors", "read lesson 1 of 3, Tensors")


def test_after_reading_the_quiz_then_the_exercise():
    read = LessonProgress(read=True)
    assert step(tensors=read) == ("quiz:tensors", "the quiz of lesson 1 of 3, Tensors")
    quizzed = LessonProgress(read=True, seen=2)
    assert step(tensors=quizzed) == (
        "make-a-tensor",
        "exercise 'make a tensor' of lesson 1 of 3, Tensors",
    )
    assert step({"make-a-tensor"}, tensors=quizzed) == ("autograd", "read lesson 2 of 3, Autograd")


def test_reviews_due_in_a_lesson_read_come_before_new_lessons():
    quizzed = LessonProgress(read=True, seen=2)
    read = LessonProgress(read=True)
    due = LessonProgress(read=True, seen=2, due=1)
    done = {"make-a-tensor", "grad-of-square"}
    assert step(done, tensors=quizzed, autograd=read) == ("models", "read lesson 3 of 3, Models")
    assert step(done, tensors=due, autograd=read) == (
        "quiz:tensors",
        "review lesson 1 of 3, Tensors (1 due)",
    )


def test_nothing_left_when_all_is_done():
    done = {"make-a-tensor", "grad-of-square"}
    finished = LessonProgress(read=True, seen=3)
    assert step(done, tensors=finished, autograd=finished, models=finished) is None
