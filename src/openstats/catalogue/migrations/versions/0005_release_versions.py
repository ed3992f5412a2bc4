"""release versions: every word a publisher writes belongs to a release version

Revision ID: 0005
Revises: 0004

Before this revision a release held its words (title, guidance, ...) and a data set held
its title, summary and footnotes, each changed in place: a scheduled release of an
existing data set published its new words at once. Now a release is only an identity;
its first version and each amendment are rows of `release_versions` with their own
words, the publication's words as they publish them, and their state and time; and
`release_data_sets` says which data-set version each release version holds, with the
words written for it there.

Existing catalogues are carried over as they were seen: each distinct moment at which a
release's versions went public becomes a release version (0 for the first, then its
amendments), holding each data set's newest version public by then; unapproved draft
versions go into one draft release version after them. Words could only ever have one
value before, so every release version carries today's.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _utc(value: Any) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    assert isinstance(moment, datetime)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def upgrade() -> None:
    # (On SQLite, tables other tables point at are rebuilt below: catalogue/migrate.py
    # runs migrations with foreign keys off and checks every key before committing.)
    bind = op.get_bind()
    op.create_table(
        "release_versions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("release_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("release_type", sa.Text(), nullable=False),
        sa.Column("next_update", sa.Text(), nullable=False),
        sa.Column("data_guidance", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("theme_id", sa.String(length=36), nullable=False),
        sa.Column("publication_title", sa.Text(), nullable=False),
        sa.Column("publication_summary", sa.Text(), nullable=False),
        sa.Column("contact_team_name", sa.Text(), nullable=False),
        sa.Column("contact_team_email", sa.Text(), nullable=False),
        sa.Column("contact_name", sa.Text(), nullable=False),
        sa.Column("contact_telephone", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("scheduled", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(["release_id"], ["releases.id"],
                                name=op.f("fk_release_versions_release_id")),
        sa.ForeignKeyConstraint(["theme_id"], ["themes.id"],
                                name=op.f("fk_release_versions_theme_id")),
        sa.ForeignKeyConstraint(["approved_by"], ["users.id"],
                                name=op.f("fk_release_versions_approved_by")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_versions")),
        sa.UniqueConstraint("release_id", "number", name=op.f("uq_release_versions_release_id")),
    )
    op.create_table(
        "release_data_sets",
        sa.Column("release_version_id", sa.String(length=36), nullable=False),
        sa.Column("data_set_id", sa.String(length=36), nullable=False),
        sa.Column("version_id", sa.String(length=36), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("footnotes", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["release_version_id"], ["release_versions.id"],
                                name=op.f("fk_release_data_sets_release_version_id")),
        sa.ForeignKeyConstraint(["data_set_id"], ["data_sets.id"],
                                name=op.f("fk_release_data_sets_data_set_id")),
        sa.ForeignKeyConstraint(["version_id"], ["data_set_versions.id"],
                                name=op.f("fk_release_data_sets_version_id")),
        sa.PrimaryKeyConstraint("release_version_id", "data_set_id",
                                name=op.f("pk_release_data_sets")),
    )
    op.create_table(
        "catalogue_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogue_state")),
    )
    with op.batch_alter_table("saved_tables") as batch:
        batch.add_column(sa.Column("release_version_id", sa.String(length=36), nullable=True))
        batch.create_foreign_key(op.f("fk_saved_tables_release_version_id"),
                                 "release_versions", ["release_version_id"], ["id"])

    _carry_over(bind)
    op.execute("INSERT INTO catalogue_state (id, generation) VALUES (1, 1)")

    with op.batch_alter_table("data_set_versions") as batch:
        batch.drop_constraint("fk_data_set_versions_release_id", type_="foreignkey")
        batch.drop_column("release_id")
        batch.drop_column("published")
        batch.drop_column("notes")
    with op.batch_alter_table("data_sets") as batch:
        batch.drop_column("summary")
        batch.drop_column("footnotes")
        batch.drop_column("position")
    op.drop_table("release_states")
    with op.batch_alter_table("releases") as batch:
        for column in ("title", "release_type", "published", "last_updated", "next_update",
                       "data_guidance"):
            batch.drop_column(column)


def _carry_over(bind: sa.engine.Connection) -> None:
    """Turn each release's history into release versions (see the module docstring)."""
    now = datetime.now(UTC)

    def rows(sql: str, **params: Any) -> Sequence[Any]:
        return bind.execute(sa.text(sql), params).mappings().all()

    publications = {p["id"]: p for p in rows("SELECT * FROM publications")}
    data_sets = {d["id"]: d for d in rows("SELECT * FROM data_sets")}
    states = {s["release_id"]: s for s in rows("SELECT * FROM release_states")}
    featured = rows("SELECT * FROM saved_tables WHERE kind = 'featured' ORDER BY position")
    for release in rows("SELECT * FROM releases"):
        versions = rows("SELECT id, data_set_id, version_major, version_minor, published "
                        "FROM data_set_versions WHERE release_id = :r", r=release["id"])
        moments = sorted({t for v in versions if (t := _utc(v["published"])) is not None})
        first_moment = _utc(release["published"])
        if first_moment is not None and (not moments or first_moment < moments[0]):
            moments.insert(0, first_moment)
        state = states.get(release["id"])
        approved_by = state["approved_by"] if state else None
        plans: list[tuple[datetime | None, Sequence[Any]]] = []
        for at in moments:
            plans.append((at, [v for v in versions
                               if (when := _utc(v["published"])) is not None and when <= at]))
        drafts = [v for v in versions if v["published"] is None]
        if drafts or not plans:
            plans.append((None, versions))
        pub = publications[release["publication_id"]]
        public = [i for i, (moment, _) in enumerate(plans) if moment is not None]
        keep_index = public[-1] if public else len(plans) - 1
        for number, (moment, members) in enumerate(plans):
            rv_id = str(uuid.uuid4())
            bind.execute(sa.text(
                "INSERT INTO release_versions (id, release_id, number, created, title, "
                "release_type, next_update, data_guidance, notes, theme_id, publication_title, "
                "publication_summary, contact_team_name, contact_team_email, contact_name, "
                "contact_telephone, state, scheduled, approved_by) VALUES (:id, :release_id, "
                ":number, :created, :title, :release_type, :next_update, :data_guidance, '', "
                ":theme_id, :pt, :ps, :ctn, :cte, :cn, :ct, :state, :scheduled, :approved_by)"),
                {"id": rv_id, "release_id": release["id"], "number": number,
                 "created": release["created"], "title": release["title"],
                 "release_type": release["release_type"],
                 "next_update": release["next_update"] or "",
                 "data_guidance": release["data_guidance"] or "", "theme_id": pub["theme_id"],
                 "pt": pub["title"], "ps": pub["summary"] or "",
                 "ctn": pub["contact_team_name"] or "", "cte": pub["contact_team_email"] or "",
                 "cn": pub["contact_name"] or "", "ct": pub["contact_telephone"] or "",
                 "state": "draft" if moment is None else (
                     "published" if moment <= now else "approved"),
                 "scheduled": moment, "approved_by": approved_by if moment else None})
            newest: dict[str, Any] = {}
            for v in sorted(members, key=lambda v: (v["version_major"], v["version_minor"])):
                newest[v["data_set_id"]] = v
            for ds_id, v in newest.items():
                ds = data_sets[ds_id]
                bind.execute(sa.text(
                    "INSERT INTO release_data_sets (release_version_id, data_set_id, "
                    "version_id, title, summary, footnotes, position) VALUES (:rv, :ds, :v, "
                    ":title, :summary, :footnotes, :position)"),
                    {"rv": rv_id, "ds": ds_id, "v": v["id"], "title": ds["title"],
                     "summary": ds["summary"] or "", "footnotes": ds["footnotes"] or "[]",
                     "position": ds["position"] or 0})
            _carry_featured(bind, featured, rv_id, set(newest), keep_ids=number == keep_index)


