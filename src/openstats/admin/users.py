"""Accounts and the audit log, for admins."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from openstats.admin.pages import message, page, signed_in_form, text, to_login
from openstats.catalogue import accounts, audit
from openstats.catalogue.accounts import AccountError
from openstats.dependencies import current_user, platform
from openstats.model.users import allowed
from openstats.publishing.workflow import NotAllowed

router = APIRouter(prefix="/admin")


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request) -> Response:
    user = current_user(request)
    if user is None:
        return to_login(request)
    if not allowed(user, "view_audit"):
        return message(request, NotAllowed().title, NotAllowed().message, 403)
    with platform(request).catalogue.connect() as conn:
        rows = audit.entries(conn)
    return page(request, "audit.html", {"rows": rows})


@router.get("/audit.csv")
def audit_export(request: Request) -> Response:
    user = current_user(request)
    if user is None:
        return to_login(request)
    if not allowed(user, "view_audit"):
        return message(request, NotAllowed().title, NotAllowed().message, 403)
    with platform(request).catalogue.connect() as conn:
        body = audit.as_csv(conn)
    return Response(body, media_type="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'})


@router.post("/users")
async def create_user(request: Request) -> Response:
    signed = await signed_in_form(request)
    if isinstance(signed, Response):
        return signed
    user, form = signed
    if not allowed(user, "manage_users"):
        return message(request, NotAllowed().title, NotAllowed().message, 403)
    publication_id = text(form, "publication_id")
    try:
        accounts.create_user(platform(request).catalogue, text(form, "email"),
                             text(form, "password"), text(form, "role"), text(form, "name"),
                             (publication_id,) if publication_id else (), by=user)
    except AccountError as e:
        return message(request, "Cannot create the account", e.message)
    return RedirectResponse("/admin", status_code=303)
