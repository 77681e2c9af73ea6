"""Lets `python -m lab` run the `lab` command."""

from lab.launch import main

main()
