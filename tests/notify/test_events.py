"""Release events, on SQLite and PostgreSQL: one per release version, recorded by
publish_due once the version's moment has come (never before, even when asked about a
later moment), with a delivery queued for each webhook that wants it; an amendment is an
event of its own."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from openstats.catalogue import events, outbox
from openstats.model.notifications import AMENDED, PUBLISHED, DeliveryKind
from openstats.notify import manage
from openstats.platform import open_platform
from openstats.publishing import workflow
from openstats.publishing.manifest import load_manifest
from openstats.settings import Settings
from tests.notify.helpers import DATA_SET, PUBLICATION, soon, write_manifest
from tests.support.catalogue import FAR_AHEAD, reschedule


def test_one_event_per_version_never_before_its_time(database_url: str,
                                                     tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url,
                        scheduler_seconds=0, delivery_seconds=0)
    platform = open_platform(settings)
    catalogue = platform.catalogue
    try:
        everywhere = manage.add_webhook(catalogue, None, "http://127.0.0.1:9/all",
                                        "s" * 16)
        when = soon(FAR_AHEAD.total_seconds())  # loading takes what it takes
        release_id = load_manifest(platform, write_manifest(tmp_path / "m", when)).release_id
        # The publication exists now (the manifest made it): a webhook for it alone.
        only_this = manage.add_webhook(catalogue, None, "https://127.0.0.1:9/this",
                                       "t" * 16, PUBLICATION)

        def nothing_recorded() -> None:
            # Before its moment: nothing recorded, even when asked about a later moment.
            assert workflow.publish_due(catalogue, at=when + timedelta(hours=1)) == []
            with catalogue.connect() as conn:
                assert events.since(conn, None) == (0, [])
                assert outbox.pending_count(conn) == 0

        nothing_recorded()
        when = reschedule(catalogue, release_id, 1)  # brought forward to 1-2 s ahead
        nothing_recorded()
        assert datetime.now(UTC) < when, "the checks took longer than the lead"
        time.sleep(max(0.0, (when - datetime.now(UTC)).total_seconds()) + 0.1)
        [marked] = workflow.publish_due(catalogue)
        assert workflow.publish_due(catalogue) == []  # once, however often it runs
        with catalogue.connect() as conn:
            total, [event] = events.since(conn, None)
            deliveries = outbox.of_event(conn, event.id)
        assert total == 1
        assert (event.type, event.release_version_id, event.version_number) == (
            PUBLISHED, marked.id, 0)
        assert event.publication_slug == PUBLICATION and event.published == when
        assert event.time >= when
        assert [(d.id, d.title, d.version) for d in event.data_sets] == [
            (DATA_SET, "Tiny", "1.0")]
        assert sorted((d.kind, d.webhook_id) for d in deliveries) == sorted(
            [(DeliveryKind.WEBHOOK, everywhere.id), (DeliveryKind.WEBHOOK, only_this.id)])

        # A changed data file makes an amendment, public at once: its own event.
        load_manifest(platform, write_manifest(tmp_path / "m", None, changed=True))
        [amendment] = workflow.publish_due(catalogue)
        with catalogue.connect() as conn:
            total, found = events.since(conn, None)
            later, only_new = events.since(conn, found[1].time)
            mine = events.latest(conn, publication_id=event.publication_id)
        assert total == 2 and found[0] == event
        assert (found[1].type, found[1].version_number, found[1].release_id) == (
            AMENDED, 1, event.release_id)
        assert found[1].release_version_id == amendment.id
        assert found[1].data_sets[0].version != "1.0"
        assert found[1].notes == "Updated from the release manifest."
        assert (later, only_new) == (1, [found[1]])  # `since` is inclusive
        assert mine == [found[1], event]  # newest first
    finally:
        platform.close()


def test_migration_0013_goes_back_and_forth(empty_database_url: str) -> None:
    """Down to 0012 drops the notification tables (and nothing else); up makes them again."""
    from alembic import command
    from sqlalchemy import create_engine, inspect

    from openstats.catalogue.db import Catalogue
    from openstats.catalogue.migrate import alembic_config

    Catalogue(empty_database_url).close()  # migrates to head
    engine = create_engine(empty_database_url)
    tables = {"release_events", "webhooks", "subscriptions", "deliveries"}
    try:
        with engine.begin() as conn:
            before = set(inspect(conn).get_table_names())
            command.downgrade(alembic_config(conn), "0012")
            assert set(inspect(conn).get_table_names()) == before - tables
            command.upgrade(alembic_config(conn), "head")
            assert set(inspect(conn).get_table_names()) == before
    finally:
        engine.dispose()
