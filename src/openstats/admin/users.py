"""The audit log, for admins (accounts are admin/auth.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from openstats.admin.pages import message, page, to_login
from openstats.dependencies import current_user, platform
from openstats.model.users import allowed
from openstats.publishing import accounts
from openstats.publishing.workflow import NotAllowed

router = APIRouter(prefix="/admin")


def refused(request: Request) -> Response | None:
    """The answer for someone who may not read the audit log (None for someone who may)."""
    user = current_user(request)
    if user is None:
        return to_login(request)
    if not allowed(user, "view_audit"):
        return message(request, NotAllowed().title, NotAllowed().message, 403)
    return None


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request) -> Response:
    answer = refused(request)
    if answer is not None:
        return answer
    return page(request, "audit.html",
                {"rows": accounts.audit_entries(platform(request).catalogue)})


@router.get("/audit.csv")
def audit_export(request: Request) -> Response:
    answer = refused(request)
    if answer is not None:
        return answer
    body = accounts.audit_csv(platform(request).catalogue)
    return Response(body, media_type="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'})
