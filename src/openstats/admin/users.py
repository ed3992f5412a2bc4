"""The audit log, for admins (accounts are admin/auth.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from openstats.admin.pages import message, page, to_login
from openstats.catalogue import audit
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
