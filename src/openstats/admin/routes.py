"""The publishing side at /admin: draft, upload, screen, approve, audit.

Every page needs a signed-in user; every form that changes something needs the session's
CSRF token; every action asks `accounts.allowed` and is written to the audit log.
"""

from __future__ import annotations

import json
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import select, update
from sqlalchemy.engine import Connection
from starlette.concurrency import run_in_threadpool

from openstats import sessions, urls
from openstats.catalogue import accounts, footnotes
from openstats.catalogue.accounts import AccountError
from openstats.catalogue.schema import data_set_versions, data_sets, publications, releases
from openstats.catalogue.store import RELEASE_TYPES, as_utc
from openstats.errors import ScreeningFailed, StorageError
from openstats.faults import crash_point
from openstats.ingest import uploads
from openstats.ingest.service import import_pair
from openstats.standards.screener import screen

LONDON = ZoneInfo("Europe/London")
templates = Jinja2Templates(directory=[str(Path(__file__).parent / "templates"),
                                       str(Path(__file__).parents[1] / "web" / "templates")])
router = APIRouter(prefix="/admin")


def platform(request: Request) -> Any:
    return request.app.state.platform


def current_user(request: Request) -> dict[str, Any] | None:
    return sessions.signed_in_user(request)


def london(value: datetime | None) -> str:
    if value is None:
        return ""
    return as_utc(value).astimezone(LONDON).strftime("%-d %B %Y at %H:%M %Z")  # type: ignore[union-attr]


templates.env.filters["london"] = london


def page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    response = templates.TemplateResponse(request, name, {
        **context, "user": current_user(request)}, status_code=status)
    token = sessions.csrf_token(request, response)
    response.body = response.body.replace(b"__CSRF__", token.encode())
    response.headers["content-length"] = str(len(response.body))
    response.headers["cache-control"] = "no-store"
    return response


def to_login(request: Request) -> Response:
    return RedirectResponse(f"/admin/login?next={quote(request.url.path)}", status_code=303)


def forbidden(request: Request) -> Response:
    return page(request, "admin_message.html", {
        "title": "You cannot do that", "message": "Your account does not have permission "
        "for this. Ask an administrator if you need it."}, status=403)


async def form_of(request: Request) -> dict[str, Any] | None:
    """The submitted form, or None when its CSRF token is missing or wrong."""
    form = await request.form()
    if not sessions.csrf_ok(request, str(form.get("csrf_token", ""))):
        return None
    return dict(form)


async def signed_in_form(request: Request) -> tuple[Any, Any, Response | None]:
    """(user, form, None) for a signed-in person's form with a good CSRF token, or
    (None, None, the answer to give instead)."""
    user = current_user(request)
    if user is None:
        return None, None, to_login(request)
    form = await form_of(request)
    if form is None:
        return None, None, bad_csrf(request)
    return user, form, None


def not_found_page(request: Request) -> Response:
    return page(request, "admin_message.html", {"title": "Not found", "message": ""}, 404)


def bad_csrf(request: Request) -> Response:
    return page(request, "admin_message.html", {
        "title": "Your form has expired", "message": "Go back, reload the page and try "
        "again."}, status=400)


# (Signing in and out, and accounts: admin/auth.py.)


# --- dashboard, themes, publications -------------------------------------------------------
def my_publications(request: Request, user: dict[str, Any]) -> list[dict[str, Any]]:
    catalogue = platform(request).catalogue
    with catalogue.engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(select(publications)
                                              .order_by(publications.c.title)).mappings()]
    return [p for p in rows if accounts.allowed(catalogue, user, "preview", p["id"])]


