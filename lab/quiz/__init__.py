"""Quizzes without any UI: grading of every question kind, fsrs scheduling, and quiz sessions."""

MASTERY_HELP = (
    "Mastery is the expected recall now: the chance, as the spaced-repetition model (fsrs) "
    "estimates it, that you would answer each of the lesson's questions right today, averaged "
    "over all of them (a question never answered, or last answered wrong, counts 0). It fades "
    "as time passes and rises with each review. Flashcards have their own figure (cards)."
)
"""What the mastery figure means, for help texts (this package imports nothing heavy)."""
