"""Provides `lab run` and `lab runs`: training from the command line, and the run history."""
