"""How the publishing side answers: its templates, the signed-in checks every route makes,
forms with their CSRF token, the GOV.UK message pages for refusals, and the one pattern
every form route follows.

The form pattern (GOV.UK's "question pages"), in three calls:

- A route that changes something ends with `done(request, url, "What happened")`: a 303
  redirect (post-redirect-get, so refresh and Back never send the form again) that leaves
  a one-time message in the session cookie; the next page shown through `page()` takes it
  and shows it in a GOV.UK success notification banner (admin_base.html).
- When a publishing service refuses the form (`Refused`), the route answers
  `form_refused(request, e, "name", form, template, context)`: for a refusal about what
  was typed or chosen (status 400), the same page again, the form holding everything
  that was typed, a GOV.UK error summary at the top of the page with a link to each field
  in error (the refusal's `field`, or its `problems`), and each field's message beside
  it; any other refusal (no right, no such thing, not now) gets its own message page.
  A route that finds problems itself calls `again(request, template, context,
  FormState.of("name", form, problems))`.
- A page showing forms is `signed_in_page(request, template, context)`, where `context`
  (user -> dict) is the function the form routes also give `form_refused`.
- Templates build fields with the macros in `_forms.html` (input, textarea, select,
  radios, checkbox, file), which take `state("name")`: the submitted state of that form
  when it is the one being shown again, else an empty one, so the page's other forms stay
  as they were. Field ids are `<form name>-<field name>`, which the summary links to.

    {% import "_forms.html" as forms %}
    {% set f = state("theme") %}
    <form method="post" action="/admin/themes" id="{{ f.name }}" novalidate>
      {{ forms.csrf() }}
      {{ forms.input(f, "title", "Theme title") }}
      <button class="govuk-button" type="submit">Create theme</button>
    </form>

    @router.post("/themes")
    async def create_theme(request):
        ...
        except Refused as e:
            return form_refused(request, e, "theme", form, "themes.html",
                                lambda: themes_context(request))
        return done(request, "/admin/themes", f"Theme '{title}' created")
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from starlette.datastructures import FormData

from openstats import sessions
from openstats.catalogue.values import as_utc, now
from openstats.dependencies import current_user
from openstats.model.users import User
from openstats.publishing.workflow import Refused

LONDON = ZoneInfo("Europe/London")
FLASH = "flash"  # the session key of the one-time success message
UPLOAD_SCRIPT = "x-openstats-upload"
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


# --- forms: what was sent, and what is wrong with it ---------------------------------------
@dataclass(frozen=True)
class Problem:
    """One thing wrong with a form: the field (its name; '' for the form as a whole) and
    what to do about it, in GOV.UK's words ("Enter a title", "Choose a release type")."""

    field: str
    message: str


@dataclass(frozen=True)
class FormState:
    """One form of a page: what was typed into it (when it is shown again) and its
    problems. An empty state (nothing sent) shows the template's defaults."""

    name: str  # the form's id on the page; its fields' ids start with it
    values: dict[str, list[str]] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()
    sent: bool = False

    @classmethod
    def of(cls, name: str, form: FormData, problems: Iterable[Problem] = ()) -> FormState:
        """The state of a submitted form: its text fields (files cannot be given back to
        a browser, and the CSRF token is the page's own)."""
        values: dict[str, list[str]] = {}
        for key, value in form.multi_items():
            if isinstance(value, str) and key != "csrf_token":
                values.setdefault(key, []).append(value)
        return cls(name, values, tuple(problems), sent=True)

    def id(self, field_name: str) -> str:
        return f"{self.name}-{field_name}" if field_name else self.name

    def value(self, field_name: str, default: Any = "") -> str:
        """What was typed, or (nothing sent) the template's default."""
        if not self.sent:
            return "" if default is None else str(default)
        return self.values.get(field_name, [""])[0]

    def chosen(self, field_name: str, value: str, default: bool = False) -> bool:
        """Whether a radio or checkbox with this value is to be shown ticked."""
        if not self.sent:
            return default
        return value in self.values.get(field_name, [])

    def error(self, field_name: str) -> str:
        return " ".join(p.message for p in self.problems if p.field == field_name)


