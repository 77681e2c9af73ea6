"""Runs of experiments, headless: the session both front-ends drive and the recorder it writes
through (no torch, no textual)."""
