"""The Contacts API: the same service, permissions and audit as Slack and the terminal, over HTTP for the systems
that push and pull contacts. Every resource is under ``/api/v1``; the OpenAPI document is at ``/openapi.json``."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI

from api import problems
from api.routers import admin, feeds, links, lookup, organizations, transfers, webhooks
from api.routers.bulk import bulk_router
from api.routers.notes import notes_router
from api.routers.records import records_router
from core.directory import Directory
from core.kinds import RecordKind
from core.transfer.jobs import ImportJobs

PREFIX = "/api/v1"


def build_api(directory: Directory, jobs_folder: Path) -> FastAPI:
    """The API over ``directory``; import jobs keep their files in ``jobs_folder`` (private)."""
    app = FastAPI(title="Contacts API", version="1", docs_url="/docs", redoc_url=None,
                  description="External contacts for the systems that push and pull them. Authenticate with "
                              "`Authorization: Bearer <token>` (`contacts token create`).")
    app.state.directory = directory
    app.state.jobs = ImportJobs(directory, jobs_folder)
    problems.install(app)
    v1 = APIRouter(prefix=PREFIX)
    v1.include_router(organizations.router)  # before the generic routes, whose {record_id} would take the path
    v1.include_router(admin.router)
    v1.include_router(links.router)
    for kind in RecordKind:
        v1.include_router(bulk_router(kind))  # before {record_id} routes too
        v1.include_router(records_router(kind))
        v1.include_router(notes_router(kind))
    v1.include_router(lookup.router)
    v1.include_router(feeds.router)
    v1.include_router(webhooks.router)
    v1.include_router(transfers.router)
    app.include_router(v1)
    return app
