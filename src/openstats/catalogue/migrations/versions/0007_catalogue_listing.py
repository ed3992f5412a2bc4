"""catalogue listing: the data catalogue's search, filters and paging in SQL

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catalogue_listing",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("data_set_id", sa.String(length=36), nullable=False),
        sa.Column("version_id", sa.String(length=36), nullable=False),
        sa.Column("release_version_id", sa.String(length=36), nullable=False),
        sa.Column("release_id", sa.String(length=36), nullable=False),
        sa.Column("publication_id", sa.String(length=36), nullable=False),
        sa.Column("theme_id", sa.String(length=36), nullable=False),
        sa.Column("visible_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("visible_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("publication_title", sa.Text(), nullable=False),
        sa.Column("publication_slug", sa.String(length=200), nullable=False),
        sa.Column("release_title", sa.Text(), nullable=False),
        sa.Column("release_slug", sa.String(length=200), nullable=False),
        sa.Column("published", sa.DateTime(timezone=True), nullable=False),
        sa.Column("levels", sa.Text(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogue_listing")),
    )
    op.create_index(op.f("ix_catalogue_listing_data_set_id"), "catalogue_listing",
                    ["data_set_id"])
    op.create_index(op.f("ix_catalogue_listing_visible_from"), "catalogue_listing",
                    ["visible_from"])
    op.create_index(op.f("ix_catalogue_listing_publication_slug"), "catalogue_listing",
                    ["publication_slug"])
    op.create_index("ix_catalogue_listing_newest", "catalogue_listing",
                    ["published", "title", "data_set_id"])
    op.create_index("ix_catalogue_listing_theme_id", "catalogue_listing", ["theme_id"])
    op.create_index("ix_catalogue_listing_lower_title", "catalogue_listing",
                    [sa.text("lower(title)")])
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE catalogue_listing_fts USING fts5(search_text)")
    elif bind.dialect.name == "postgresql":
        op.execute("CREATE INDEX ix_catalogue_listing_search ON catalogue_listing USING gin "
                   "(to_tsvector('simple', search_text))")
    # Existing catalogues get their listing right after the upgrade, from what they hold
    # (catalogue/migrate.py: listing.ensure_built), with the code of the time: a migration
    # must not run application code that later revisions may change.


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("DROP TABLE catalogue_listing_fts")
    elif bind.dialect.name == "postgresql":
        op.execute("DROP INDEX ix_catalogue_listing_search")
    for name in ("ix_catalogue_listing_lower_title", "ix_catalogue_listing_theme_id",
                 "ix_catalogue_listing_newest", "ix_catalogue_listing_publication_slug",
                 "ix_catalogue_listing_visible_from"):
        op.drop_index(name, table_name="catalogue_listing")
    op.drop_index(op.f("ix_catalogue_listing_data_set_id"), table_name="catalogue_listing")
    op.drop_table("catalogue_listing")
