"""notifications: release events, webhooks, email subscriptions and the delivery outbox

A release event is written once per release version, when it is recorded as published;
releases published before this revision get none (their feeds start from the next one).
Webhooks and subscriptions start empty; the outbox holds what is still to be sent.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "release_events",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=30), nullable=False),
        _when("time"),
        _when("published"),
        sa.Column("release_version_id", sa.String(length=36), nullable=False),
        sa.Column("publication_id", sa.String(length=36), nullable=False),
        sa.Column("publication_slug", sa.String(length=200), nullable=False),
        sa.Column("publication_title", sa.Text(), nullable=False),
        sa.Column("release_id", sa.String(length=36), nullable=False),
        sa.Column("release_slug", sa.String(length=200), nullable=False),
        sa.Column("release_title", sa.Text(), nullable=False),
        sa.Column("version_number", sa.Integer(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("data_sets", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["release_version_id"], ["release_versions.id"],
                                name=op.f("fk_release_events_release_version_id")),
        sa.ForeignKeyConstraint(["publication_id"], ["publications.id"],
                                name=op.f("fk_release_events_publication_id")),
        sa.ForeignKeyConstraint(["release_id"], ["releases.id"],
                                name=op.f("fk_release_events_release_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_events")),
        sa.UniqueConstraint("release_version_id",
                            name=op.f("uq_release_events_release_version_id")),
    )
    op.create_index(op.f("ix_release_events_time"), "release_events", ["time"])
    op.create_index(op.f("ix_release_events_publication_id"), "release_events",
                    ["publication_id"])
    op.create_table(
        "webhooks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("publication_id", sa.String(length=36), nullable=True),
        _when("created"),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["publication_id"], ["publications.id"],
                                name=op.f("fk_webhooks_publication_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhooks")),
    )
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("publication_id", sa.String(length=36), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        _when("created"),
        _when("confirmed", nullable=True),
        sa.ForeignKeyConstraint(["publication_id"], ["publications.id"],
                                name=op.f("fk_subscriptions_publication_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
        sa.UniqueConstraint("token", name=op.f("uq_subscriptions_token")),
        sa.UniqueConstraint("email", "publication_id", name=op.f("uq_subscriptions_email")),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=True),
        sa.Column("webhook_id", sa.String(length=36), nullable=True),
        sa.Column("subscription_id", sa.String(length=36), nullable=True),
        sa.Column("target", sa.Text(), nullable=False),
        _when("created"),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _when("next_attempt"),
        _when("last_attempt", nullable=True),
        sa.Column("last_status", sa.Text(), nullable=False),
        _when("delivered", nullable=True),
        sa.ForeignKeyConstraint(["event_id"], ["release_events.id"],
                                name=op.f("fk_deliveries_event_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
    )
    op.create_index(op.f("ix_deliveries_event_id"), "deliveries", ["event_id"])
    op.create_index(op.f("ix_deliveries_webhook_id"), "deliveries", ["webhook_id"])
    op.create_index("ix_deliveries_state_next", "deliveries", ["state", "next_attempt"])


def downgrade() -> None:
    op.drop_index("ix_deliveries_state_next", table_name="deliveries")
    op.drop_index(op.f("ix_deliveries_webhook_id"), table_name="deliveries")
    op.drop_index(op.f("ix_deliveries_event_id"), table_name="deliveries")
    op.drop_table("deliveries")
    op.drop_table("subscriptions")
    op.drop_table("webhooks")
    op.drop_index(op.f("ix_release_events_publication_id"), table_name="release_events")
    op.drop_index(op.f("ix_release_events_time"), table_name="release_events")
    op.drop_table("release_events")