def _carry_featured(bind: sa.engine.Connection, featured: Sequence[Any], rv_id: str,
                    data_set_ids: set[str], keep_ids: bool) -> None:
    """Featured tables belong to each release version holding their data set; the newest
    public one keeps the tables' ids, so links already shared still open them."""
    for table in featured:
        if table["data_set_id"] not in data_set_ids:
            continue
        if keep_ids:
            bind.execute(sa.text("UPDATE saved_tables SET release_version_id = :rv "
                                 "WHERE id = :id"), {"rv": rv_id, "id": table["id"]})
            continue
        bind.execute(sa.text(
            "INSERT INTO saved_tables (id, kind, data_set_id, version_id, release_version_id, "
            "name, description, selection, position, created) VALUES (:id, 'featured', :ds, "
            "NULL, :rv, :name, :description, :selection, :position, :created)"),
            {"id": str(uuid.uuid4()), "ds": table["data_set_id"], "rv": rv_id,
             "name": table["name"], "description": table["description"],
             "selection": table["selection"] if isinstance(table["selection"], str)
             else json.dumps(table["selection"]),
             "position": table["position"], "created": table["created"]})


def downgrade() -> None:
    raise NotImplementedError(
        "Revision 0005 cannot be undone: release versions hold words and history that the "
        "older schema has no place for. Restore a backup taken before the upgrade instead.")
