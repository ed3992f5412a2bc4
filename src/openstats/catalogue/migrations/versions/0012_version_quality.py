"""version quality: each data-set version's quality report (the screening whose warnings
were accepted at import, and the counts of what its cells hold)

Versions imported before this revision get no row: their report is counted from their
Parquet file when first asked for, and says their screening was not kept.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "version_quality",
        sa.Column("version_id", sa.String(length=36), nullable=False),
        sa.Column("screening", sa.Text(), nullable=False),
        sa.Column("counts", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["version_id"], ["data_set_versions.id"],
                                name=op.f("fk_version_quality_version_id")),
        sa.PrimaryKeyConstraint("version_id", name=op.f("pk_version_quality")),
    )


def downgrade() -> None:
    op.drop_table("version_quality")
