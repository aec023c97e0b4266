"""What the store asks of the disk beyond private files: durable directories, and I/O errors a person can act on."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from core.errors import StoreError, StoreFull

_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def fsync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def io_error(error: OSError, path: Path, doing: str) -> StoreError:
    """``error`` as a typed store error that says what failed and what to do about it."""
    if error.errno in _FULL:
        return StoreFull(f"no space left to {doing} ({path}): nothing was saved; free some space and try again")
    return StoreError(f"could not {doing} ({path}: {error.strerror or error}); nothing was saved")
