"""What the command prints besides its results: exit codes, errors phrased for a terminal, a progress bar."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from core.errors import ContactsError, FieldProblem, StoreError, ValidationFailed
from core.text import inert

# 3: the directory itself could not be used (damaged, full disk, locked too long), whatever was asked of it
FOUND, NOTHING, BAD_INPUT, STORE_PROBLEM = 0, 1, 2, 3


def fail(message: str, status: int = BAD_INPUT) -> int:
    print(f"contacts: {inert(message)}", file=sys.stderr)
    return status


def fail_with(error: ContactsError) -> int:
    return fail(error_text(error), STORE_PROBLEM if isinstance(error, StoreError) else BAD_INPUT)


def problem_text(problem: FieldProblem) -> str:
    """A problem, with the flag that fixes it when core names one."""
    return str(problem) + (f" (--{problem.fix.replace('_', '-')})" if problem.fix else "")


def error_text(error: ContactsError) -> str:
    if isinstance(error, ValidationFailed):
        return "; ".join(problem_text(p) for p in error.problems)
    return str(error)


class ProgressBar:
    """A one-line progress bar on stderr, shown on a terminal once the work has taken a second."""

    def __init__(self, verb: str, unit: str, stream: TextIO | None = None):
        self.verb, self.unit = verb, unit
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self.shown = False

    def __enter__(self) -> ProgressBar:
        return self

    def update(self, done: int, total: int) -> None:
        elapsed = time.monotonic() - self.started
        if elapsed < 1 or not self.stream.isatty():
            return
        total = max(total, done, 1)
        filled = round(30 * done / total)
        self.stream.write(f"\r{self.verb} [{'#' * filled}{'.' * (30 - filled)}] {done:,}/{total:,} {self.unit} "
                          f"{elapsed:.0f} s")
        self.stream.flush()
        self.shown = True

    def __exit__(self, *exc_info: object) -> None:
        if self.shown:
            self.stream.write("\n")