@router.get("", response_class=HTMLResponse)
def dashboard(request: Request) -> Response:
    user = current_user(request)
    if user is None:
        return to_login(request)
    from openstats.catalogue.schema import themes

    with platform(request).catalogue.engine.connect() as conn:
        theme_rows = [dict(r) for r in conn.execute(select(themes).order_by(themes.c.title))
                      .mappings()]
    return page(request, "dashboard.html", {
        "publications": my_publications(request, user), "themes": theme_rows,
        "can_create": accounts.allowed(platform(request).catalogue, user,
                                       "create_publication")})


@router.post("/themes")
async def create_theme(request: Request) -> Response:
    user, form, refusal = await signed_in_form(request)
    if refusal is not None:
        return refusal
    catalogue = platform(request).catalogue
    if not accounts.allowed(catalogue, user, "create_theme"):
        return forbidden(request)
    title = str(form.get("title", "")).strip()
    if not title:
        return page(request, "admin_message.html", {"title": "Enter a theme title",
                                                    "message": "A theme needs a title."}, 400)
    with catalogue.transaction() as conn:
        theme_id = catalogue.upsert_theme(conn, title)
        accounts.audit(conn, user, "create_theme", "theme", theme_id, title)
    return RedirectResponse("/admin", status_code=303)


@router.post("/publications")
async def create_publication(request: Request) -> Response:
    user, form, refusal = await signed_in_form(request)
    if refusal is not None:
        return refusal
    catalogue = platform(request).catalogue
    if not accounts.allowed(catalogue, user, "create_publication"):
        return forbidden(request)
    missing = [f for f in ("theme_id", "title", "team_name", "team_email")
               if not str(form.get(f, "")).strip()]
    if missing:
        return page(request, "admin_message.html", {
            "title": "Some details are missing",
            "message": "Fill in: " + ", ".join(m.replace("_", " ") for m in missing)}, 400)
    with catalogue.transaction() as conn:
        pub_id = catalogue.upsert_publication(
            conn, str(form["theme_id"]), str(form["title"]).strip(),
            summary=str(form.get("summary", "")),
            contact={"team_name": str(form["team_name"]), "team_email": str(form["team_email"]),
                     "contact_name": str(form.get("contact_name", ""))})
        accounts.audit(conn, user, "create_publication", "publication", pub_id,
                       str(form["title"]))
    return RedirectResponse(f"/admin/publications/{pub_id}", status_code=303)


def publication_row(request: Request, publication_id: str) -> dict[str, Any] | None:
    with platform(request).catalogue.engine.connect() as conn:
        row = conn.execute(select(publications).where(publications.c.id == publication_id)
                           ).mappings().first()
    return dict(row) if row else None


@router.get("/publications/{publication_id}", response_class=HTMLResponse)
def publication_page(request: Request, publication_id: str) -> Response:
    user = current_user(request)
    if user is None:
        return to_login(request)
    catalogue = platform(request).catalogue
    pub = publication_row(request, publication_id)
    if pub is None:
        return not_found_page(request)
    if not accounts.allowed(catalogue, user, "preview", publication_id):
        return forbidden(request)
    with catalogue.engine.connect() as conn:
        rels = [dict(r) for r in conn.execute(select(releases).where(
            releases.c.publication_id == publication_id).order_by(releases.c.created.desc()))
            .mappings()]
    return page(request, "publication.html", {
        "pub": pub, "releases": rels, "types": RELEASE_TYPES,
        "can_create": accounts.allowed(catalogue, user, "create_release", publication_id)})


@router.post("/publications/{publication_id}/releases")
async def create_release(request: Request, publication_id: str) -> Response:
    user, form, refusal = await signed_in_form(request)
    if refusal is not None:
        return refusal
    catalogue = platform(request).catalogue
    if not accounts.allowed(catalogue, user, "create_release", publication_id):
        return forbidden(request)
    title = str(form.get("title", "")).strip()
    kind = str(form.get("release_type", ""))
    if not title or kind not in RELEASE_TYPES:
        return page(request, "admin_message.html", {
            "title": "Enter a title and choose a release type",
            "message": f"Release types: {', '.join(RELEASE_TYPES)}."}, 400)
    with catalogue.transaction() as conn:
        release_id = catalogue.upsert_release(conn, publication_id, title, release_type=kind,
                                              next_update=str(form.get("next_update", "")))
        accounts.audit(conn, user, "create_release", "release", release_id, title)
    return RedirectResponse(f"/admin/releases/{release_id}", status_code=303)


