"""The catalogue's tables, in SQLAlchemy Core: the single source of the SQL schema.

Over 400 lines on purpose: it is one schema, every table, key and index side by side,
so that a migration (migrations/) and the schema check at start compare against one place
and a foreign key is read next to the table it names.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)

metadata = MetaData(
    naming_convention={
        "pk": "pk_%(table_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ix": "ix_%(table_name)s_%(column_0_name)s",
    }
)

# Ids are UUIDs written as text, so that SQLite and PostgreSQL hold the same values.
themes = Table(
    "themes", metadata,
    Column("id", String(36), primary_key=True),
    Column("title", Text, nullable=False),
    Column("slug", String(200), nullable=False, unique=True),
    Column("summary", Text, nullable=False, default=""),
)

publications = Table(
    "publications", metadata,
    Column("id", String(36), primary_key=True),
    Column("theme_id", String(36), ForeignKey("themes.id"), nullable=False),
    Column("title", Text, nullable=False),
    Column("slug", String(200), nullable=False, unique=True),
    Column("summary", Text, nullable=False, default=""),
    Column("contact_team_name", Text, nullable=False, default=""),
    Column("contact_team_email", Text, nullable=False, default=""),
    Column("contact_name", Text, nullable=False, default=""),
    Column("contact_telephone", Text, nullable=False, default=""),
)

# A release is an identity (its publication and URL slug); everything written for it lives
# in its versions: the first (number 0) and each amendment. What readers see of a release,
# and of the publication it belongs to, is its latest version public at that moment.
releases = Table(
    "releases", metadata,
    Column("id", String(36), primary_key=True),
    Column("publication_id", String(36), ForeignKey("publications.id"), nullable=False),
    Column("slug", String(200), nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    UniqueConstraint("publication_id", "slug"),
)

release_versions = Table(
    "release_versions", metadata,
    Column("id", String(36), primary_key=True),
    Column("release_id", String(36), ForeignKey("releases.id"), nullable=False),
    Column("number", Integer, nullable=False),  # 0 for the first, then 1, 2, ... amendments
    Column("created", DateTime(timezone=True), nullable=False),
    Column("title", Text, nullable=False),  # e.g. "Reporting year 2024"
    Column("release_type", Text, nullable=False),
    Column("next_update", Text, nullable=False, default=""),
    Column("data_guidance", Text, nullable=False, default=""),
    Column("notes", Text, nullable=False, default=""),  # release note: what this version changed
    # The publication's words as this version publishes them (embargoed with it).
    Column("theme_id", String(36), ForeignKey("themes.id"), nullable=False),
    Column("publication_title", Text, nullable=False),
    Column("publication_summary", Text, nullable=False, default=""),
    Column("contact_team_name", Text, nullable=False, default=""),
    Column("contact_team_email", Text, nullable=False, default=""),
    Column("contact_name", Text, nullable=False, default=""),
    Column("contact_telephone", Text, nullable=False, default=""),
    # draft -> approved (scheduled) -> published (the scheduler recorded it). Public iff
    # not a draft and scheduled <= now: visibility needs no job to run on time.
    Column("state", String(20), nullable=False),
    Column("scheduled", DateTime(timezone=True), nullable=True),
    Column("approved_by", String(36), ForeignKey("users.id"), nullable=True),
    UniqueConstraint("release_id", "number"),
)

# The data sets of a release version: which version of each, and the words written for it
# in this release version (title, summary, footnotes), public exactly when it is.
release_data_sets = Table(
    "release_data_sets", metadata,
    Column("release_version_id", String(36), ForeignKey("release_versions.id"),
           primary_key=True),
    Column("data_set_id", String(36), ForeignKey("data_sets.id"), primary_key=True),
    Column("version_id", String(36), ForeignKey("data_set_versions.id"), nullable=False),
    Column("title", Text, nullable=False),
    Column("summary", Text, nullable=False, default=""),
    Column("footnotes", Text, nullable=False, default="[]"),  # JSON list (model.footnotes)
    Column("position", Integer, nullable=False, default=0),  # order within the release
)

# --- release content: what a release version says besides its data (model/content.py) ---
# Keyed by release version, so it is embargoed with it; an amendment starts with a copy
# (releases.new_version). Items keep their ids across versions (links to a data block's
# chart keep working), so they are keyed by (release version, id).
release_content = Table(
    "release_content", metadata,
    Column("release_version_id", String(36), ForeignKey("release_versions.id"),
           primary_key=True),
    Column("summary", Text, nullable=False, default=""),
    Column("headline", Text, nullable=False, default=""),
    Column("pre_release_access_list", Text, nullable=False, default=""),
)

key_statistics = Table(
    "key_statistics", metadata,
    Column("release_version_id", String(36), ForeignKey("release_versions.id"),
           primary_key=True),
    Column("id", String(36), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("title", Text, nullable=False),
    Column("data_set_id", String(36), ForeignKey("data_sets.id"), nullable=False),
    Column("indicator", Text, nullable=False),  # column
    Column("location", Text, nullable=False),  # LEVEL|property|value
    Column("time_period", Text, nullable=False),  # period|code
    Column("filters", Text, nullable=False, default="{}"),  # JSON: column -> option label
    Column("trend", Text, nullable=False, default=""),
    Column("guidance_title", Text, nullable=False, default=""),
    Column("guidance_text", Text, nullable=False, default=""),
)

content_sections = Table(
    "content_sections", metadata,
    Column("release_version_id", String(36), ForeignKey("release_versions.id"),
           primary_key=True),
    Column("id", String(36), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("heading", Text, nullable=False),
    Column("body", Text, nullable=False, default=""),
)

data_blocks = Table(
    "data_blocks", metadata,
    Column("release_version_id", String(36), ForeignKey("release_versions.id"),
           primary_key=True),
    Column("id", String(36), primary_key=True),
    Column("section_id", String(36), nullable=True),  # NULL: the headline block
    Column("position", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("data_set_id", String(36), ForeignKey("data_sets.id"), nullable=False),
    Column("spec", Text, nullable=False),  # JSON of model.catalogue.TableSpec
    Column("chart", String(20), nullable=False, default="none"),
    Column("chart_indicator", Text, nullable=False, default=""),
)

release_notes = Table(
    "release_notes", metadata,
    Column("release_version_id", String(36), ForeignKey("release_versions.id"),
           primary_key=True),
    Column("id", String(36), primary_key=True),
    Column("noted_on", Date, nullable=False),
    Column("reason", Text, nullable=False),
)

# The glossary is the site's, but each term is written in a release version and public
# with it (published.View.glossary).
glossary_terms = Table(
    "glossary_terms", metadata,
    Column("release_version_id", String(36), ForeignKey("release_versions.id"),
           primary_key=True),
    Column("slug", String(200), primary_key=True),
    Column("term", Text, nullable=False),
    Column("definition", Text, nullable=False),
)

# Methodologies: a publication's, versioned like releases. A version is public once
# approved, either with a release version (exactly when that is public) or from its
# scheduled moment ("immediately").
methodologies = Table(
    "methodologies", metadata,
    Column("id", String(36), primary_key=True),
    Column("publication_id", String(36), ForeignKey("publications.id"), nullable=False),
    Column("slug", String(200), nullable=False, unique=True),
    Column("created", DateTime(timezone=True), nullable=False),
)

methodology_versions = Table(
    "methodology_versions", metadata,
    Column("id", String(36), primary_key=True),
    Column("methodology_id", String(36), ForeignKey("methodologies.id"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("title", Text, nullable=False),
    Column("summary", Text, nullable=False, default=""),
    Column("sections", Text, nullable=False, default="[]"),  # JSON: [{heading, body}]
    Column("notes", Text, nullable=False, default=""),
    Column("state", String(20), nullable=False),  # draft | approved
    Column("with_release_version_id", String(36), ForeignKey("release_versions.id"),
           nullable=True),
    Column("scheduled", DateTime(timezone=True), nullable=True),
    Column("approved_by", String(36), ForeignKey("users.id"), nullable=True),
    UniqueConstraint("methodology_id", "number"),
)

# A publication replaced by another: readers are sent on to the successor once the
# successor has a public release (published.View.successor).
publication_successors = Table(
    "publication_successors", metadata,
    Column("publication_id", String(36), ForeignKey("publications.id"), primary_key=True),
    Column("superseded_by_id", String(36), ForeignKey("publications.id"), nullable=False),
)

# A data set's identity (its id stays the same across versions and releases). `title` is a
# working name for the publishing side only (a data set imported outside any release);
# readers see the title its release version gives it.
data_sets = Table(
    "data_sets", metadata,
    Column("id", String(36), primary_key=True),
    Column("publication_id", String(36), ForeignKey("publications.id"), nullable=True),
    Column("title", Text, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
)

# An immutable version of a data set's numbers: its files and metadata. It is public once a
# public release version names it (release_data_sets).
data_set_versions = Table(
    "data_set_versions", metadata,
    Column("id", String(36), primary_key=True),
    Column("data_set_id", String(36), ForeignKey("data_sets.id"), nullable=False),
    Column("version_major", Integer, nullable=False),
    Column("version_minor", Integer, nullable=False),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("row_count", Integer, nullable=False),
    Column("data_file_name", Text, nullable=False),
    Column("meta_file_name", Text, nullable=False),
    Column("data_sha256", String(64), nullable=False),
    Column("meta_sha256", String(64), nullable=False),
    Column("storage_key", Text, nullable=False),  # folder of data.parquet + source files
    Column("metadata", Text, nullable=False),  # JSON: model.metadata.VersionMeta
    Column("changes", Text, nullable=False, default="{}"),  # JSON: change from previous
    UniqueConstraint("data_set_id", "version_major", "version_minor"),
)

# Observation-level diffs written at import (ingest/diff.py): how many observations a
# version added, removed and changed since an earlier one; the rows themselves are the
# file diff_from_<from_version_id>.parquet in the version's folder.
version_diffs = Table(
    "version_diffs", metadata,
    Column("version_id", String(36), ForeignKey("data_set_versions.id"), primary_key=True),
    Column("from_version_id", String(36), ForeignKey("data_set_versions.id"),
           primary_key=True),
    Column("added", Integer, nullable=False),
    Column("removed", Integer, nullable=False),
    Column("changed", Integer, nullable=False),
)

# A version's quality report (model/quality.py), written with the version at import: the
# screening report whose warnings were accepted, and the counts of what its cells hold.
version_quality = Table(
    "version_quality", metadata,
    Column("version_id", String(36), ForeignKey("data_set_versions.id"), primary_key=True),
    Column("screening", Text, nullable=False),  # JSON: standards.findings.report_to_json
    Column("counts", Text, nullable=False),  # JSON: model.quality.CellCounts
)

# The data catalogue's listing: one row per data set per stretch of time it shows the same
# version with the same words (catalogue/listing.py). Derived from the tables above and
# rebuilt from them at will; on SQLite a full-text index (catalogue_listing_fts, FTS5)
# holds a copy of search_text, on PostgreSQL a GIN index over to_tsvector(search_text).
catalogue_listing = Table(
    "catalogue_listing", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("data_set_id", String(36), nullable=False, index=True),
    Column("version_id", String(36), nullable=False),
    Column("release_version_id", String(36), nullable=False),
    Column("release_id", String(36), nullable=False),
    Column("publication_id", String(36), nullable=False),
    Column("theme_id", String(36), nullable=False),
    Column("visible_from", DateTime(timezone=True), nullable=False, index=True),
    Column("visible_until", DateTime(timezone=True), nullable=True),
    Column("title", Text, nullable=False),
    Column("summary", Text, nullable=False),
    Column("publication_title", Text, nullable=False),
    Column("publication_slug", String(200), nullable=False, index=True),
    Column("release_title", Text, nullable=False),
    Column("release_slug", String(200), nullable=False),
    Column("published", DateTime(timezone=True), nullable=False),
    Column("levels", Text, nullable=False),  # "|NAT|LA|": its geographic levels
    Column("search_text", Text, nullable=False),
    Index("ix_catalogue_listing_theme_id", "theme_id"),
    # Newest first (the default order) walks this index backwards.
    Index("ix_catalogue_listing_newest", "published", "title", "data_set_id"),
    # Sorting A to Z walks this index.
    Index("ix_catalogue_listing_lower_title", func.lower(text("title"))),
)

# The phrases a question may name each listed row by (catalogue/questions.py): location
# names and codes, time periods, filter options, filters and indicators.
catalogue_listing_terms = Table(
    "catalogue_listing_terms", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("listing_id", Integer, nullable=False, index=True),
    Column("data_set_id", String(36), nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("phrase", Text, nullable=False),
    Column("label", Text, nullable=False),
    Column("ref", Text, nullable=False),
    # A question's phrases are looked up, and walked in data-set order, by this index.
    Index("ix_catalogue_listing_terms_phrase_data_set", "phrase", "data_set_id", "listing_id"),
)

# One row: a number bumped by every change to what is or will become public (a release
# version approved or taken back, a manifest loaded). Readers keep a snapshot of what is
# published and reread it when the number moves (catalogue/published.py).
catalogue_state = Table(
    "catalogue_state", metadata,
    Column("id", Integer, primary_key=True),
    Column("generation", Integer, nullable=False),
)

# Short public ids (sqids of `number`) for filters, options, indicators and locations.
# An item keeps its number across versions: filters, options and indicators per data set
# (scope = data set id), locations across all data sets (scope = ""), as in EES.
public_ids = Table(
    "public_ids", metadata,
    Column("number", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(20), nullable=False),
    Column("scope", String(36), nullable=False),
    Column("key", Text, nullable=False),
    UniqueConstraint("kind", "scope", "key"),
)

# Tables saved from the table tool: permalinks (a reader's table, frozen to the version it
# was made from) and featured tables (named by the publisher, opened at the latest version).
saved_tables = Table(
    "saved_tables", metadata,
    Column("id", String(36), primary_key=True),
    Column("kind", String(20), nullable=False),  # "permalink" or "featured"
    Column("data_set_id", String(36), ForeignKey("data_sets.id"), nullable=False),
    Column("version_id", String(36), ForeignKey("data_set_versions.id"), nullable=True),
    # Featured tables are written for a release version and public with it.
    Column("release_version_id", String(36), ForeignKey("release_versions.id"), nullable=True),
    Column("name", Text, nullable=False, default=""),
    Column("description", Text, nullable=False, default=""),
    Column("selection", Text, nullable=False),  # JSON of query.tables.Selection
    Column("position", Integer, nullable=False, default=0),
    Column("created", DateTime(timezone=True), nullable=False),
)

# --- publishing ---------------------------------------------------------------------------
users = Table(
    "users", metadata,
    Column("id", String(36), primary_key=True),
    Column("email", String(320), nullable=False, unique=True),  # stored lower-case
    Column("name", Text, nullable=False, default=""),
    Column("role", String(20), nullable=False),  # admin | publisher | approver
    Column("password_hash", Text, nullable=True),  # argon2; NULL for single sign-on only
    Column("created", DateTime(timezone=True), nullable=False),
)

# One row per signed-in browser; a request's session cookie must name a row that has not
# expired. Ending a session deletes its row (catalogue/sessions.py). The id is the SHA-256
# of the cookie's session id, so a copy of this table cannot be turned into cookies.
sessions = Table(
    "sessions", metadata,
    Column("id", String(64), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id"), nullable=False, index=True),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("expires", DateTime(timezone=True), nullable=False),
)

# Failed password sign-ins of the last few minutes, by client address and account (NULL
# for an email with no account): what throttling counts (catalogue/sign_in.py).
sign_in_failures = Table(
    "sign_in_failures", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("client", String(64), nullable=False, index=True),
    Column("user_id", String(36), nullable=True, index=True),
)

# Which publications a publisher (or approver) works on; admins work on everything.
publication_roles = Table(
    "publication_roles", metadata,
    Column("user_id", String(36), ForeignKey("users.id"), primary_key=True),
    Column("publication_id", String(36), ForeignKey("publications.id"), primary_key=True),
)

# Named people who may see a release in the hours before it is published.
pre_release_access = Table(
    "pre_release_access", metadata,
    Column("user_id", String(36), ForeignKey("users.id"), primary_key=True),
    Column("release_id", String(36), ForeignKey("releases.id"), primary_key=True),
)

audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("user_id", String(36), nullable=True),
    Column("user_email", Text, nullable=False, default=""),
    Column("action", String(60), nullable=False),
    Column("object_type", String(40), nullable=False),
    Column("object_id", String(36), nullable=False),
    Column("detail", Text, nullable=False, default=""),
)

# --- notifications (catalogue/events.py, subscribers.py, outbox.py) ------------------------
# One row per release version, written in the transaction that records it as published
# (never before its time): what the change feed, the Atom feeds, webhooks and mails say.
# What it names (titles, slugs, data-set versions) is copied in, as it was published.
release_events = Table(
    "release_events", metadata,
    Column("id", String(36), primary_key=True),  # a UUID: receivers de-duplicate by it
    Column("type", String(30), nullable=False),  # release.published | release.amended
    Column("time", DateTime(timezone=True), nullable=False, index=True),  # when recorded
    Column("published", DateTime(timezone=True), nullable=False),  # the release's moment
    Column("release_version_id", String(36), ForeignKey("release_versions.id"),
           nullable=False, unique=True),  # one event per release version, ever
    Column("publication_id", String(36), ForeignKey("publications.id"), nullable=False,
           index=True),
    Column("publication_slug", String(200), nullable=False),
    Column("publication_title", Text, nullable=False),
    Column("release_id", String(36), ForeignKey("releases.id"), nullable=False),
    Column("release_slug", String(200), nullable=False),
    Column("release_title", Text, nullable=False),
    Column("version_number", Integer, nullable=False),  # 0 first, then each amendment
    Column("notes", Text, nullable=False, default=""),  # the release note (amendments)
    Column("data_sets", Text, nullable=False),  # JSON [{id, title, version}]
)

# Webhooks: a URL told about each event (of one publication, or of all: NULL).
webhooks = Table(
    "webhooks", metadata,
    Column("id", String(36), primary_key=True),
    Column("url", Text, nullable=False),
    Column("secret", Text, nullable=False),  # the HMAC key; the receiver holds it too
    Column("publication_id", String(36), ForeignKey("publications.id"), nullable=True),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("created_by", Text, nullable=False, default=""),
)

# Email alerts for a publication: pending until its confirmation link is followed. The
# token (random) is in the confirmation link and every mail's unsubscribe link.
subscriptions = Table(
    "subscriptions", metadata,
    Column("id", String(36), primary_key=True),
    Column("email", String(320), nullable=False),  # stored lower-case
    Column("publication_id", String(36), ForeignKey("publications.id"), nullable=False),
    Column("token", String(64), nullable=False, unique=True),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("confirmed", DateTime(timezone=True), nullable=True),
    UniqueConstraint("email", "publication_id"),
)

# The outbox: one row per message to send (a webhook POST, an alert, a confirmation mail),
# sent after the transaction that made it and retried with backoff until it is delivered
# or given up. Targets are copied in so the log still reads after a webhook is removed.
deliveries = Table(
    "deliveries", metadata,
    Column("id", String(36), primary_key=True),
    Column("kind", String(20), nullable=False),  # webhook | email | confirm
    Column("event_id", String(36), ForeignKey("release_events.id"), nullable=True,
           index=True),
    Column("webhook_id", String(36), nullable=True, index=True),
    Column("subscription_id", String(36), nullable=True),
    Column("target", Text, nullable=False),  # the URL or email address
    Column("created", DateTime(timezone=True), nullable=False),
    Column("state", String(20), nullable=False),  # pending | delivered | failed | cancelled
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt", DateTime(timezone=True), nullable=False),
    Column("last_attempt", DateTime(timezone=True), nullable=True),
    Column("last_status", Text, nullable=False, default=""),
    Column("delivered", DateTime(timezone=True), nullable=True),
    Index("ix_deliveries_state_next", "state", "next_attempt"),
)
