"""A terminal learning lab for deep learning with PyTorch."""

__version__ = "0.1.0"