# --- a release: data sets, uploads, guidance, approval ---------------------------------------
def release_row(request: Request, release_id: str) -> dict[str, Any] | None:
    with platform(request).catalogue.engine.connect() as conn:
        row = conn.execute(select(releases).where(releases.c.id == release_id)).mappings().first()
    return dict(row) if row else None


def release_versions(request: Request, release_id: str) -> list[dict[str, Any]]:
    with platform(request).catalogue.engine.connect() as conn:
        return [dict(r) for r in conn.execute(
            select(data_set_versions.c.id, data_set_versions.c.data_set_id,
                   data_set_versions.c.version_major, data_set_versions.c.version_minor,
                   data_set_versions.c.published, data_set_versions.c.row_count,
                   data_sets.c.title)
            .join(data_sets, data_sets.c.id == data_set_versions.c.data_set_id)
            .where(data_set_versions.c.release_id == release_id)
            .order_by(data_sets.c.title, data_set_versions.c.version_major,
                      data_set_versions.c.version_minor)).mappings()]


@router.get("/releases/{release_id}", response_class=HTMLResponse)
def release_page(request: Request, release_id: str) -> Response:
    user = current_user(request)
    if user is None:
        return to_login(request)
    catalogue = platform(request).catalogue
    release = release_row(request, release_id)
    if release is None:
        return not_found_page(request)
    pub_id = release["publication_id"]
    if not accounts.allowed(catalogue, user, "preview", pub_id):
        return forbidden(request)
    with catalogue.engine.connect() as conn:
        state = accounts.release_state(conn, release_id)
    versions = release_versions(request, release_id)
    latest_per_set: dict[str, dict[str, Any]] = {}
    for v in versions:
        latest_per_set[v["data_set_id"]] = v
    return page(request, "release_admin.html", {
        "release": release, "pub": publication_row(request, pub_id), "state": state,
        "versions": versions,
        "footnote_sets": [(ds, v["title"], footnote_targets(catalogue.version_metadata(v["id"])))
                          for ds, v in latest_per_set.items()],
        "summaries": data_set_summaries(request, list(latest_per_set)),
        "can": {a: accounts.allowed(catalogue, user, a, pub_id)
                for a in ("upload", "edit_release", "approve", "unschedule",
                          "grant_pre_release")},
        "now_london": datetime.now(UTC).astimezone(LONDON),
    })


@router.post("/releases/{release_id}/guidance")
async def edit_guidance(request: Request, release_id: str) -> Response:
    user, release, form, refusal = await _release_action(request, release_id, "edit_release")
    if refusal is not None:
        return refusal
    catalogue = platform(request).catalogue
    with catalogue.transaction() as conn:
        conn.execute(update(releases).where(releases.c.id == release_id).values(
            data_guidance=str(form.get("data_guidance", "")),
            next_update=str(form.get("next_update", release["next_update"]))))
        accounts.audit(conn, user, "edit_guidance", "release", release_id, "")
    return RedirectResponse(f"/admin/releases/{release_id}", status_code=303)


async def _release_action(request: Request, release_id: str, action: str
                          ) -> tuple[Any, Any, Any, Response | None]:
    """Common checks of a release form: signed in, CSRF, the release exists, allowed."""
    user, form, refusal = await signed_in_form(request)
    if refusal is not None:
        return None, None, None, refusal
    release = release_row(request, release_id)
    if release is None:
        return None, None, None, not_found_page(request)
    if not accounts.allowed(platform(request).catalogue, user, action,
                            release["publication_id"]):
        return None, None, None, forbidden(request)
    return user, release, form, None


