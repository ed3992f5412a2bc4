"""saved tables

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "saved_tables",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("data_set_id", sa.String(length=36), nullable=False),
        sa.Column("version_id", sa.String(length=36), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("selection", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["data_set_id"], ["data_sets.id"], name=op.f("fk_saved_tables_data_set_id")
        ),
        sa.ForeignKeyConstraint(
            ["version_id"], ["data_set_versions.id"], name=op.f("fk_saved_tables_version_id")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_tables")),
    )


def downgrade() -> None:
    op.drop_table("saved_tables")
