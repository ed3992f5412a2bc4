"""Email alerts over STARTTLS, with a real SMTP server on loopback (aiosmtpd) under a
certificate authority made for the test and trusted through OPENSTATS_SMTP_CA_FILE:
the login is sent only inside TLS and the mail arrives; a server that does not offer
STARTTLS when the URL asks for it gets nothing, the delivery log says why, and the same
delivery is sent once the server is right (retried, not lost)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from openstats.catalogue import outbox
from openstats.model.notifications import Delivery, DeliveryKind, DeliveryState
from openstats.notify import deliver, mail, manage
from openstats.notify.webhook_post import SendFailed
from openstats.platform import open_platform
from openstats.settings import Settings
from tests.notify.helpers import PUBLICATION
from tests.notify.receivers import loopback_ca, smtp_server
from tests.notify.test_forms import published_site

READER = "reader@example.org"


def confirmations(settings: Settings) -> list[Delivery]:
    platform = open_platform(settings)
    try:
        with platform.catalogue.connect() as conn:
            return outbox.log(conn, kinds=(DeliveryKind.CONFIRM,))
    finally:
        platform.close()


def deliver_now(settings: Settings) -> deliver.Outcome:
    """One round of sending what is due (the retry is due at once: no waiting here)."""
    platform = open_platform(settings)
    try:
        return deliver.deliver_due(platform.catalogue, settings, rounds=1)
    finally:
        platform.close()


def test_starttls_with_a_login_delivers_and_a_server_without_it_is_retried(
        tmp_path: Path) -> None:
    ca = loopback_ca(tmp_path / "ca")
    with smtp_server(username="sender", password="s3cret", starttls=ca.server) as tls, \
            smtp_server() as plain:
        # The same URL's words (starttls=true) pointed at a server that has no STARTTLS.
        no_tls_url = plain.url + "?starttls=true"
        settings = dataclasses.replace(
            published_site(tmp_path, no_tls_url), smtp_ca_file=str(ca.ca_file),
            delivery_retry_seconds=0)
        platform = open_platform(settings)
        try:
            public = platform.catalogue.snapshots.view().publication(PUBLICATION)
            assert public is not None
            manage.subscribe(platform.catalogue, public.id, READER)
        finally:
            platform.close()

        assert deliver_now(settings) == deliver.Outcome(0, 1)
        assert plain.messages == []  # nothing sent in plain text
        [waiting] = confirmations(settings)
        assert waiting.state is DeliveryState.PENDING and waiting.attempts == 1
        assert "does not offer STARTTLS" in waiting.last_status
        assert "starttls=true" in waiting.last_status

        fixed = dataclasses.replace(settings, smtp_url=tls.url)
        assert deliver_now(fixed) == deliver.Outcome(1, 0)
        [sent] = confirmations(fixed)
        assert sent.id == waiting.id and sent.state is DeliveryState.DELIVERED
        assert sent.attempts == 2
        assert tls.logins == [("sender", "s3cret")]
        [message] = tls.to(READER)
        assert "Confirm your email alerts" in str(message["Subject"])
        assert "/subscriptions/confirm?token=" in message.get_content()


def test_the_server_certificate_is_verified(tmp_path: Path) -> None:
    """Without the test's CA file, the system's CAs do not know the server: refused, and
    with another authority's file too (verification is never switched off)."""
    ca, stranger = loopback_ca(tmp_path / "ca"), loopback_ca(tmp_path / "other")
    message = mail.confirmation("from@example.org", READER, "A publication",
                                "https://stats.example.test", "tok")
    with smtp_server(username="sender", password="s3cret", starttls=ca.server) as box:
        server = mail.server_of(box.url)
        for ca_file in ("", str(stranger.ca_file)):
            with pytest.raises(SendFailed, match="CERTIFICATE_VERIFY_FAILED"):
                mail.send(server, message, 10, ca_file)
        assert box.logins == [] and box.messages == []
        assert mail.send(server, message, 10, str(ca.ca_file)) == "250 accepted"
        assert box.logins == [("sender", "s3cret")] and len(box.messages) == 1