def problems_of(e: Refused) -> tuple[Problem, ...]:
    """A publishing service's refusal as form problems: each field it names, or (when it
    names none) one problem about the whole form, in its title's words and its message's."""
    if e.problems:
        return tuple(Problem(f, m) for f, m in e.problems)
    if e.field:
        return (Problem(e.field, e.message or e.title),)
    return (Problem("", f"{e.title}. {e.message}" if e.message else e.title),)


@pass_context
def state(context: Context, name: str) -> FormState:
    """In a template: the state of form `name` (the one sent, if it is being shown again)."""
    shown = context.get("form")
    if isinstance(shown, FormState) and shown.name == name:
        return shown
    return FormState(name)


templates.env.filters["london"] = london
templates.env.tests["future"] = scheduled_in_future
templates.env.globals["state"] = state


# --- answering ------------------------------------------------------------------------------
def page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    """A publishing page, with the session's CSRF token in its forms and the one-time
    success message (if a redirect left one) in its banner."""
    flash = str(sessions.read(request).get(FLASH, ""))
    response = templates.TemplateResponse(request, name, {
        "flash": flash, **context, "user": current_user(request)}, status_code=status)
    # The upload script follows the redirect itself and then sends the browser there:
    # the message is for that visit (static/app/upload-progress.js).
    if flash and request.headers.get(UPLOAD_SCRIPT) != "progress":
        data = sessions.read(request)
        data.pop(FLASH, None)  # shown once
        sessions.write(request, response, data)
    token = sessions.csrf_token(request, response)
    response.body = bytes(response.body).replace(b"__CSRF__", token.encode())
    response.headers["content-length"] = str(len(response.body))
    response.headers["cache-control"] = "no-store"
    return response


def signed_in_page(request: Request, name: str,
                   context: Callable[[User], dict[str, Any]]) -> Response:
    """A page for signed-in people: sign-in first, the page with `context(user)`, or the
    page of the refusal that building it raised (no right, no such thing)."""
    user = current_user(request)
    if user is None:
        return to_login(request)
    try:
        return page(request, name, context(user))
    except Refused as e:
        return refused(request, e)


def done(request: Request, url: str, said: str) -> Response:
    """After a change: go to `url` (303), which shows `said` in a success banner once."""
    response = RedirectResponse(url, status_code=303)
    flash(request, response, said)
    return response


def flash(request: Request, response: Response, said: str) -> None:
    """Leave `said` for the next page shown to this browser (once)."""
    sessions.write(request, response, {**sessions.read(request), FLASH: said})


def again(request: Request, name: str, context: dict[str, Any], form: FormState,
          status: int = 400) -> Response:
    """The page of a form that was not accepted, shown again with what was typed, a
    GOV.UK error summary linked to each field in error, and each field's message."""
    return page(request, name, {**context, "form": form}, status)


def form_refused(request: Request, e: Refused, name: str, form: FormData, template: str,
                 context: Callable[[], dict[str, Any]]) -> Response:
    """The answer to a form a publishing service refused: its page again, with the
    problems, when they are about what was typed or chosen (status 400); otherwise (no
    right, no such thing, not now) the refusal's own page. `context` builds the page's
    context, only when it is shown."""
    if e.status != 400:
        return refused(request, e)
    try:
        shown = context()
    except Refused as other:
        return refused(request, other)
    return again(request, template, shown, FormState.of(name, form, problems_of(e)))


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


async def closes_its_form(request: Request) -> AsyncIterator[None]:
    """A dependency of every publishing route: once the route is done, the form's uploaded
    files (spooled temporary files) are closed, as FastAPI does for its own Form parameters;
    form_of reads the form itself (for the CSRF check), so FastAPI would leave them open."""
    yield
    await request.close()


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
