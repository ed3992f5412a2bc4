"""Webhooks, for administrators: add and remove them, and read the delivery log (what
was sent to each receiver, how it answered, and when the next attempt is)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from openstats.admin.pages import done, form_refused, refused, signed_in_form, signed_in_page
from openstats.admin.pages import text as field
from openstats.dependencies import platform
from openstats.model.users import User
from openstats.notify import manage
from openstats.publishing import publications
from openstats.publishing.workflow import Refused

router = APIRouter(prefix="/admin")


def webhooks_context(request: Request, user: User) -> dict[str, Any]:
    catalogue = platform(request).catalogue
    hooks = manage.webhooks(catalogue, user)  # refuses anyone but an administrator
    pubs = publications.all_publications(catalogue)
    titles = {p.id: p.title for p in pubs}
    return {"hooks": [(h, titles.get(h.publication_id or "", "Every publication"))
                      for h in hooks],
            "log": manage.delivery_log(catalogue, user),
            "publications": [("", "Every publication"), *((p.slug, p.title) for p in pubs)]}


@router.get("/webhooks", response_class=HTMLResponse)
def webhooks_page(request: Request) -> Response:
    return signed_in_page(request, "webhooks.html", lambda user: webhooks_context(request, user))


@router.post("/webhooks")
async def add_webhook(request: Request) -> Response:
    signed = await signed_in_form(request)
    if isinstance(signed, Response):
        return signed
    user, form = signed
    try:
        made = manage.add_webhook(platform(request).catalogue, user, field(form, "url"),
                                  field(form, "secret"), field(form, "publication"))
    except Refused as e:
        return form_refused(request, e, "webhook", form, "webhooks.html",
                            lambda: webhooks_context(request, user))
    return done(request, "/admin/webhooks", f"Webhook added: {made.url}")


@router.post("/webhooks/{webhook_id}/remove")
async def remove_webhook(request: Request, webhook_id: str) -> Response:
    signed = await signed_in_form(request)
    if isinstance(signed, Response):
        return signed
    user, _ = signed
    try:
        gone = manage.remove_webhook(platform(request).catalogue, user, webhook_id)
    except Refused as e:
        return refused(request, e)
    return done(request, "/admin/webhooks", f"Webhook removed: {gone.url}")
