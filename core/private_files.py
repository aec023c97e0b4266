"""Files holding people's data are their owner's alone: directories 0700, files 0600, whatever the umask."""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any

DIRECTORY_MODE = 0o700
FILE_MODE = 0o600


def private_directory(path: Path) -> None:
    """Create ``path`` (and parents) if needed; the directory itself is made owner-only."""
    path.mkdir(parents=True, exist_ok=True, mode=DIRECTORY_MODE)
    if path.stat().st_mode & 0o777 != DIRECTORY_MODE:
        os.chmod(path, DIRECTORY_MODE)


def open_private(path: Path, flags: int) -> int:
    """``os.open`` for a file only its owner may read (``O_CREAT`` alone would let the umask decide)."""
    fd = os.open(path, flags, FILE_MODE)
    try:
        if os.fstat(fd).st_mode & 0o777 != FILE_MODE:
            os.fchmod(fd, FILE_MODE)
    except BaseException:
        os.close(fd)
        raise
    return fd


def private_file(path: Path, mode: str = "w", **options: Any) -> IO[Any]:
    """``open(path, mode)`` for writing a file from scratch, private to its owner."""
    return open(open_private(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), mode, **options)
