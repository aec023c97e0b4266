"""``contacts check`` and ``contacts repair``: what in a store directory cannot be trusted, and removing it.

Opening refuses damage (see ``core.store.files``). Checking shows it without changing a byte. Repairing mends only
journals: it keeps a copy of the journal as it was, then rewrites it with its intact lines, dropping the damaged
ones. A damaged snapshot cannot be mended here (what it held is gone): it must come back from a backup.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from core.errors import CorruptStore, StoreError
from core.private_files import FILE_MODE, open_private, private_directory
from core.store import journal, snapshot
from core.store.disk import fsync_directory, io_error
from core.store.files import JOURNAL_TEMPORARY_SUFFIX, StoreFiles


@dataclass(frozen=True)
class StoreCheck:
    directory: Path
    damage: list[journal.Damage] = field(default_factory=list)
    snapshot_problem: str | None = None
    kept_copy: Path | None = None  # where repair put the journal as it was

    @property
    def intact(self) -> bool:
        return self.snapshot_problem is None and all(d.harmless for d in self.damage)


def check(directory: Path) -> StoreCheck:
    """What is damaged in the newest generation of the store in ``directory``; reads only."""
    files = StoreFiles(directory)
    generations = files.generations() if directory.is_dir() else []
    if not generations:
        return StoreCheck(directory)
    generation = generations[-1]
    problem = None
    try:
        with open(files.snapshot_path(generation), "rb") as file:
            snapshot.load(file, files.snapshot_path(generation), {})
    except StoreError as error:
        problem = str(error)
    path = files.journal_path(generation)
    damage = journal.scan(path)[1] if path.exists() else []
    return StoreCheck(directory, damage, problem)


def repair(directory: Path, clock=lambda: datetime.now(UTC)) -> StoreCheck:
    """Drop the damaged parts of the newest journal, keeping a copy of it first; what was dropped is returned."""
    files = StoreFiles(directory)
    with files.locked():
        found = check(directory)
        if found.snapshot_problem:
            raise CorruptStore(f"{found.snapshot_problem}. `contacts repair` mends journals only")
        if not found.damage:
            return found
        path = files.journal_path(files.generations()[-1])
        keep = directory / f"damaged-{clock():%Y%m%dT%H%M%SZ}"
        try:
            private_directory(keep)
            shutil.copyfile(path, keep / path.name)
            os.chmod(keep / path.name, FILE_MODE)
            good, _ = journal.scan(path)
            temporary = path.with_suffix(JOURNAL_TEMPORARY_SUFFIX)
            fd = open_private(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            with open(fd, "wb") as out:
                out.write(b"".join(good))
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
            fsync_directory(directory)
        except OSError as error:
            raise io_error(error, path, "repair the journal") from error
        return StoreCheck(directory, found.damage, None, keep)
