"""Catalogue services: read and write themes, publications, releases, data sets, versions.

Routes and commands call these functions; none of them writes SQL of its own. Writes
that belong together take one transaction (`Catalogue.transaction()`), so a failure
leaves the catalogue as it was.
"""

from __future__ import annotations

import json
import re
import threading
import unicodedata
import uuid
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.engine import Connection, Engine, RowMapping

from openstats.catalogue import locks, migrate
from openstats.catalogue.schema import (
    data_set_versions,
    data_sets,
    publications,
    releases,
    saved_tables,
    themes,
)
from openstats.model.metadata import VersionMeta

# EES's release types.
RELEASE_TYPES: tuple[str, ...] = (
    "Accredited official statistics",
    "Official statistics",
    "Official statistics in development",
    "Experimental statistics",
    "Ad hoc statistics",
    "Management information",
)


def slugify(text: str) -> str:
    """'Children in need: A focus' -> 'children-in-need-a-focus'."""
    # Apostrophes join words ("Children's" -> "childrens") rather than split them.
    text = text.replace("'", "").replace("\u2019", "")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def now() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; we store and compare everything in UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


# JSON text held by each process's metadata cache (Python objects take a few times more).
METADATA_CACHE_BYTES = 64 * 1024 * 1024


class Catalogue:
    """The catalogue database: SQLite by default, PostgreSQL when its URL is given."""

    def __init__(self, url: str, *, migrate_now: bool = True, check_schema: bool = True,
                 pool_size: int = 5, max_overflow: int = 10) -> None:
        """Open the catalogue; `migrate_now` brings its schema to head (under a lock, so
        processes starting together migrate once), else `check_schema` insists on head."""
        self.url = url
        pooling: dict[str, Any] = {}
        if url.startswith("postgresql"):
            # One pool per process, shared by request threads and the scheduler; pre-ping
            # replaces connections the server or a proxy closed while they sat idle.
            # A bounded connect time: an unreachable server fails /readyz, not hangs it.
            pooling = {"pool_size": pool_size, "max_overflow": max_overflow,
                       "pool_pre_ping": True, "pool_recycle": 1800,
                       "connect_args": {"connect_timeout": 10}}
        self.engine: Engine = create_engine(url, future=True, **pooling)
        # Version metadata by version id, least recently used first (see version_metadata).
        # Keyed by version id: versions never change, so no replica can serve a stale one.
        self._metadata_cache: OrderedDict[str, tuple[Any, ...]] = OrderedDict()
        self._metadata_cached_bytes = 0
        self._metadata_lock = threading.Lock()
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", _sqlite_begin)
        if migrate_now:
            self.migrate()
        elif check_schema:
            migrate.check(self.engine)

    def migrate(self) -> str:
        """Apply pending migrations once, whoever else is starting; the revision after."""
        return migrate.migrate(self.engine)

    @contextmanager
    def exclusive(self, name: str) -> Iterator[None]:
        """A lock held across every process using this catalogue (see catalogue.locks)."""
        with locks.exclusive(self.engine, name):
            yield

    def ping(self) -> None:
        """Raise unless the database answers (for readiness checks)."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def transaction(self, *, immediate: bool = False) -> Iterator[Connection]:
        """One transaction; `immediate` takes SQLite's write lock at its start, for
        read-then-write work that another process may be doing at the same moment."""
        with self.engine.connect() as conn:
            # info belongs to the pooled DBAPI connection: set for this use only.
            conn.info["begin_immediate"] = immediate
            try:
                with conn.begin():
                    yield conn
            finally:
                conn.info.pop("begin_immediate", None)

    # --- themes, publications, releases --------------------------------------------------
    def upsert_theme(self, conn: Connection, title: str, slug: str | None = None,
                     summary: str = "") -> str:
        slug = slug or slugify(title)
        row = conn.execute(select(themes.c.id).where(themes.c.slug == slug)).first()
        if row:
            conn.execute(themes.update().where(themes.c.id == row.id)
                         .values(title=title, summary=summary))
            return str(row.id)
        theme_id = new_id()
        conn.execute(themes.insert().values(id=theme_id, title=title, slug=slug,
                                            summary=summary))
        return theme_id

    def upsert_publication(self, conn: Connection, theme_id: str, title: str, *,
                           slug: str | None = None, summary: str = "",
                           contact: dict[str, str] | None = None) -> str:
        slug = slug or slugify(title)
        contact = contact or {}
        values = {
            "theme_id": theme_id, "title": title, "summary": summary,
            "contact_team_name": contact.get("team_name", ""),
            "contact_team_email": contact.get("team_email", ""),
            "contact_name": contact.get("contact_name", ""),
            "contact_telephone": contact.get("telephone", ""),
        }
        row = conn.execute(select(publications.c.id).where(publications.c.slug == slug)).first()
        if row:
            conn.execute(publications.update().where(publications.c.id == row.id).values(**values))
            return str(row.id)
        publication_id = new_id()
        conn.execute(publications.insert().values(id=publication_id, slug=slug, **values))
        return publication_id

    def upsert_release(self, conn: Connection, publication_id: str, title: str, *,
                       slug: str | None = None, release_type: str = "Official statistics",
                       published: datetime | None = None, next_update: str = "",
                       data_guidance: str = "", release_id: str | None = None) -> str:
        """Create or update the release `slug` of a publication; `release_id` for new ones."""
        slug = slug or slugify(title)
        values = {"title": title, "release_type": release_type,
                  "published": as_utc(published), "next_update": next_update,
                  "data_guidance": data_guidance}
        row = conn.execute(select(releases).where(
            releases.c.publication_id == publication_id, releases.c.slug == slug)).first()
        if row:
            changed = {k: v for k, v in values.items()
                       if (as_utc(getattr(row, k)) if k == "published" else getattr(row, k)) != v}
            if changed:
                conn.execute(releases.update().where(releases.c.id == row.id).values(**changed))
            return str(row.id)
        release_id = release_id or new_id()
        conn.execute(releases.insert().values(
            id=release_id, publication_id=publication_id, slug=slug, created=now(), **values))
        return release_id

    # --- data sets and versions ----------------------------------------------------------
    def upsert_data_set(self, conn: Connection, data_set_id: str, *, publication_id: str | None,
                        title: str, summary: str = "", footnotes: list[str] | None = None,
                        position: int = 0) -> str:
        values = {"publication_id": publication_id, "title": title, "summary": summary,
                  "footnotes": json.dumps(footnotes or []), "position": position}
        row = conn.execute(select(data_sets).where(data_sets.c.id == data_set_id)).first()
        if row:
            changed = {k: v for k, v in values.items() if getattr(row, k) != v}
            if changed:
                conn.execute(data_sets.update().where(data_sets.c.id == data_set_id)
                             .values(**changed))
            return data_set_id
        conn.execute(data_sets.insert().values(id=data_set_id, created=now(), **values))
        return data_set_id

    def ensure_data_set(self, conn: Connection, data_set_id: str, *, title: str) -> None:
        """Create a data set not yet in any publication, unless it exists already."""
        if conn.execute(select(data_sets.c.id).where(data_sets.c.id == data_set_id)).first():
            return
        conn.execute(data_sets.insert().values(id=data_set_id, publication_id=None, title=title,
                                               summary="", footnotes="[]", position=0,
                                               created=now()))

    def add_version(self, conn: Connection, *, data_set_id: str, release_id: str | None,
                    major: int, minor: int, storage_key: str, metadata: dict[str, Any],
                    changes: dict[str, Any] | None = None,
                    published: datetime | None = None) -> str:
        """Record a version; `published` None keeps it a draft until a release approval."""
        version_id = storage_key
        conn.execute(data_set_versions.insert().values(
            id=version_id, data_set_id=data_set_id, release_id=release_id,
            version_major=major, version_minor=minor, created=now(),
            row_count=metadata["row_count"], data_file_name=metadata["data_file"],
            meta_file_name=metadata["meta_file"], data_sha256=metadata["data_sha256"],
            meta_sha256=metadata["meta_sha256"], storage_key=storage_key,
            metadata=json.dumps(metadata), changes=json.dumps(changes or {}),
            published=as_utc(published),
        ))
        return version_id

    def latest_version(self, conn: Connection, data_set_id: str) -> RowMapping | None:
        return conn.execute(
            select(data_set_versions).where(data_set_versions.c.data_set_id == data_set_id)
            .order_by(data_set_versions.c.version_major.desc(),
                      data_set_versions.c.version_minor.desc()).limit(1)
        ).mappings().first()

    def storage_keys(self) -> set[str]:
        with self.engine.connect() as conn:
            return {r[0] for r in conn.execute(select(data_set_versions.c.storage_key))}

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                    for t in (themes, publications, releases, data_sets, data_set_versions)}

    # --- saved tables --------------------------------------------------------------------
    def save_permalink(self, data_set_id: str, version_id: str,
                       selection: dict[str, Any]) -> str:
        table_id = new_id()
        with self.transaction() as conn:
            conn.execute(saved_tables.insert().values(
                id=table_id, kind="permalink", data_set_id=data_set_id, version_id=version_id,
                name="", description="", selection=json.dumps(selection), position=0,
                created=now()))
        return table_id

    def replace_featured(self, conn: Connection, data_set_id: str,
                         tables: list[dict[str, Any]]) -> None:
        """A data set's featured tables become exactly `tables` (name, description, spec)."""
        current = [(r.name, r.description, r.selection) for r in conn.execute(
            select(saved_tables).where(saved_tables.c.data_set_id == data_set_id,
                                       saved_tables.c.kind == "featured")
            .order_by(saved_tables.c.position))]
        wanted = [(t["name"], t.get("description", ""), json.dumps(t["spec"], sort_keys=True))
                  for t in tables]
        if current == wanted:
            return  # loading the same manifest again changes nothing
        conn.execute(saved_tables.delete().where(saved_tables.c.data_set_id == data_set_id,
                                                 saved_tables.c.kind == "featured"))
        for position, (name, description, spec) in enumerate(wanted):
            conn.execute(saved_tables.insert().values(
                id=new_id(), kind="featured", data_set_id=data_set_id, version_id=None,
                name=name, description=description, selection=spec, position=position,
                created=now()))

    def saved_table(self, table_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(saved_tables).where(saved_tables.c.id == table_id)
                               ).mappings().first()
        return None if row is None else {**row, "selection": json.loads(row["selection"])}

    def featured_tables(self, data_set_ids: list[str]) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(saved_tables).where(
                saved_tables.c.kind == "featured",
                saved_tables.c.data_set_id.in_(data_set_ids))
                .order_by(saved_tables.c.data_set_id, saved_tables.c.position)).mappings().all()
        return [{**r, "selection": json.loads(r["selection"])} for r in rows]

    # --- public reads --------------------------------------------------------------------
    def public_versions(self, at: datetime | None = None, *, data_set_id: str | None = None,
                        publication_id: str | None = None,
                        preview_releases: frozenset[str] = frozenset(),
                        include_drafts: bool = False) -> list[dict[str, Any]]:
        return _public_versions(self, at or now(), data_set_id=data_set_id,
                                publication_id=publication_id,
                                preview_releases=preview_releases,
                                include_drafts=include_drafts)

    def version_meta(self, version_id: str) -> VersionMeta:
        """A version's metadata as typed objects (see version_metadata for the caching)."""
        self.version_metadata(version_id)
        with self._metadata_lock:
            cached = self._metadata_cache[version_id]
            if len(cached) == 2:
                cached = (*cached, VersionMeta.from_json(cached[1]))
                self._metadata_cache[version_id] = cached
            return cached[2]

    def version_metadata(self, version_id: str) -> dict[str, Any]:
        """A version's metadata. Versions never change, so it is cached, least recently used
        out first, up to METADATA_CACHE_BYTES of JSON text: a catalogue of thousands of
        small data sets fits whole (the catalogue page reads them all), while a few huge
        ones (a location list of every school) cannot push the process out of memory."""
        with self._metadata_lock:
            cached = self._metadata_cache.get(version_id)
            if cached is not None:
                self._metadata_cache.move_to_end(version_id)
                return cached[1]
        with self.engine.connect() as conn:
            text = conn.execute(select(data_set_versions.c.metadata)
                                .where(data_set_versions.c.id == version_id)).scalar_one()
        meta = dict(json.loads(text))
        with self._metadata_lock:
            if version_id not in self._metadata_cache:
                self._metadata_cache[version_id] = (len(text), meta)
                self._metadata_cached_bytes += len(text)
            while (self._metadata_cached_bytes > METADATA_CACHE_BYTES
                   and len(self._metadata_cache) > 1):
                _, (size, *_) = self._metadata_cache.popitem(last=False)
                self._metadata_cached_bytes -= size
        return meta

    def public_data_set(self, data_set_id: str, at: datetime | None = None) -> dict[str, Any]:
        """A published data set with its latest public version, or NotFound.

        Unknown and not-yet-published data sets are indistinguishable to the caller.
        """
        from openstats.errors import NotFound

        rows = self.public_versions(at, data_set_id=data_set_id)
        if not rows:
            raise NotFound("No such data set.")
        r = rows[0]
        return {
            "id": data_set_id, "title": r["title"], "summary": r["summary"],
            "footnotes": json.loads(r["footnotes"]), "version": r["version"],
            "version_id": r["id"], "storage_key": r["storage_key"],
            "metadata": self.version_metadata(r["id"]),
            "release": {"title": r["release_title"], "slug": r["release_slug"],
                        "type": r["release_type"], "published": r["published"],
                        "next_update": r["next_update"]},
            "publication": {"title": r["publication_title"], "slug": r["publication_slug"],
                            "summary": r["publication_summary"],
                            "contact": {"team_name": r["contact_team_name"],
                                        "team_email": r["contact_team_email"],
                                        "contact_name": r["contact_name"],
                                        "telephone": r["contact_telephone"]}},
            "theme": {"title": r["theme_title"], "slug": r["theme_slug"]},
        }


