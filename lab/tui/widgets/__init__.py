"""Provides reusable widgets of the lab app."""
