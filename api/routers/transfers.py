"""Import jobs and exports: a file in (CSV, vCard or JSON Lines, with the options of ``contacts import``), imported
in the background while the caller polls; every record the caller may see out, in any of the three formats."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Query, Request
from fastapi.responses import FileResponse, JSONResponse

from api.auth import Caller, Service
from core.errors import ValidationFailed
from core.transfer.files import FORMATS, ImportOptions, export_file
from core.transfer.jobs import ImportJob, ImportJobs
from core.transfer.plan import MATCH_KINDS
from core.transfer.presets import PRESETS

router = APIRouter(tags=["import and export"])
MEDIA = {"csv": "text/csv; charset=utf-8", "vcard": "text/vcard; charset=utf-8", "jsonl": "application/x-ndjson"}
EXTENSIONS = {"csv": ".csv", "vcard": ".vcf", "jsonl": ".jsonl"}


def jobs_of(request: Request) -> ImportJobs:
    jobs: ImportJobs = request.app.state.jobs
    return jobs


def shown(job: ImportJob) -> dict[str, Any]:
    return {**job.__dict__, "report": f"/api/v1/imports/{job.id}/report",
            "rejects": f"/api/v1/imports/{job.id}/rejects" if job.rejects else None}


@router.post("/imports", status_code=202, summary="Import a file (the body) in the background")
async def start_import(actor: Caller, request: Request,
                       name: Annotated[str, Query(description="the file's name; its extension names the format")],
                       format: Annotated[str | None, Query(pattern="^(csv|vcard|jsonl)$")] = None,
                       preset: Annotated[str | None, Query(description=", ".join(PRESETS))] = None,
                       division: str = "Home", match: str = ",".join(MATCH_KINDS), source: str = "import",
                       encoding: str | None = None, dry_run: bool = False, strict: bool = False) -> JSONResponse:
    """The same options as ``contacts import``; the body is the file as it is (up to 256 MiB). Poll the job at
    ``Location``; its report lists each row's outcome (every row for a dry run), and rejected rows come back as a
    file to fix and import again."""
    if not format and Path(name).suffix.casefold() not in FORMATS:
        raise ValidationFailed.one("name", name, "has no extension that names a format (.csv, .vcf, .jsonl); give "
                                                 "format", fix="format")
    options = ImportOptions(format=format, preset=preset, division=division, source=source, encoding=encoding,
                            match=tuple(m.strip() for m in match.split(",") if m.strip()), dry_run=dry_run,
                            strict=strict)
    job = jobs_of(request).start(actor, name, await request.body(), options)
    return JSONResponse(shown(job), status_code=202, headers={"Location": f"/api/v1/imports/{job.id}"})


@router.get("/imports/{job_id}", summary="How an import job is going, and what it did")
def import_job(actor: Caller, request: Request, job_id: str) -> dict[str, Any]:
    return shown(jobs_of(request).get(actor, job_id))


@router.get("/imports/{job_id}/report", summary="Each row's outcome, with its problems and warnings")
def import_report(actor: Caller, request: Request, job_id: str) -> list[dict[str, Any]]:
    return jobs_of(request).report(actor, job_id)


@router.get("/imports/{job_id}/rejects", summary="The rejected rows, as a file to fix and import again")
def import_rejects(actor: Caller, request: Request, job_id: str) -> FileResponse:
    path = jobs_of(request).rejects(actor, job_id)
    if path is None:
        raise ValidationFailed.one("job", job_id, "rejected no rows (or has not finished)")
    return FileResponse(path, filename=path.name)


@router.get("/exports", summary="Every record you may see, as a CSV, vCard or JSON Lines file")
def export(actor: Caller, directory: Service, background: BackgroundTasks,
           format: Annotated[str, Query(pattern="^(csv|vcard|jsonl)$")] = "csv",
           q: Annotated[str | None, Query(description="only what a search for these words finds")] = None,
           vcard_version: Annotated[str, Query(pattern="^(3.0|4.0)$")] = "3.0") -> FileResponse:
    """Written whole before it is sent; the ``X-Not-In-Format`` header says what the format cannot carry."""
    folder = Path(tempfile.mkdtemp(prefix="contacts-export-"))  # 0700: it holds people's data
    path = folder / f"contacts{EXTENSIONS[format]}"
    exported = export_file(directory, actor, path, format=format, vcard_version=vcard_version, query=q)
    background.add_task(_remove, folder)
    return FileResponse(path, media_type=MEDIA[format], filename=path.name,
                        headers={"X-Not-In-Format": ", ".join(exported.not_carried),
                                 "X-Records": str(exported.count)})


def _remove(folder: Path) -> None:
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()