def version_string(major: int, minor: int) -> str:
    return f"{major}.{minor}"


def _public_versions(catalogue: Catalogue, at: datetime, *, data_set_id: str | None = None,
                     publication_id: str | None = None,
                     preview_releases: frozenset[str] = frozenset(),
                     include_drafts: bool = False) -> list[dict[str, Any]]:
    """Every version public at `at` (it and its release published by then), newest first.

    This is the one place that decides what the public may see; API routes, pages and
    downloads all read through it. `preview_releases` are releases the viewer has
    pre-release access to: their scheduled versions are shown before their time.
    """
    v, ds, rel, pub = data_set_versions, data_sets, releases, publications
    query = (
        select(v.c.id, v.c.data_set_id, v.c.version_major, v.c.version_minor, v.c.row_count,
               v.c.storage_key, v.c.data_file_name, v.c.meta_file_name, v.c.created,
               ds.c.title, ds.c.summary, ds.c.footnotes, ds.c.position,
               ds.c.publication_id, rel.c.title.label("release_title"),
               rel.c.slug.label("release_slug"), rel.c.release_type, rel.c.published,
               rel.c.last_updated, rel.c.next_update, pub.c.title.label("publication_title"),
               pub.c.slug.label("publication_slug"),
               pub.c.summary.label("publication_summary"),
               pub.c.contact_team_name, pub.c.contact_team_email, pub.c.contact_name,
               pub.c.contact_telephone, rel.c.id.label("release_id"),
               rel.c.data_guidance, themes.c.title.label("theme_title"),
               themes.c.slug.label("theme_slug"), v.c.data_sha256, v.c.meta_sha256,
               v.c.published.label("version_published"), v.c.notes)
        .join(ds, ds.c.id == v.c.data_set_id)
        .join(rel, rel.c.id == v.c.release_id)
        .join(pub, pub.c.id == ds.c.publication_id)
        .join(themes, themes.c.id == pub.c.theme_id)
    )
    if not include_drafts:
        query = query.where(rel.c.published.is_not(None), v.c.published.is_not(None))
    if data_set_id is not None:
        query = query.where(v.c.data_set_id == data_set_id)
    if publication_id is not None:
        query = query.where(ds.c.publication_id == publication_id)
    with catalogue.engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(query).mappings()]
    public = []
    for r in rows:
        r["published"] = as_utc(r["published"])
        r["version_published"] = as_utc(r["version_published"])
        visible = (r["published"] is not None and r["version_published"] is not None
                   and r["published"] <= at and r["version_published"] <= at)
        previewed = r["release_id"] in preview_releases and (
            include_drafts or r["version_published"] is not None)
        if visible or previewed:
            # A draft previewed by its publisher shows its intended moment, or now.
            r["published"] = r["published"] or at
            r["version"] = version_string(r["version_major"], r["version_minor"])
            r["preview"] = not visible
            public.append(r)
    public.sort(key=lambda r: (r["data_set_id"], -r["version_major"], -r["version_minor"]))
    return public


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Take over transactions from Python's sqlite3 (see _sqlite_begin), so that schema
    # changes are all-or-nothing like everything else.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets readers (the web app) go on while an import commits; FKs are off by default.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("begin_immediate") else "BEGIN")