# The longest file name kept: most file systems stop at 255 bytes, and the screener allows
# 150 characters before .meta.csv anyway.
MAX_NAME_BYTES = 255


def upload_name(given: str | None, which: str) -> tuple[str, str | None]:
    """The name a browser gave an uploaded file, without any folder part, and the reason
    to refuse it, if any.

    Browsers send the bare name, some a Windows path (C:\\fakepath\\x.csv); a crafted
    request can send anything. The name is only ever used inside the upload's own folder,
    so `../../etc/passwd.csv` becomes passwd.csv. Names that no file can have (empty, NUL
    and other control characters, too long) are refused, saying why.
    """
    name = (given or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    if name in ("", ".", ".."):
        return name, f"The {which} file has no name. Choose the file again."
    if any(not c.isprintable() for c in name):
        return name, (f"The name of the {which} file contains control characters (such as "
                      "a NUL byte). Rename the file and upload it again.")
    if len(name.encode()) > MAX_NAME_BYTES:
        return name, (f"The name of the {which} file is {len(name):,} characters long, too "
                      "long to store. File names may have at most 150 characters before "
                      ".csv.")
    return name, None


def _screen_upload(p: Any, data: Path, meta: Path) -> Any:
    with screen(data, meta, reference_dir=p.settings.reference_dir,
                workdir=p.storage.staging, memory_limit=p.settings.memory_limit) as s:
        crash_point("upload.screened")
        return s.report


@router.post("/releases/{release_id}/upload")
async def upload(request: Request, release_id: str) -> Response:
    """Stream both files to disk, screen them, and show the report."""
    user, release, form, refusal = await _release_action(request, release_id, "upload")
    if refusal is not None:
        return refusal
    p = platform(request)
    data_file, meta_file = form.get("data_file"), form.get("meta_file")
    title = str(form.get("title", "")).strip()
    if not hasattr(data_file, "filename") or not hasattr(meta_file, "filename") or not title:
        return page(request, "admin_message.html", {
            "title": "Choose both files and give a title",
            "message": "A data set needs its data CSV, its meta CSV and a title."}, 400)
    names = []
    for item, which in ((data_file, "data"), (meta_file, "meta")):
        name, problem = upload_name(item.filename, which)  # type: ignore[union-attr]
        if problem is not None:
            return page(request, "admin_message.html", {
                "title": "The file name cannot be used", "message": problem}, 400)
        names.append(name)
    upload_id = str(uuid.uuid4())
    folder = p.settings.data_dir / "uploads" / upload_id
    uploads.claim(folder)  # until the report is shown: a crash leaves it to the sweep
    try:
        # Each file in a folder of its own: two files of the same name, or one called
        # upload.json, cannot overwrite each other or the upload's record.
        paths = []
        for item, which, name in ((data_file, "data", names[0]), (meta_file, "meta", names[1])):
            target = folder / which / name
            target.parent.mkdir()
            with target.open("wb") as out:
                shutil.copyfileobj(item.file, out, 1 << 20)  # type: ignore[union-attr]
            paths.append(target)
        replaces = str(form.get("data_set_id", "")).strip()
        (folder / "upload.json").write_text(json.dumps({
            "release_id": release_id, "title": title, "summary": str(form.get("summary", "")),
            "data": f"data/{names[0]}", "meta": f"meta/{names[1]}", "data_set_id": replaces,
            "user": user["id"]}))
        # Screening a large file takes seconds to minutes: in a worker thread, so the site
        # goes on answering everyone else meanwhile.
        report = await run_in_threadpool(_screen_upload, p, paths[0], paths[1])
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)  # nothing half-uploaded stays behind
        raise
    with p.catalogue.transaction() as conn:
        accounts.audit(conn, user, "upload", "release", release_id,
                       f"{paths[0].name}: {len(report.errors)} errors, "
                       f"{len(report.warnings)} warnings")
    if report.ok:
        uploads.received(folder)
        try:
            # The import may be confirmed through another replica: share the files.
            await run_in_threadpool(p.storage.share_upload, upload_id, folder)
        except StorageError:
            shutil.rmtree(folder, ignore_errors=True)
            return page(request, "admin_message.html", {
                "title": "The files could not be stored",
                "message": "The file store did not answer. Nothing was kept: upload the "
                           "files again in a few minutes."}, 503)
    else:
        shutil.rmtree(folder, ignore_errors=True)
    return page(request, "report.html", {"report": report, "release": release,
                                         "upload_id": upload_id, "title": title},
                status=200 if report.ok else 422)


