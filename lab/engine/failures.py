"""Provides what a failed run tells the learner: one readable line, out of memory named as such."""

from __future__ import annotations

import re

import torch

from lab.engine.memory import size


def out_of_memory(exc: BaseException) -> str | None:
    """What ran out when the exception is a failed allocation ("GPU", "computer"), else None."""
    text = str(exc)
    if isinstance(exc, torch.cuda.OutOfMemoryError) or "CUDA out of memory" in text:
        return "GPU"
    if isinstance(exc, MemoryError) or "DefaultCPUAllocator" in text:
        return "computer"
    if "out of memory" in text:  # MPS and other back ends
        return "GPU" if "MPS" not in text else "Mac's GPU"
    return None


def readable(exc: BaseException) -> str:
    """One line a learner can act on."""
    first = (str(exc).strip().splitlines() or [""])[0]
    where = out_of_memory(exc)
    if where:
        asked = re.search(r"allocate (\d+(?:\.\d+)?) ?(bytes|[KMGT]iB)", str(exc))
        amount = ""
        if asked:
            scale = {"bytes": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40}
            amount = f" (one step asked for {size(float(asked[1]) * scale[asked[2]])} more)"
        return f"the {where} ran out of memory{amount}: try a smaller batch size or a smaller model"
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__
