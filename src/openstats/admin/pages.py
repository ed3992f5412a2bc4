"""How the publishing side answers: its templates, the signed-in checks every route makes,
forms with their CSRF token, and the GOV.UK message pages for refusals."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData

from openstats import sessions
from openstats.catalogue.values import as_utc, now
from openstats.dependencies import current_user
from openstats.model.users import User
from openstats.publishing.workflow import Refused

LONDON = ZoneInfo("Europe/London")
templates = Jinja2Templates(directory=[str(Path(__file__).parent / "templates"),
                                       str(Path(__file__).parents[1] / "web" / "templates")])


def london(value: datetime | None) -> str:
    """A moment as publishers read it: '21 November 2024 at 09:30 GMT'."""
    moment = as_utc(value)
    if moment is None:
        return ""
    return moment.astimezone(LONDON).strftime("%-d %B %Y at %H:%M %Z")


def scheduled_in_future(value: datetime | None) -> bool:
    moment = as_utc(value)
    return moment is not None and moment > now()


templates.env.filters["london"] = london
templates.env.tests["future"] = scheduled_in_future


def page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    response = templates.TemplateResponse(request, name, {
        **context, "user": current_user(request)}, status_code=status)
    token = sessions.csrf_token(request, response)
    response.body = bytes(response.body).replace(b"__CSRF__", token.encode())
    response.headers["content-length"] = str(len(response.body))
    response.headers["cache-control"] = "no-store"
    return response


def message(request: Request, title: str, text: str = "", status: int = 400) -> Response:
    return page(request, "admin_message.html", {"title": title, "message": text}, status)


def refused(request: Request, e: Refused) -> Response:
    """The page for a refusal a publishing service gave."""
    return message(request, e.title, e.message, e.status)


def to_login(request: Request) -> Response:
    return RedirectResponse(f"/admin/login?next={request.url.path}", status_code=303)


def bad_csrf(request: Request) -> Response:
    return message(request, "Your form has expired",
                   "Go back, reload the page and try again.")


async def form_of(request: Request) -> FormData | None:
    """The submitted form, or None when its CSRF token is missing or wrong."""
    form = await request.form()
    if not sessions.csrf_ok(request, str(form.get("csrf_token", ""))):
        return None
    return form


async def signed_in_form(request: Request) -> tuple[User, FormData] | Response:
    """(user, form) for a signed-in person's form with a good CSRF token, or the answer
    to give instead."""
    user = current_user(request)
    if user is None:
        return to_login(request)
    form = await form_of(request)
    if form is None:
        return bad_csrf(request)
    return user, form


def text(form: FormData, name: str, default: str = "") -> str:
    """A text field of a form ('' for a missing one or a file)."""
    value = form.get(name, default)
    return value if isinstance(value, str) else default