@router.post("/uploads/{upload_id}/import")
async def import_upload(request: Request, upload_id: str) -> Response:
    user, form, refusal = await signed_in_form(request)
    if refusal is not None:
        return refusal
    p = platform(request)
    folder = p.settings.data_dir / "uploads" / Path(upload_id).name
    try:
        if not (folder / "upload.json").exists():
            # Screened through another replica: fetch its shared copy, if there is one.
            await run_in_threadpool(p.storage.fetch_upload, Path(upload_id).name, folder)
        elif await run_in_threadpool(p.storage.upload_gone, Path(upload_id).name):
            # Screened here but imported through another replica (the form sent twice):
            # this copy is stale, and importing it would make a second data set.
            shutil.rmtree(folder, ignore_errors=True)
    except StorageError:
        return page(request, "admin_message.html", {
            "title": "The file store did not answer",
            "message": "Nothing was imported. Try again in a few minutes."}, 503)
    if not (folder / "upload.json").exists():
        return page(request, "admin_message.html", {"title": "Upload not found",
                                                    "message": "Upload the files again."}, 404)
    info = json.loads((folder / "upload.json").read_text())
    release = release_row(request, info["release_id"])
    if release is None or not accounts.allowed(p.catalogue, user, "upload",
                                               release["publication_id"]):
        return forbidden(request)
    if form.get("acknowledge") != "yes":
        return page(request, "admin_message.html", {
            "title": "Confirm you have read the warnings",
            "message": "Tick the box to say the warnings have been read, then import."}, 400)
    data_set_id = info["data_set_id"] or str(uuid.uuid4())

    def write(conn: Connection) -> None:
        existing = conn.execute(select(data_sets.c.id).where(data_sets.c.id == data_set_id)
                                ).first()
        if existing is None:
            p.catalogue.upsert_data_set(conn, data_set_id,
                                        publication_id=release["publication_id"],
                                        title=info["title"], summary=info["summary"])
        accounts.audit(conn, user, "import", "data_set", data_set_id, Path(info["data"]).name)

    try:
        # Building the version reads every row: in a worker thread, like screening.
        await run_in_threadpool(
            import_pair, p.catalogue, p.storage, p.settings, folder / info["data"],
            folder / info["meta"], data_set_id=data_set_id, release_id=release["id"],
            write_catalogue=write)
    except ScreeningFailed:
        return page(request, "admin_message.html", {"title": "The files have errors",
                                                    "message": "Nothing was imported."}, 422)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        try:
            await run_in_threadpool(p.storage.drop_upload, Path(upload_id).name)
        except StorageError:
            pass  # an unimported shared upload is swept after two days
    return RedirectResponse(f"/admin/releases/{release['id']}", status_code=303)


def data_set_summaries(request: Request, ids: list[str]) -> dict[str, str]:
    with platform(request).catalogue.engine.connect() as conn:
        return {r.id: r.summary for r in conn.execute(
            select(data_sets.c.id, data_sets.c.summary).where(data_sets.c.id.in_(ids)))}


