"""Notifications end to end, over real HTTP, a real SMTP server and real webhook receivers
on loopback, driven by the real commands (`openstats load`, `webhook add`,
`publish --due`, `deliver`) and by the server's own scheduler.

The embargo: a scheduled release has no change event, feed entry, mail or webhook before
its moment, nor once its moment is brought forward to a few seconds ahead (as a publisher
may, the server running), and each exists once `publish --due` (or the scheduler) has run
after it. A receiver that fails gets the same event on the retry.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import httpx

from openstats.catalogue import outbox
from openstats.model.notifications import DeliveryState
from openstats.notify import manage, signing
from openstats.platform import open_platform
from openstats.publishing.manifest import load_manifest
from openstats.settings import Settings
from tests.api.conftest import LiveServer, serve
from tests.notify.helpers import DATA_SET, PUBLICATION, soon, write_manifest
from tests.notify.receivers import smtp_server, wait_for, webhook_receiver
from tests.ops.helpers import environment, openstats
from tests.support.catalogue import FAR_AHEAD, reschedule

PUBLIC = "https://stats.example.test"  # OPENSTATS_PUBLIC_URL: links in mails and webhooks
SECOND = "academic-year-2021-22"  # the second release's slug
SECRET = "a shared secret, long enough"
READER = "reader@example.org"
ATOM = "{http://www.w3.org/2005/Atom}"


@contextmanager
def live_server(settings: Settings) -> Iterator[LiveServer]:
    running = serve(settings)
    try:
        yield next(running)
    finally:
        running.close()


def cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(openstats(*args), env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def changes(live: LiveServer, **params: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{live.api}/v1/changes", params=params, timeout=30)
    assert answer.status_code == 200, answer.text
    results: list[dict[str, Any]] = answer.json()["results"]
    return results


def feed_ids(live: LiveServer, path: str) -> list[str]:
    answer = httpx.get(live.base + path, timeout=30)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(answer.content)
    return [str(e.findtext(f"{ATOM}id")) for e in feed.iter(f"{ATOM}entry")]


def local(live: LiveServer, link: str) -> str:
    """A link a mail gave (on the public address) as this test server's URL."""
    assert link.startswith(PUBLIC + "/"), link
    return live.base + link.removeprefix(PUBLIC)


