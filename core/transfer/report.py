"""What an import says it did: per row, card or line an outcome, and a report that counts and keeps them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from core.errors import FieldProblem


class ImportAction(StrEnum):
    """What an import did (or, in a dry run, would do) with one row, card or line."""

    create = "create"
    update = "update"
    unchanged = "unchanged"
    error = "error"

    def counted(self, written: bool) -> str:
        """How a report counts rows that went this way ("12 created"; in a dry run "12 to create")."""
        return _COUNTED[self][0 if written else 1]


_COUNTED = {ImportAction.create: ("created", "to create"), ImportAction.update: ("updated", "to update"),
            ImportAction.unchanged: ("unchanged", "unchanged"), ImportAction.error: ("rejected", "rejected")}


@dataclass
class Outcome:
    line: int
    action: ImportAction
    description: str
    problems: list[FieldProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    source: Any = None

    @property
    def worth_reading(self) -> bool:
        """Rows a person should look at after a real import: rejected, or with warnings."""
        return self.action is ImportAction.error or bool(self.warnings)

    def report_line(self, unit: str = "line") -> str:
        text = f"{unit} {self.line}: {self.action} {self.description}"
        for problem in self.problems:
            text += f"\n    {problem}"
        for warning in self.warnings:
            text += f"\n    warning: {warning}"
        return text


@dataclass
class Report:
    """What an import did: how many rows went which way, and the outcomes worth reading. A dry run keeps every
    row's outcome (to show what each would do); a real import keeps the rows with errors or warnings only, so a
    million-row import does not hold a million outcomes."""

    def __init__(self) -> None:
        self.outcomes: list[Outcome] = []
        self.counts: Counter[ImportAction] = Counter()
        self.warnings = 0
        self.written = False
        self.not_kept: Counter[str] = Counter()  # what the source holds that the directory has no place for

    def add(self, outcome: Outcome, keep_all: bool) -> None:
        self.counts[outcome.action] += 1
        self.warnings += len(outcome.warnings)
        if keep_all or outcome.worth_reading:
            self.outcomes.append(outcome)

    @property
    def rows(self) -> int:
        return sum(self.counts.values())

    @property
    def errors(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.action is ImportAction.error]

    def summary(self) -> str:
        """"120 rows: 100 created, 15 updated, 3 unchanged, 2 rejected; 4 warnings", and whether it was kept."""
        return f"{self.rows} rows: {self.outcome_counts()}"

    def not_kept_line(self, unit: str = "row") -> str:
        """"Not kept (the directory has no place for them): BDAY (12 cards), PHOTO (3 cards)", or nothing."""
        if not self.not_kept:
            return ""
        parts = [f"{what} ({count} {unit}{'' if count == 1 else 's'})" for what, count in sorted(self.not_kept.items())]
        return "Not kept (the directory has no place for them): " + ", ".join(parts)

    def outcome_counts(self) -> str:
        parts = [f"{self.counts[a]} {a.counted(self.written)}" for a in ImportAction]
        warnings = f"; {self.warnings} warnings" if self.warnings else ""
        return ", ".join(parts) + warnings + ("" if self.written else "; nothing was written")
