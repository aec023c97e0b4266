"""Import jobs: a file handed over (by the API) is imported in the background, one job at a time, while the caller
polls it; its state, its per-row report and its rejects are kept beside it in a private folder, so any process
can answer for it and a restart does not lose it. A job cut off by a restart wrote nothing (an import is one
transaction) and says so."""

from __future__ import annotations

import json
import queue
import secrets
import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.directory import Directory
from core.errors import ContactsError, PermissionDenied, ValidationFailed
from core.policy import Action, Actor
from core.private_files import private_directory
from core.transfer.files import ImportOptions, import_file, write_whole

STATE, UPLOAD = "job.json", "upload"


@dataclass
class ImportJob:
    id: str
    file_name: str
    created_by: str
    created_at: str
    options: dict[str, Any]
    status: str = "queued"  # queued, running, completed, failed
    done: int = 0
    total: int = 0
    summary: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    not_kept: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    rejects: bool = False


class ImportJobs:
    def __init__(self, directory: Directory, folder: Path):
        self.directory, self.folder = directory, folder
        private_directory(folder)
        self._queue: queue.Queue[tuple[Actor, ImportJob, ImportOptions]] = queue.Queue()
        self._lock = threading.Lock()
        for job in self._all():
            if job.status in ("queued", "running"):
                self._save(job, status="failed", error="the API stopped before this job finished; nothing of it "
                                                       "was written. Start it again.")
        threading.Thread(target=self._work, name="imports", daemon=True).start()

    def start(self, actor: Actor, file_name: str, data: bytes, options: ImportOptions) -> ImportJob:
        job = ImportJob(secrets.token_hex(8), Path(file_name).name or "upload", actor.id,
                        datetime.now(UTC).isoformat(), _shown_options(options))
        folder = self.folder / job.id
        private_directory(folder)
        upload = folder / f"{UPLOAD}{Path(job.file_name).suffix}"
        write_whole(upload, lambda out: out.write(data), binary=True)
        options.rejects = folder / f"rejects{upload.suffix}"
        self._save(job)
        self._queue.put((actor, job, options))
        return job

    def get(self, actor: Actor, job_id: str) -> ImportJob:
        """A job, for whoever started it or an admin (it holds what the file held)."""
        path = self.folder / job_id / STATE if job_id.isalnum() else None
        if path is None or not path.exists():
            raise ValidationFailed.one("job", job_id, "is no import job's id")
        job = ImportJob(**json.loads(path.read_text(encoding="utf-8")))
        if job.created_by != actor.id and not self.directory.can(actor, Action.configure):
            raise PermissionDenied(f"import job {job_id} is {job.created_by}'s; only they and admins may see it")
        return job

    def report(self, actor: Actor, job_id: str) -> list[dict[str, Any]]:
        job = self.get(actor, job_id)
        path = self.folder / job.id / "report.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []

    def rejects(self, actor: Actor, job_id: str) -> Path | None:
        job = self.get(actor, job_id)
        found = sorted((self.folder / job.id).glob("rejects.*"))
        return found[0] if found and job.rejects else None

    def _work(self) -> None:
        while True:
            actor, job, options = self._queue.get()
            self._save(job, status="running")
            upload = next((self.folder / job.id).glob(f"{UPLOAD}*"))

            def progress(done: int, total: int, job: ImportJob = job) -> None:
                job.done, job.total = done, total
                if done % 5000 == 0:
                    self._save(job)

            try:
                result = import_file(self.directory, actor, upload, options, progress=progress)
            except ContactsError as error:
                self._save(job, status="failed", error=str(error))
                continue
            report = result.report
            lines = [{"line": o.line, "action": o.action.value, "description": o.description,
                      "problems": [{"field": p.field, "value": str(p.value), "rule": p.message} for p in o.problems],
                      "warnings": o.warnings} for o in report.outcomes]
            self._write(job, "report.json", json.dumps(lines))
            self._save(job, status="completed", summary=report.summary(), done=report.rows, total=report.rows,
                       counts={a.value: n for a, n in report.counts.items()}, not_kept=dict(report.not_kept),
                       rejects=result.rejects is not None)

    def _save(self, job: ImportJob, **changes: Any) -> None:
        with self._lock:
            for name, value in changes.items():
                setattr(job, name, value)
            self._write(job, STATE, json.dumps(asdict(job)))

    def _write(self, job: ImportJob, name: str, text: str) -> None:
        write_whole(self.folder / job.id / name, lambda out: out.write(text))

    def _all(self) -> list[ImportJob]:
        return [ImportJob(**json.loads(p.read_text(encoding="utf-8"))) for p in self.folder.glob(f"*/{STATE}")]


def _shown_options(options: ImportOptions) -> dict[str, Any]:
    """The options as JSON says them; the paths are the job's own."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(options).items()
            if k not in ("mapping", "rejects")}
