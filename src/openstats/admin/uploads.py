"""Uploading a data set to a release and importing it after its screening report."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from openstats.admin.pages import message, page, refused, signed_in_form, text
from openstats.dependencies import platform
from openstats.publishing import uploads
from openstats.publishing.uploads import IncomingFile
from openstats.publishing.workflow import Refused

router = APIRouter(prefix="/admin")


@router.post("/releases/{release_id}/upload")
async def upload(request: Request, release_id: str) -> Response:
    """Stream both files to disk, screen them, and show the report."""
    signed = await signed_in_form(request)
    if isinstance(signed, Response):
        return signed
    user, form = signed
    data_file, meta_file = form.get("data_file"), form.get("meta_file")
    if not isinstance(data_file, UploadFile) or not isinstance(meta_file, UploadFile):
        return message(request, "Choose both files and give a title",
                       "A data set needs its data CSV, its meta CSV and a title.")
    try:
        # Screening a large file takes seconds to minutes: in a worker thread, so the site
        # goes on answering everyone else meanwhile.
        screened = await run_in_threadpool(
            uploads.receive, platform(request), user, release_id,
            title=text(form, "title"), summary=text(form, "summary"),
            replaces=text(form, "data_set_id"),
            files=(IncomingFile(data_file.filename, data_file.file, "data"),
                   IncomingFile(meta_file.filename, meta_file.file, "meta")))
    except Refused as e:
        return refused(request, e)
    return page(request, "report.html", {
        "report": screened.report, "release_id": release_id,
        "upload_id": screened.upload_id, "title": text(form, "title").strip()},
        status=200 if screened.report.ok else 422)


@router.post("/uploads/{upload_id}/import")
async def import_upload(request: Request, upload_id: str) -> Response:
    signed = await signed_in_form(request)
    if isinstance(signed, Response):
        return signed
    user, form = signed
    try:
        # Building the version reads every row: in a worker thread, like screening.
        release_id = await run_in_threadpool(uploads.import_upload, platform(request), user,
                                             upload_id, form.get("acknowledge") == "yes")
    except Refused as e:
        return refused(request, e)
    return RedirectResponse(f"/admin/releases/{release_id}", status_code=303)
