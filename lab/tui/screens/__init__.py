"""Provides the screens of the lab app, one per file."""
