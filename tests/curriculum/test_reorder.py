"""Progress is keyed by lesson id: a learner who worked through the course in its earlier
order keeps every lesson read, answer and exercise when the lessons move."""

from __future__ import annotations

from lab.catalog import load_catalog
from lab.quiz.standing import home_figures, next_step

# The first fourteen lessons of the course before round 3's reorder, in that order.
EARLIER_ORDER = [
    "what-is-ml",
    "tensors",
    "linear-model",
    "gradient-descent",
    "batches-and-epochs",
    "backpropagation",
    "linear-regression",
    "logistic-regression",
    "datasets-and-dataloaders",
    "building-networks",
    "optimizers",
    "preparing-data",
    "convolutional-networks",
    "training-well",
]


def test_a_learners_progress_survives_the_reorder(shipped_lessons, store):
    catalog = load_catalog()
    lessons = {lesson.id: lesson for lesson in catalog.lessons}
    for lesson_id in EARLIER_ORDER:
        store.mark_read(lesson_id)
        for question in lessons[lesson_id].quiz:
            store.record_answer(question.id, lesson_id, True, "right", rating=3)
        for entry in catalog.exercises(lesson_id):
            store.record_exercise(entry.exercise.id, lesson_id, True)

    figures = home_figures(store, catalog)

    for lesson_id in EARLIER_ORDER:
        progress = figures.lessons[lesson_id]
        assert progress.read and progress.seen == len(lessons[lesson_id].quiz)
        assert progress.exercises_done == len(catalog.exercises(lesson_id))
    # the course moved: lessons the learner has not read now come between those they have,
    # and Continue opens the first of them in the new order
    order = [lesson.id for lesson in catalog.lessons]
    assert order != EARLIER_ORDER[: len(order)]
    first_unread = next(i for i in order if i not in EARLIER_ORDER)
    assert order.index(first_unread) < order.index("training-well")
    step = next_step(catalog, figures)
    assert step is not None and step.target == first_unread
