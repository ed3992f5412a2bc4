"""Uploading data sets to a release (CSV files, or a ZIP of one or many), each upload's
screening report at its own address, and importing uploads into the release's draft.

Post-redirect-get throughout: the upload form answers with a redirect to the report
(`/admin/uploads/<id>`), or for a bulk ZIP to the release's list of uploads, so refresh
and Back show the report again and never send the files twice.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from openstats.admin.pages import (
    done,
    form_refused,
    refused,
    signed_in_form,
    signed_in_page,
    text,
)
from openstats.admin.releases import refused_form
from openstats.dependencies import platform
from openstats.model.users import User, allowed
from openstats.publishing import uploads
from openstats.publishing.uploads import IncomingFile
from openstats.publishing.workflow import Refused, release_for
from openstats.standards.findings import Finding, Report
from openstats.standards.rules import RULES

router = APIRouter(prefix="/admin")


def incoming(form: FormData, field: str, which: str) -> IncomingFile | None:
    """A file field of the form, or None when no file was chosen (browsers send an empty
    part with no name for an empty file input)."""
    value = form.get(field)
    if not isinstance(value, UploadFile) or (not value.filename and not value.size):
        return None
    return IncomingFile(value.filename, value.file, which)


@router.post("/releases/{release_id}/upload")
async def upload(request: Request, release_id: str) -> Response:
    """Stream the files to disk, screen them, and go to the report (or, for a bulk ZIP,
    to the release's list of the uploads it made)."""
    signed = await signed_in_form(request)
    if isinstance(signed, Response):
        return signed
    user, form = signed
    p = platform(request)
    details = {"title": text(form, "title"), "summary": text(form, "summary"),
               "replaces": text(form, "data_set_id")}
    archive = incoming(form, "zip_file", "ZIP")
    files = (incoming(form, "data_file", "data"), incoming(form, "meta_file", "meta"))
    try:
        if archive is not None and any(files):
            raise Refused("Choose either the data file and its meta file, or a ZIP file.",
                          title="Choose CSV files or a ZIP file", field="zip_file")
        # Screening a large file takes seconds to minutes: in a worker thread, so the site
        # goes on answering everyone else meanwhile.
        if archive is not None:
            screened = await run_in_threadpool(
                uploads.receive_archive, p, user, release_id, **details, archive=archive)
        else:
            screened = [await run_in_threadpool(
                uploads.receive, p, user, release_id, **details, files=files)]
    except Refused as e:
        return refused_form(request, e, user, release_id, "upload-form", form)
    if len(screened) == 1:
        report = screened[0].report
        url = f"/admin/uploads/{screened[0].upload_id}"
        if not report.ok:
            return RedirectResponse(url, status_code=303)  # the report says what is wrong
        return done(request, url, "Files uploaded and checked: read the report, then import "
                    "the data set")
    ready = sum(1 for s in screened if s.report.ok)
    return done(request, f"/admin/releases/{release_id}#uploads",
                f"{len(screened)} data sets uploaded and checked: {ready} can be imported. "
                "Read each one's report, then import them")


def report_context(request: Request, user: User, upload_id: str) -> dict[str, Any]:
    found = uploads.upload_of(platform(request), user, upload_id)
    info = release_for(platform(request).catalogue, user, found.record.release_id)
    return {"upload": found, "report": found.report, "release_id": found.record.release_id,
            "release": info.latest, "rules": RULES, "groups": rule_groups(found.report),
            "can_import": allowed(user, "upload", info.publication_id)}


def rule_groups(report: Report | None) -> list[tuple[str, list[Finding]]]:
    """The report's findings by rule, errors first (they are what must be put right)."""
    if report is None:
        return []
    grouped = list(report.by_rule().items())
    return sorted(grouped, key=lambda item: item[1][0].severity != "error")


@router.get("/uploads/{upload_id}", response_class=HTMLResponse)
def report_page(request: Request, upload_id: str) -> Response:
    """An upload's screening report, for as long as the upload is kept."""
    return signed_in_page(request, "report.html",
                          lambda user: report_context(request, user, upload_id))


@router.post("/uploads/{upload_id}/import")
async def import_upload(request: Request, upload_id: str) -> Response:
    signed = await signed_in_form(request)
    if isinstance(signed, Response):
        return signed
    user, form = signed
    p = platform(request)
    try:
        # Building the version reads every row: in a worker thread, like screening.
        imported = await run_in_threadpool(uploads.import_upload, p, user, upload_id,
                                           form.get("acknowledge") == "yes")
        release_id = uploads.upload_of(p, user, upload_id).record.release_id
    except Refused as e:
        return form_refused(request, e, "import", form, "report.html",
                            lambda: report_context(request, user, upload_id))
    return done(request, f"/admin/releases/{release_id}",
                f"Data set '{imported.title}' imported into the release's draft")


@router.post("/releases/{release_id}/uploads/import")
async def import_all(request: Request, release_id: str) -> Response:
    """Import every upload of the release that is ready (after a bulk ZIP)."""
    signed = await signed_in_form(request)
    if isinstance(signed, Response):
        return signed
    user, form = signed
    try:
        imported = await run_in_threadpool(uploads.import_all, platform(request), user,
                                           release_id, form.get("acknowledge") == "yes")
    except Refused as e:
        return refused_form(request, e, user, release_id, "import-all", form)
    return done(request, f"/admin/releases/{release_id}",
                f"{len(imported)} data set{'' if len(imported) == 1 else 's'} imported: "
                + ", ".join(f"'{i.title}'" for i in imported))


@router.post("/uploads/{upload_id}/remove")
async def remove(request: Request, upload_id: str) -> Response:
    signed = await signed_in_form(request)
    if isinstance(signed, Response):
        return signed
    user, _ = signed
    try:
        record = uploads.remove(platform(request), user, upload_id)
    except Refused as e:
        return refused(request, e)
    return done(request, f"/admin/releases/{record.release_id}#uploads",
                f"Upload of '{record.title}' removed")
