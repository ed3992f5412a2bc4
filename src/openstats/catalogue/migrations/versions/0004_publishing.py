"""publishing

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.Column("user_email", sa.Text(), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=False),
        sa.Column("object_id", sa.String(length=36), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "publication_roles",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("publication_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["publication_id"],
            ["publications.id"],
            name=op.f("fk_publication_roles_publication_id"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_publication_roles_user_id")
        ),
        sa.PrimaryKeyConstraint("user_id", "publication_id", name=op.f("pk_publication_roles")),
    )
    op.create_table(
        "pre_release_access",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("release_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"], ["releases.id"], name=op.f("fk_pre_release_access_release_id")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_pre_release_access_user_id")
        ),
        sa.PrimaryKeyConstraint("user_id", "release_id", name=op.f("pk_pre_release_access")),
    )
    op.create_table(
        "release_states",
        sa.Column("release_id", sa.String(length=36), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("scheduled", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["approved_by"], ["users.id"], name=op.f("fk_release_states_approved_by")
        ),
        sa.ForeignKeyConstraint(
            ["release_id"], ["releases.id"], name=op.f("fk_release_states_release_id")
        ),
        sa.PrimaryKeyConstraint("release_id", name=op.f("pk_release_states")),
    )
    with op.batch_alter_table("data_set_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("published", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("notes", sa.Text(), nullable=False, server_default="")
        )
    # Versions loaded before this revision were public with their release.
    op.execute(
        "UPDATE data_set_versions SET published = (SELECT published FROM releases "
        "WHERE releases.id = data_set_versions.release_id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("data_set_versions", schema=None) as batch_op:
        batch_op.drop_column("notes")
        batch_op.drop_column("published")

    op.drop_table("release_states")
    op.drop_table("pre_release_access")
    op.drop_table("publication_roles")
    op.drop_table("users")
    op.drop_table("audit_log")
