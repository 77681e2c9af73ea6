"""Provides `lab quiz --plain`, `lab progress` and its export and import."""