def footnote_targets(meta: dict[str, Any]) -> list[tuple[str, str]]:
    """(value, label) of everything a footnote can be attached to."""
    out = [("", "The whole data set")]
    for f in meta["filters"]:
        out.append((f"filter:{f['column']}", f"Filter: {f['label']}"))
        out += [(f"option:{f['column']}:{o['label']}", f"{f['label']}: {o['label']}")
                for o in f["options"]]
    out += [(f"indicator:{i['column']}", f"Indicator: {i['label']}") for i in meta["indicators"]]
    return out


async def _data_set_action(request: Request, data_set_id: str, action: str
                           ) -> tuple[Any, Any, Any, Response | None]:
    """Common checks of a data-set form: signed in, CSRF, the data set exists, allowed."""
    user, form, refusal = await signed_in_form(request)
    if refusal is not None:
        return None, None, None, refusal
    catalogue = platform(request).catalogue
    with catalogue.engine.connect() as conn:
        ds = conn.execute(select(data_sets).where(data_sets.c.id == data_set_id)
                          ).mappings().first()
    if ds is None:
        return None, None, None, not_found_page(request)
    if not accounts.allowed(catalogue, user, action, ds["publication_id"]):
        return None, None, None, forbidden(request)
    return user, dict(ds), form, None


@router.post("/data-sets/{data_set_id}/details")
async def edit_data_set(request: Request, data_set_id: str) -> Response:
    """Change a data set's title and summary (shown from its next page view)."""
    user, ds, form, refusal = await _data_set_action(request, data_set_id, "edit_release")
    if refusal is not None:
        return refusal
    catalogue = platform(request).catalogue
    title = str(form.get("title", "")).strip()
    if not title or len(title) > 120:
        return page(request, "admin_message.html", {
            "title": "Enter a title of 120 characters or fewer", "message": ""}, 400)
    with catalogue.transaction() as conn:
        conn.execute(update(data_sets).where(data_sets.c.id == data_set_id).values(
            title=title, summary=str(form.get("summary", "")).strip()))
        accounts.audit(conn, user, "edit_data_set", "data_set", data_set_id, title)
    return RedirectResponse(urls.admin_target(str(form.get("back", ""))), status_code=303)


@router.post("/data-sets/{data_set_id}/footnotes")
async def add_footnote(request: Request, data_set_id: str) -> Response:
    """Attach a footnote to a data set, a filter, a filter option or an indicator."""
    user, ds, form, refusal = await _data_set_action(request, data_set_id, "edit_release")
    if refusal is not None:
        return refusal
    catalogue = platform(request).catalogue
    with catalogue.engine.connect() as conn:
        latest = catalogue.latest_version(conn, data_set_id)
    if latest is None:
        return not_found_page(request)
    text = str(form.get("text", "")).strip()
    target = str(form.get("target", ""))
    kind, _, rest = target.partition(":")
    column, _, option = rest.partition(":")
    note = footnotes.Footnote(text, filter=column if kind in ("filter", "option") else "",
                              option=option if kind == "option" else "",
                              indicator=column if kind == "indicator" else "")
    why = footnotes.problem(note, catalogue.version_metadata(latest["id"]))
    if not text or why or kind not in ("", "filter", "option", "indicator"):
        return page(request, "admin_message.html", {
            "title": "The footnote cannot be added",
            "message": why or "Write the footnote's text and choose what it applies to."}, 400)
    notes = [*json.loads(ds["footnotes"]), note.as_json()]
    with catalogue.transaction() as conn:
        conn.execute(update(data_sets).where(data_sets.c.id == data_set_id)
                     .values(footnotes=json.dumps(notes)))
        accounts.audit(conn, user, "add_footnote", "data_set", data_set_id,
                       f"{target or 'data set'}: {text[:80]}")
    return RedirectResponse(urls.admin_target(str(form.get("back", ""))), status_code=303)


