"""Atomic file output: write to a temporary file in the target's folder, then rename over it.

A reader never sees a half-written file and an interrupted run leaves the old file (or none).
An existing target keeps its permissions; a new one gets 0644.  Used by every writer in voltlens
(CSV export, plots and overlays, synthetic datasets).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from .errors import DataError

__all__ = ["atomic_write", "atomic_write_bytes"]


def atomic_write(
    path: str | os.PathLike[str], write: Callable[[BinaryIO], None], *, field: str = "path"
) -> None:
    """Call ``write(handle)`` on a temporary binary file next to ``path``, then rename it to ``path``.

    An OSError (missing folder, full disk, no permission) becomes a one-line DataError naming the file.
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise DataError(str(target), "cannot be written: its folder does not exist", field=field)
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, target.stat().st_mode & 0o7777 if target.exists() else 0o644)
        os.replace(tmp, target)
        tmp = None
    except OSError as exc:
        raise DataError(str(target), f"cannot be written: {exc.strerror or exc}", field=field) from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, creating the folder if needed."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda handle: handle.write(data))
