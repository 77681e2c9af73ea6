"""Quizzes without any UI: grading of every question kind, fsrs scheduling, and quiz sessions."""