@router.post("/releases/{release_id}/approve")
async def approve(request: Request, release_id: str) -> Response:
    """Publish now, or schedule for a date and time in UK time."""
    user, release, form, refusal = await _release_action(request, release_id, "approve")
    if refusal is not None:
        return refusal
    if form.get("when") == "now":
        when = datetime.now(UTC)
    else:
        text = f"{form.get('date', '')} {str(form.get('time', '')).strip()}"
        try:
            local = datetime.strptime(text, "%Y-%m-%d %H:%M:%S" if text.count(":") == 2
                                      else "%Y-%m-%d %H:%M")
        except ValueError:
            return page(request, "admin_message.html", {
                "title": "Enter a date and time",
                "message": "Give the publish date as YYYY-MM-DD and the time as HH:MM "
                           "or HH:MM:SS (UK time)."}, 400)
        when = local.replace(tzinfo=LONDON).astimezone(UTC)
        if when <= datetime.now(UTC):
            return page(request, "admin_message.html", {
                "title": "Choose a time in the future",
                "message": "To publish straight away, choose 'Publish now'."}, 400)
    try:
        accounts.approve(platform(request).catalogue, user, release_id, when)
    except AccountError as e:
        return page(request, "admin_message.html", {"title": "Nothing to publish",
                                                    "message": e.message}, 400)
    return RedirectResponse(f"/admin/releases/{release_id}", status_code=303)


@router.post("/releases/{release_id}/unschedule")
async def unschedule(request: Request, release_id: str) -> Response:
    user, release, form, refusal = await _release_action(request, release_id, "unschedule")
    if refusal is not None:
        return refusal
    try:
        accounts.unschedule(platform(request).catalogue, user, release_id)
    except AccountError as e:
        return page(request, "admin_message.html", {"title": "Cannot unschedule",
                                                    "message": e.message}, 400)
    return RedirectResponse(f"/admin/releases/{release_id}", status_code=303)


@router.post("/releases/{release_id}/pre-release")
async def pre_release(request: Request, release_id: str) -> Response:
    user, release, form, refusal = await _release_action(request, release_id,
                                                         "grant_pre_release")
    if refusal is not None:
        return refusal
    try:
        accounts.grant_pre_release(platform(request).catalogue, user, release_id,
                                   str(form.get("email", "")))
    except AccountError as e:
        return page(request, "admin_message.html", {"title": "No such account",
                                                    "message": e.message}, 400)
    return RedirectResponse(f"/admin/releases/{release_id}", status_code=303)


@router.get("/releases/{release_id}/preview/{data_set_id}", response_class=HTMLResponse)
def preview(request: Request, release_id: str, data_set_id: str) -> Response:
    """The data-set page exactly as it will look, drafts included."""
    user = current_user(request)
    if user is None:
        return to_login(request)
    release = release_row(request, release_id)
    if release is None or not accounts.allowed(platform(request).catalogue, user, "preview",
                                               release["publication_id"]):
        return forbidden(request)
    from openstats.web import pages

    return pages.render_data_set_page(request, data_set_id, version=None, preview=None,
                                      preview_releases=frozenset({release_id}),
                                      include_drafts=True)


# --- users and the audit log ------------------------------------------------------------------
@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request) -> Response:
    user = current_user(request)
    if user is None:
        return to_login(request)
    if not accounts.allowed(platform(request).catalogue, user, "view_audit"):
        return forbidden(request)
    return page(request, "audit.html", {"rows": accounts.audit_rows(platform(request).catalogue)})


@router.get("/audit.csv")
def audit_export(request: Request) -> Response:
    user = current_user(request)
    if user is None:
        return to_login(request)
    if not accounts.allowed(platform(request).catalogue, user, "view_audit"):
        return forbidden(request)
    return Response(accounts.audit_csv(platform(request).catalogue), media_type="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'})


# Creating accounts and ending their sessions: admin/auth.py.


def scheduled_in_future(value: datetime | None) -> bool:
    return value is not None and as_utc(value) > datetime.now(UTC)  # type: ignore[operator]


templates.env.tests["future"] = scheduled_in_future
