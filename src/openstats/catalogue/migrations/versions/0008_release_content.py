"""release content: headline, key statistics, sections and data blocks, release notes,
pre-release access list, glossary terms, methodologies, superseded publications

Every new table but the methodologies' and successors' is keyed by release version, so
what it holds is embargoed with that version and copied into its amendments. Existing
releases get no content rows: their pages show what they showed before (summary from
the publication, no headline facts).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

RV = "release_versions.id"


def _rv_column() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column("release_version_id", sa.String(length=36), nullable=False)


def _rv_key(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["release_version_id"], [RV],
                                   name=op.f(f"fk_{table}_release_version_id"))


def upgrade() -> None:
    op.create_table(
        "release_content",
        _rv_column(),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("headline", sa.Text(), nullable=False),
        sa.Column("pre_release_access_list", sa.Text(), nullable=False),
        _rv_key("release_content"),
        sa.PrimaryKeyConstraint("release_version_id", name=op.f("pk_release_content")),
    )
    op.create_table(
        "key_statistics",
        _rv_column(),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("data_set_id", sa.String(length=36), nullable=False),
        sa.Column("indicator", sa.Text(), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("time_period", sa.Text(), nullable=False),
        sa.Column("filters", sa.Text(), nullable=False),
        sa.Column("trend", sa.Text(), nullable=False),
        sa.Column("guidance_title", sa.Text(), nullable=False),
        sa.Column("guidance_text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["data_set_id"], ["data_sets.id"],
                                name=op.f("fk_key_statistics_data_set_id")),
        _rv_key("key_statistics"),
        sa.PrimaryKeyConstraint("release_version_id", "id", name=op.f("pk_key_statistics")),
    )
    op.create_table(
        "content_sections",
        _rv_column(),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("heading", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        _rv_key("content_sections"),
        sa.PrimaryKeyConstraint("release_version_id", "id", name=op.f("pk_content_sections")),
    )
    op.create_table(
        "data_blocks",
        _rv_column(),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("section_id", sa.String(length=36), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("data_set_id", sa.String(length=36), nullable=False),
        sa.Column("spec", sa.Text(), nullable=False),
        sa.Column("chart", sa.String(length=20), nullable=False),
        sa.Column("chart_indicator", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["data_set_id"], ["data_sets.id"],
                                name=op.f("fk_data_blocks_data_set_id")),
        _rv_key("data_blocks"),
        sa.PrimaryKeyConstraint("release_version_id", "id", name=op.f("pk_data_blocks")),
    )
    op.create_table(
        "release_notes",
        _rv_column(),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("noted_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        _rv_key("release_notes"),
        sa.PrimaryKeyConstraint("release_version_id", "id", name=op.f("pk_release_notes")),
    )
    op.create_table(
        "glossary_terms",
        _rv_column(),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("term", sa.Text(), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        _rv_key("glossary_terms"),
        sa.PrimaryKeyConstraint("release_version_id", "slug", name=op.f("pk_glossary_terms")),
    )
    op.create_table(
        "methodologies",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("publication_id", sa.String(length=36), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["publication_id"], ["publications.id"],
                                name=op.f("fk_methodologies_publication_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_methodologies")),
        sa.UniqueConstraint("slug", name=op.f("uq_methodologies_slug")),
    )
    op.create_table(
        "methodology_versions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("methodology_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("sections", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("with_release_version_id", sa.String(length=36), nullable=True),
        sa.Column("scheduled", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(["approved_by"], ["users.id"],
                                name=op.f("fk_methodology_versions_approved_by")),
        sa.ForeignKeyConstraint(["methodology_id"], ["methodologies.id"],
                                name=op.f("fk_methodology_versions_methodology_id")),
        sa.ForeignKeyConstraint(["with_release_version_id"], [RV],
                                name=op.f("fk_methodology_versions_with_release_version_id")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_methodology_versions")),
        sa.UniqueConstraint("methodology_id", "number",
                            name=op.f("uq_methodology_versions_methodology_id")),
    )
    op.create_table(
        "publication_successors",
        sa.Column("publication_id", sa.String(length=36), nullable=False),
        sa.Column("superseded_by_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(["publication_id"], ["publications.id"],
                                name=op.f("fk_publication_successors_publication_id")),
        sa.ForeignKeyConstraint(["superseded_by_id"], ["publications.id"],
                                name=op.f("fk_publication_successors_superseded_by_id")),
        sa.PrimaryKeyConstraint("publication_id", name=op.f("pk_publication_successors")),
    )


def downgrade() -> None:
    for table in ("publication_successors", "methodology_versions", "methodologies",
                  "glossary_terms", "release_notes", "data_blocks", "content_sections",
                  "key_statistics", "release_content"):
        op.drop_table(table)
