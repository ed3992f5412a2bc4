"""Notifications' forms, pages and refusals, in process: the change feed's parameters,
webhook URLs that are not http(s), subscription tokens that are unknown or unconfirmed,
bad email addresses, alerts on a site without SMTP, the admin webhooks page (the
publishing side's form pattern) and its rights. Bad input stores nothing."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from openstats.catalogue import accounts, subscribers
from openstats.catalogue.schema import subscriptions, webhooks
from openstats.notify import mail, manage
from openstats.notify.webhook_post import SendFailed
from openstats.platform import open_platform
from openstats.publishing import workflow
from openstats.publishing.manifest import load_manifest
from openstats.publishing.workflow import Refused
from openstats.settings import Settings
from tests.admin.helpers import PASSWORD, Browser, Person, in_process
from tests.notify.helpers import PUBLICATION, write_manifest
from tests.notify.receivers import smtp_server
from tests.ops.helpers import environment, openstats
from tests.support.catalogue import migrated_data_dir

ALERTS = f"/find-statistics/{PUBLICATION}/email-alerts"


def published_site(tmp_path: Path, smtp_url: str) -> Settings:
    settings = Settings(data_dir=migrated_data_dir(tmp_path), smtp_url=smtp_url,
                        scheduler_seconds=0, delivery_seconds=0, rate_limit=0)
    platform = open_platform(settings)
    try:
        load_manifest(platform, write_manifest(tmp_path / "m", None))
        workflow.publish_due(platform.catalogue)
        accounts.create_user(platform.catalogue, "admin@example.org", PASSWORD, "admin")
        accounts.create_user(platform.catalogue, "pub@example.org", PASSWORD, "publisher")
    finally:
        platform.close()
    return settings


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Browser, Settings]]:
    # Mail is never sent here (no delivery step runs): the address only switches alerts on.
    settings = published_site(tmp_path_factory.mktemp("forms"), "smtp://127.0.0.1:9")
    with in_process(settings) as browser:
        yield browser, settings


def count(settings: Settings, table: object) -> int:
    platform = open_platform(settings)
    try:
        with platform.catalogue.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]
    finally:
        platform.close()


def test_change_feed_refuses_bad_parameters_by_name(site: tuple[Browser, Settings]) -> None:
    reader = site[0]()
    for query, path in (("since=yesterday", "since"), ("since=2025-13-01", "since"),
                        ("publicationId=not-an-id", "publicationId"), ("pageSize=0", "pageSize"),
                        ("sinse=2025-01-01", "sinse")):
        answer = reader.get(f"/api/v1/changes?{query}")
        assert answer.status_code == 400, query
        assert [e["path"] for e in answer.json()["errors"]] == [path], query
    said = reader.get("/api/v1/changes?since=soon").json()["errors"][0]["message"]
    assert "ISO 8601" in said and "since" in said
    # A date alone, or a time without an offset, is read as UTC.
    listed = reader.get("/api/v1/changes?since=2020-01-01&pageSize=5").json()
    assert listed["paging"] == {"page": 1, "pageSize": 5, "totalResults": 1, "totalPages": 1}
    assert listed["results"][0]["type"] == "release.published"
    assert reader.get("/api/v1/changes?since=2999-01-01T00:00:00").json()["results"] == []
    doc = reader.get("/api/openapi.json").json()["paths"]["/api/v1/changes"]["get"]
    assert doc["x-openstats-extension"] is True and "not part of EES" in doc["description"]


def test_a_webhook_url_must_be_http_or_https(site: tuple[Browser, Settings]) -> None:
    browser, settings = site
    before = count(settings, webhooks)
    done = subprocess.run(openstats("webhook", "add", "ftp://example.org/hook", "--secret",
                                    "x" * 20, "--data-dir", str(settings.data_dir)),
                          env=environment(COLUMNS="200"), capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 1
    assert "URL: Enter a webhook URL that starts with http:// or https://" in done.stderr
    platform = open_platform(settings)
    try:
        with pytest.raises(Refused) as refused:
            manage.add_webhook(platform.catalogue, None, "hook.example.org", "short", "nope")
    finally:
        platform.close()
    assert [f for f, _ in refused.value.problems] == ["url", "secret", "publication"]

    admin = browser()
    assert admin.sign_in("admin@example.org").status_code == 303
    page = admin.post("/admin/webhooks", {"url": "javascript:alert(1)", "secret": "y" * 20},
                      token_from="/admin/webhooks")
    assert page.status_code == 400
    assert '<a href="#webhook-url">' in page.text and 'value="javascript:alert(1)"' in page.text
    assert count(settings, webhooks) == before  # nothing stored


def test_admins_add_and_remove_webhooks(site: tuple[Browser, Settings]) -> None:
    browser, _ = site
    publisher = browser()
    assert publisher.sign_in("pub@example.org").status_code == 303
    assert publisher.get("/admin/webhooks").status_code == 403
    admin: Person = browser()
    assert admin.sign_in("admin@example.org").status_code == 303
    added = admin.follow(admin.post("/admin/webhooks", {
        "url": "https://receiver.example.org/hook", "secret": "z" * 20,
        "publication": PUBLICATION}, token_from="/admin/webhooks"))
    assert "Webhook added: https://receiver.example.org/hook" in added.text
    assert "Notified statistics" in added.text and "Delivery log" in added.text
    [hook_id] = re.findall(r'action="/admin/webhooks/([^/]+)/remove"', added.text)
    refused = publisher.post(f"/admin/webhooks/{hook_id}/remove", token_from="/admin")
    assert refused.status_code == 403
    removed = admin.follow(admin.post(f"/admin/webhooks/{hook_id}/remove",
                                      token_from="/admin/webhooks"))
    assert "Webhook removed: https://receiver.example.org/hook" in removed.text
    assert f"/admin/webhooks/{hook_id}/remove" not in removed.text
    audit = admin.get("/admin/audit").text
    assert "add_webhook" in audit and "remove_webhook" in audit


def test_subscription_tokens_unknown_or_unconfirmed(site: tuple[Browser, Settings]) -> None:
    browser, settings = site
    reader = browser()
    unknown = reader.get("/subscriptions/confirm?token=no-such-token")
    assert unknown.status_code == 404 and "This link is not valid" in unknown.text
    assert reader.get("/subscriptions/unsubscribe?token=").status_code == 404
    gone = reader.client.post("/subscriptions/unsubscribe", data={"token": "nope"})
    assert gone.status_code == 404

    bad = reader.client.post(ALERTS, data={"email": "not an address"})
    assert bad.status_code == 400
    assert "Enter an email address in the correct format" in bad.text
    assert 'value="not an address"' in bad.text and 'href="#alerts-email"' in bad.text
    assert count(settings, subscriptions) == 0

    asked = reader.client.post(ALERTS, data={"email": "Someone@Example.org"})
    assert asked.status_code == 303
    platform = open_platform(settings)
    try:
        with platform.catalogue.connect() as conn:
            [(email, token)] = conn.execute(select(subscriptions.c.email,
                                                   subscriptions.c.token)).all()
    finally:
        platform.close()
    assert email == "someone@example.org"
    pending = reader.get(f"/subscriptions/unsubscribe?token={token}")
    assert pending.status_code == 409 and "never confirmed" in pending.text
    assert reader.get(f"/subscriptions/confirm?token={token}").status_code == 200
    assert reader.get(f"/subscriptions/unsubscribe?token={token}").status_code == 200
    # Asking again once confirmed changes nothing and says the same.
    assert reader.client.post(ALERTS, data={"email": "someone@example.org"}).status_code == 303
    platform = open_platform(settings)
    try:
        with platform.catalogue.connect() as conn:
            found = subscribers.by_token(conn, token)
    finally:
        platform.close()
    assert found is not None and found.confirmed is not None


def test_alerts_are_unavailable_without_smtp(tmp_path: Path) -> None:
    settings = published_site(tmp_path, "")
    with in_process(settings) as browser:
        reader = browser()
        page = reader.get(f"/find-statistics/{PUBLICATION}").text
        assert "Email alerts are not available on this site" in page
        assert f'action="{ALERTS}"' not in page
        refused = reader.client.post(ALERTS, data={"email": "someone@example.org"})
        assert refused.status_code == 503 and "not available" in refused.text
    assert count(settings, subscriptions) == 0


def test_smtp_urls_and_credentials() -> None:
    assert mail.server_of("smtp://127.0.0.1:1025") == mail.SmtpServer(
        "127.0.0.1", 1025, False, False, "", "")
    assert mail.server_of("smtps://mail.example.org") == mail.SmtpServer(
        "mail.example.org", 465, True, False, "", "")
    assert mail.server_of("smtp://me%40x.org:p%3Ass@mail.example.org:587?starttls=true") == \
        mail.SmtpServer("mail.example.org", 587, False, True, "me@x.org", "p:ss")
    for bad in ("http://mail.example.org", "smtp://", "smtp://host:port"):
        with pytest.raises(mail.BadSmtpUrl):
            mail.server_of(bad)
    # Credentials given in the URL are used: a real server that requires them.
    with smtp_server(username="sender", password="s3cret") as box:
        message = mail.confirmation("from@example.org", "to@example.org", "A publication",
                                    "https://stats.example.test", "tok")
        assert mail.send(mail.server_of(box.url), message, 10) == "250 accepted"
        assert box.logins == [("sender", "s3cret")] and len(box.messages) == 1
        wrong = box.url.replace("s3cret", "wrong")
        with pytest.raises(SendFailed, match="^535 "):  # refused, not timed out
            mail.send(mail.server_of(wrong), message, 10)
