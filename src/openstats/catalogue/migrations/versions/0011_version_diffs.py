"""version diffs: the counts of observations each version added, removed and changed
since the version before it, written at import (the rows are a file in the version's
folder)

Versions imported before this have no row: their diffs are computed when first asked
for (query/diffs.py), so nothing needs filling in.

Revision ID: 0011
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "version_diffs",
        sa.Column("version_id", sa.String(length=36), nullable=False),
        sa.Column("from_version_id", sa.String(length=36), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("removed", sa.Integer(), nullable=False),
        sa.Column("changed", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["version_id"], ["data_set_versions.id"],
                                name=op.f("fk_version_diffs_version_id")),
        sa.ForeignKeyConstraint(["from_version_id"], ["data_set_versions.id"],
                                name=op.f("fk_version_diffs_from_version_id")),
        sa.PrimaryKeyConstraint("version_id", "from_version_id", name=op.f("pk_version_diffs")),
    )


def downgrade() -> None:
    op.drop_table("version_diffs")
