"""Email alerts over SMTP: the server from OPENSTATS_SMTP_URL, and the two mails we send
(a confirmation link for a new subscription, an alert for each release event), plain
text, each with its unsubscribe link (also as List-Unsubscribe, one click, RFC 8058).

    smtp://HOST:PORT                      plain SMTP (a relay on the same network)
    smtp://HOST:PORT?starttls=true        upgraded to TLS before anything is sent
    smtps://HOST:465                      TLS from the start
    smtp://USER:PASSWORD@HOST:PORT?...    with credentials (percent-encode : @ /)

TLS checks the server's certificate and name against the system's CA certificates, or
only those in OPENSTATS_SMTP_CA_FILE when it is set (a private mail relay's own CA).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo

from openstats.model.notifications import AMENDED, ReleaseEvent
from openstats.notify.webhook_post import SendFailed
from openstats.present.events import release_url

LONDON = ZoneInfo("Europe/London")


class BadSmtpUrl(ValueError):
    pass


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    tls: bool  # TLS from the start (smtps)
    starttls: bool
    username: str
    password: str


def server_of(url: str) -> SmtpServer:
    """The server an OPENSTATS_SMTP_URL names; BadSmtpUrl saying what is wrong."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise BadSmtpUrl(f"OPENSTATS_SMTP_URL must start smtp:// or smtps://, not {url!r}")
    if not parts.hostname:
        raise BadSmtpUrl("OPENSTATS_SMTP_URL names no host: smtp://HOST:PORT")
    try:
        port = parts.port or (465 if parts.scheme == "smtps" else 25)
    except ValueError:
        raise BadSmtpUrl("OPENSTATS_SMTP_URL has a port that is not a number") from None
    flag = parse_qs(parts.query).get("starttls", ["false"])[0].lower()
    return SmtpServer(parts.hostname, port, parts.scheme == "smtps",
                      flag in ("1", "true", "yes"), unquote(parts.username or ""),
                      unquote(parts.password or ""))


def send(server: SmtpServer, message: EmailMessage, timeout: float, ca_file: str = "") -> str:
    """Hand the message to the server; its answer ("250 ...") or SendFailed. `ca_file`:
    the CA certificates (PEM) to trust instead of the system's."""
    try:
        # Verification stays on (certificate and host name): only whom we trust changes.
        context = ssl.create_default_context(cafile=ca_file or None)
        smtp: smtplib.SMTP
        if server.tls:
            smtp = smtplib.SMTP_SSL(server.host, server.port, timeout=timeout,
                                    context=context)
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=timeout)
        with smtp:
            if server.starttls:
                smtp.ehlo()
                if not smtp.has_extn("starttls"):
                    # Never fall back to plain text: the URL asked for TLS (and the
                    # credentials, if any, must not cross the network in clear).
                    raise SendFailed(f"{server.host}:{server.port} does not offer STARTTLS, "
                                     "which OPENSTATS_SMTP_URL asks for (starttls=true); "
                                     "nothing was sent")
                smtp.starttls(context=context)
            if server.username:
                smtp.login(server.username, server.password)
            refused = smtp.send_message(message)
            if refused:
                raise SendFailed(f"refused: {refused}")
            return "250 accepted"
    except smtplib.SMTPResponseException as e:
        said = e.smtp_error
        text = said.decode(errors="replace") if isinstance(said, bytes) else str(said)
        raise SendFailed(f"{e.smtp_code} {text}") from None
    except (smtplib.SMTPException, OSError) as e:
        raise SendFailed(f"could not send: {e}") from None


def _message(sender: str, to: str, subject: str, text: str, unsubscribe: str | None
             ) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(LONDON))
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    message["Auto-Submitted"] = "auto-generated"
    if unsubscribe:
        message["List-Unsubscribe"] = f"<{unsubscribe}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text)
    return message


def unsubscribe_url(base: str, token: str) -> str:
    return f"{base}/subscriptions/unsubscribe?token={token}"


def confirm_url(base: str, token: str) -> str:
    return f"{base}/subscriptions/confirm?token={token}"


def confirmation(sender: str, to: str, publication_title: str, base: str,
                 token: str) -> EmailMessage:
    text = (f"Someone (we hope you) asked for email alerts when {publication_title} "
            "publishes a release or updates one.\n\n"
            f"To confirm, open this link:\n{confirm_url(base, token)}\n\n"
            "If you did not ask for this, ignore this email: nothing more will be sent.\n")
    return _message(sender, to, f"Confirm your email alerts for {publication_title}", text,
                    None)


def alert(sender: str, to: str, event: ReleaseEvent, base: str, token: str) -> EmailMessage:
    when = event.published.astimezone(LONDON).strftime("%-d %B %Y at %H:%M %Z")
    amended = event.type == AMENDED
    lines = [f"{event.publication_title}: {event.release_title} "
             f"{'has been updated' if amended else 'has been published'} ({when}).", ""]
    if amended and event.notes.strip():
        lines += ["What changed:", event.notes.strip(), ""]
    if event.data_sets:
        lines.append("Data sets:")
        lines += [f"- {d.title}, version {d.version}: {base}/data-catalogue/data-set/{d.id}"
                  for d in event.data_sets]
        lines.append("")
    lines += [f"Read the release: {release_url(base, event)}", "", "--",
              f"You get this email because you asked for alerts about "
              f"{event.publication_title}.",
              f"Unsubscribe: {unsubscribe_url(base, token)}", ""]
    subject = (f"Updated: {event.publication_title}, {event.release_title}" if amended
               else f"New release: {event.publication_title}, {event.release_title}")
    return _message(sender, to, subject, "\n".join(lines), unsubscribe_url(base, token))
