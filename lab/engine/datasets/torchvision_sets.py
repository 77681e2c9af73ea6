"""Provides the sets torchvision downloads (MNIST, Fashion-MNIST, CIFAR-10): loading them from
the data folders, and fetching them (`lab data fetch`). torchvision is imported for these only."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from pathlib import Path

import numpy as np

from lab.catalog.allowlists import DOWNLOADS
from lab.engine.datasets.base import Arrays, DataError


def torchvision_class(name: str):
    import torchvision.datasets as tvd

    return getattr(tvd, DOWNLOADS[name].torch_name)


def missing_message(name: str) -> str:
    title = DOWNLOADS[name].title
    return (
        f"{title} is not downloaded on this machine: run `lab data fetch {name}` once while "
        f"online (or ask for LAB_DATA_DIR); meanwhile the `digits` data set teaches the same "
        f"thing offline"
    )


def download_set(name: str, roots: list[Path]) -> Arrays:
    cls = torchvision_class(name)
    for root in roots:
        try:
            train = cls(str(root), train=True, download=False)
            test = cls(str(root), train=False, download=False)
        except (RuntimeError, OSError):
            continue
        return Arrays(*_images(train), test=_images(test))
    raise DataError(missing_message(name))


def _images(ds) -> tuple[np.ndarray, np.ndarray]:
    data = np.asarray(ds.data)
    # MNIST: [N, 28, 28] uint8 -> [N, 1, 28, 28]; CIFAR-10: [N, 32, 32, 3] -> [N, 3, 32, 32]
    X = data[:, None, :, :] if data.ndim == 3 else data.transpose(0, 3, 1, 2)
    return (X.astype(np.float32) / 255.0), np.asarray(ds.targets, dtype=np.int64)


def fetch(name: str, cache: Path, timeout_s: float = 60.0) -> Path:
    """Download into a temporary folder, check it loads, then move it into the cache.

    torchvision's downloads have no timeout and a truncated file breaks every later start, so a
    half-finished fetch never lands where the loader looks.
    """
    cls = torchvision_class(name)
    title = DOWNLOADS[name].title
    cache.mkdir(parents=True, exist_ok=True)
    final = cache / DOWNLOADS[name].folder
    try:
        cls(str(cache), train=True, download=False)
        return final  # already there and whole
    except (RuntimeError, OSError):
        pass
    old_timeout = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout_s)
    tmp = Path(tempfile.mkdtemp(prefix=f".fetch-{name}-", dir=cache))
    try:
        cls(str(tmp), train=True, download=True)
        cls(str(tmp), train=False, download=True)
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp / DOWNLOADS[name].folder, final)
    except Exception as exc:  # network, disk, checksum: one line, never a traceback
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise DataError(
            f"could not download {title} ({first}); check the network, or ask whoever runs "
            f"this machine to put it in LAB_DATA_DIR"
        ) from None
    finally:
        socket.setdefaulttimeout(old_timeout)
        shutil.rmtree(tmp, ignore_errors=True)
    return final