def test_scheduled_release_is_announced_only_after_its_time(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with smtp_server() as box, webhook_receiver(fail_first=1) as flaky, \
            webhook_receiver() as steady:
        env = environment(OPENSTATS_DATA_DIR=str(data), OPENSTATS_SMTP_URL=box.url,
                          OPENSTATS_PUBLIC_URL=PUBLIC, OPENSTATS_DELIVERY_RETRY_SECONDS="0.2",
                          COLUMNS="200")
        # A first release, public at once (the publication's page and its form exist),
        # recorded before any webhook is added.
        cli(env, "load", str(write_manifest(tmp_path / "first", None)))
        assert "1 release(s) published" in cli(env, "publish", "--due")
        added = cli(env, "webhook", "add", flaky.url, "--secret", SECRET,
                    "--publication", PUBLICATION)
        assert f"added: {flaky.url}" in added
        cli(env, "webhook", "add", steady.url, "--secret", SECRET)
        listed = cli(env, "webhook", "list")
        assert flaky.url in listed and steady.url in listed and SECRET not in listed

        settings = Settings(data_dir=data, smtp_url=box.url, public_url=PUBLIC,
                            scheduler_seconds=0, delivery_seconds=0, rate_limit=0)
        with live_server(settings) as live:
            page = httpx.get(f"{live.base}/find-statistics/{PUBLICATION}", timeout=30).text
            assert f'href="/find-statistics/{PUBLICATION}/feed.atom"' in page
            assert 'rel="alternate" type="application/atom+xml"' in page
            assert f'action="/find-statistics/{PUBLICATION}/email-alerts"' in page

            # Double opt-in: the form, then the confirmation link in a mail.
            asked = httpx.post(f"{live.base}/find-statistics/{PUBLICATION}/email-alerts",
                               data={"email": READER}, timeout=30)
            assert asked.status_code == 303
            assert "Check your email" in httpx.get(live.base + asked.headers["location"]).text
            assert "1 notification(s) sent" in cli(env, "deliver")
            [confirm_mail] = box.to(READER)
            assert confirm_mail["Subject"] == "Confirm your email alerts for Notified statistics"
            [link] = re.findall(r"https://\S+/subscriptions/confirm\?token=\S+",
                                confirm_mail.get_content())
            confirmed = httpx.get(local(live, link), timeout=30)
            assert confirmed.status_code == 200 and "You have subscribed" in confirmed.text
            [first] = changes(live)

            # A second release, scheduled ahead: nothing says anything before its time.
            # (Scheduled FAR_AHEAD: a command's start-up on a busy machine can take
            # seconds, and every check here must run before the moment.)
            when = soon(FAR_AHEAD.total_seconds())
            platform = open_platform(settings)
            try:
                second_id = load_manifest(platform, write_manifest(
                    tmp_path / "second", when, release_title="Academic year 2021/22")
                ).release_id
            finally:
                platform.close()

            def nothing_said() -> None:
                assert changes(live) == [first]
                assert feed_ids(live, f"/find-statistics/{PUBLICATION}/feed.atom") == [
                    f"urn:uuid:{first['id']}"]
                assert feed_ids(live, "/feeds/releases.atom") == [f"urn:uuid:{first['id']}"]
                assert httpx.get(f"{live.base}/find-statistics/{PUBLICATION}/{SECOND}"
                                 ).status_code == 404
                assert (flaky.got, steady.got, len(box.messages)) == ([], [], 1)

            assert "0 release(s) published" in cli(env, "publish", "--due")
            nothing_said()
            assert datetime.now(UTC) < when, "the checks above must run before the moment"
            # Brought forward to 2-3 s ahead: still nothing until it comes. (These checks
            # took 0.14 s at load average 3.8 on 2 cores.)
            platform = open_platform(settings)
            try:
                when = reschedule(platform.catalogue, second_id, 2)
            finally:
                platform.close()
            nothing_said()
            assert datetime.now(UTC) < when, "the checks above must run before the moment"

            time.sleep((when - datetime.now(UTC)).total_seconds() + 0.2)
            done = cli(env, "publish", "--due")
            assert "1 release(s) published" in done
            assert "2 notification(s) sent, 1 failed" in done  # steady + mail; flaky 500

            [_, second] = changes(live)
            assert second["type"] == "release.published"
            assert second["release"] == {"id": second["release"]["id"],
                                         "slug": SECOND, "title": "Academic year 2021/22",
                                         "version": 0, "notes": ""}
            assert [(d["id"], d["version"]) for d in second["dataSets"]] == [
                (DATA_SET, "1.0")]
            assert changes(live, since=str(second["time"])) == [second]
            assert feed_ids(live, f"/find-statistics/{PUBLICATION}/feed.atom")[0] == \
                f"urn:uuid:{second['id']}"
            assert feed_ids(live, "/feeds/releases.atom")[0] == f"urn:uuid:{second['id']}"

            # The webhook: signed, the same event (id for de-duplication), public links.
            [hit] = steady.delivered()
            assert signing.verify(SECRET, hit.body, hit.headers[signing.HEADER])
            sent = hit.json()
            assert (sent["id"], sent["type"]) == (second["id"], "release.published")
            assert sent["links"]["release"] == f"{PUBLIC}/find-statistics/{PUBLICATION}/{SECOND}"
            assert flaky.answered == [500]

            # The mail: what was published, and how to stop.
            [_, alert] = box.to(READER)
            assert alert["Subject"] == "New release: Notified statistics, Academic year 2021/22"
            text = alert.get_content()
            assert f"{PUBLIC}/find-statistics/{PUBLICATION}/{SECOND}" in text
            assert f"Tiny, version 1.0: {PUBLIC}/data-catalogue/data-set/{DATA_SET}" in text
            [leave] = re.findall(r"Unsubscribe: (\S+)", text)
            assert alert["List-Unsubscribe"] == f"<{leave}>"

            # The failed receiver gets the same event on the retry, 0.2 s later.
            time.sleep(0.4)
            assert "1 notification(s) sent, 0 failed" in cli(env, "deliver")
            assert flaky.answered == [500, 204]
            again = flaky.got[1]
            assert signing.verify(SECRET, again.body, again.headers[signing.HEADER])
            assert json.loads(again.body)["id"] == second["id"]
            platform = open_platform(settings)
            try:
                with platform.catalogue.connect() as conn:
                    logged = {d.target: d for d in outbox.of_event(conn, str(second["id"]))}
            finally:
                platform.close()
            assert (logged[flaky.url].state, logged[flaky.url].attempts) == (
                DeliveryState.DELIVERED, 2)
            assert logged[flaky.url].last_status == "HTTP 204"

            # Unsubscribing: a page with a button (no JavaScript), then no more alerts.
            asked_to_leave = httpx.get(local(live, leave), timeout=30)
            assert asked_to_leave.status_code == 200 and "Unsubscribe" in asked_to_leave.text
            token = leave.split("token=")[1]
            left = httpx.post(f"{live.base}/subscriptions/unsubscribe", data={"token": token})
            assert left.status_code == 200 and "You have unsubscribed" in left.text
            assert httpx.get(local(live, leave), timeout=30).status_code == 404


def test_the_servers_scheduler_announces_a_release_after_its_time(tmp_path: Path) -> None:
    """No cron: the server's scheduler records the release, its delivery loop sends it."""
    with webhook_receiver() as receiver:
        settings = Settings(data_dir=tmp_path / "data", scheduler_seconds=0.5,
                            delivery_seconds=0.5, rate_limit=0)
        platform = open_platform(settings)
        try:
            manage.add_webhook(platform.catalogue, None, receiver.url, SECRET)
            when = soon(FAR_AHEAD.total_seconds())
            release_id = load_manifest(platform, write_manifest(tmp_path / "m", when)
                                       ).release_id
        finally:
            platform.close()
        with live_server(settings) as live:  # its start-up takes what it takes
            assert changes(live) == [] and receiver.got == []
            # Brought forward to 2 s ahead, the server running: still nothing until then.
            platform = open_platform(settings)
            try:
                when = reschedule(platform.catalogue, release_id, 2)
            finally:
                platform.close()
            looked = 0
            while datetime.now(UTC) < when:
                assert changes(live) == [] and receiver.got == []
                looked += 1
                time.sleep(0.3)
            # Else "nothing before its moment" was never checked after the move.
            assert looked, "the checks took longer than the release's lead"
            [hit] = wait_for(lambda: receiver.delivered())
            [event] = changes(live)
            assert hit.json()["id"] == event["id"]
            assert datetime.fromisoformat(str(event["time"])) >= when
