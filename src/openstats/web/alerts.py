"""Email alerts for readers (EES's "Get email alerts"): the form on every publication's
page posts here; a confirmation link (double opt-in) starts the alerts; every alert has
an unsubscribe link. Plain forms and links: no JavaScript needed.

When OPENSTATS_SMTP_URL is not set the site sends no mail, so the pages say alerts are
not available and nothing is stored.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from openstats.dependencies import platform, public_view
from openstats.model.public import PublicPublication
from openstats.notify import manage
from openstats.publishing.workflow import Refused
from openstats.web.pages import not_found, templates

router = APIRouter()


def _publication(request: Request, slug: str) -> PublicPublication | None:
    return public_view(request).publication(slug)


def _form(request: Request, pub: PublicPublication, email: str = "", error: str = "",
          status: int = 200) -> Response:
    page = templates.TemplateResponse(request, "email_alerts.html", {
        "pub": pub, "email": email, "error": error,
        "available": bool(platform(request).settings.smtp_url)}, status_code=status)
    page.headers["cache-control"] = "no-store"
    return page


def _message(request: Request, title: str, paragraphs: list[str], status: int = 200,
             links: list[tuple[str, str]] | None = None) -> Response:
    page = templates.TemplateResponse(request, "problem.html", {
        "title": title, "paragraphs": paragraphs, "links": links or []}, status_code=status)
    page.headers["cache-control"] = "no-store"
    return page


def _refused(request: Request, e: Refused) -> Response:
    return _message(request, e.title, [e.message], e.status,
                    [("Find statistics and data", "/find-statistics")])


@router.get("/find-statistics/{publication}/email-alerts", response_class=HTMLResponse)
def alerts_form(request: Request, publication: str) -> Response:
    pub = _publication(request, publication)
    return not_found(request) if pub is None else _form(request, pub)


@router.post("/find-statistics/{publication}/email-alerts")
async def subscribe(request: Request, publication: str) -> Response:
    pub = _publication(request, publication)
    if pub is None:
        return not_found(request)
    if not platform(request).settings.smtp_url:
        return _form(request, pub, status=503)
    form = await request.form()
    email = str(form.get("email", ""))
    try:
        manage.subscribe(platform(request).catalogue, pub.id, email)
    except Refused as e:
        return _form(request, pub, email, e.message, 400)
    return RedirectResponse(f"/find-statistics/{pub.slug}/email-alerts/sent", status_code=303)


@router.get("/find-statistics/{publication}/email-alerts/sent", response_class=HTMLResponse)
def sent(request: Request, publication: str) -> Response:
    pub = _publication(request, publication)
    if pub is None:
        return not_found(request)
    return _message(request, "Check your email", [
        f"If that address is not already subscribed, we have sent it a link to confirm "
        f"email alerts for {pub.title}. Alerts start once the link is followed.",
        "The link works for 7 days."], links=[(f"Back to {pub.title}",
                                              f"/find-statistics/{pub.slug}")])


@router.get("/subscriptions/confirm", response_class=HTMLResponse)
def confirm(request: Request, token: str = "") -> Response:
    try:
        found = manage.confirm(platform(request).catalogue, token)
    except Refused as e:
        return _refused(request, e)
    pub = public_view(request).publication_by_id(found.publication_id)
    title = pub.title if pub else "this publication"
    return _message(request, "You have subscribed", [
        f"We will email {found.email} when {title} publishes or updates a release. Every "
        "email has a link to unsubscribe."],
        links=[(f"Back to {title}", f"/find-statistics/{pub.slug}")] if pub else [])


@router.get("/subscriptions/unsubscribe", response_class=HTMLResponse)
def unsubscribe_form(request: Request, token: str = "") -> Response:
    try:
        found = manage.confirmed(platform(request).catalogue, token)
    except Refused as e:
        return _refused(request, e)
    pub = public_view(request).publication_by_id(found.publication_id)
    page = templates.TemplateResponse(request, "unsubscribe.html", {
        "token": token, "email": found.email, "title": pub.title if pub else ""})
    page.headers["cache-control"] = "no-store"
    return page


@router.post("/subscriptions/unsubscribe")
async def unsubscribe(request: Request) -> Response:
    """The page's button, and mail programs' one-click unsubscribe (RFC 8058: a POST to
    the List-Unsubscribe URL, the token in its query)."""
    form = await request.form()
    token = str(form.get("token") or request.query_params.get("token", ""))
    try:
        found = manage.unsubscribe(platform(request).catalogue, token)
    except Refused as e:
        return _refused(request, e)
    return _message(request, "You have unsubscribed", [
        f"We will not send {found.email} any more email alerts about this publication."])
