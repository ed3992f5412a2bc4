"""Accounts, roles, pre-release access, release workflow and the audit log, in SQL.

Roles: admin (everything), publisher (drafts and uploads on their own publications),
approver (approve and schedule their own publications). `allowed` is the single place
that says who may do what; routes ask it and nothing else.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.engine import Connection

from openstats.catalogue.schema import (
    audit_log,
    data_set_versions,
    pre_release_access,
    publication_roles,
    publications,
    release_states,
    releases,
    users,
)
from openstats.catalogue.store import Catalogue, as_utc, new_id, now
from openstats.errors import OpenstatsError
from openstats.faults import crash_point
from openstats.formulas import neutralise_row

ROLES = ("admin", "publisher", "approver")
MIN_PASSWORD = 12
_hasher = PasswordHasher()

# action -> roles that may do it (on publications they are assigned to, unless admin)
PERMISSIONS: dict[str, frozenset[str]] = {
    "manage_users": frozenset({"admin"}),
    "view_audit": frozenset({"admin"}),
    "create_theme": frozenset({"admin"}),
    "create_publication": frozenset({"admin"}),
    "create_release": frozenset({"admin", "publisher"}),
    "upload": frozenset({"admin", "publisher"}),
    "edit_release": frozenset({"admin", "publisher"}),
    "grant_pre_release": frozenset({"admin", "publisher"}),
    "preview": frozenset({"admin", "publisher", "approver"}),
    "approve": frozenset({"admin", "approver"}),
    "unschedule": frozenset({"admin", "approver"}),
}


class AccountError(OpenstatsError):
    """A sign-in or account problem to show the person."""


def hash_password(password: str) -> str:
    return str(_hasher.hash(password))


def password_matches(stored_hash: str, password: str) -> bool:
    """Does `password` match this argon2 hash? (Always one full argon2 check.)"""
    try:
        return bool(_hasher.verify(stored_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"passwords need at least {MIN_PASSWORD} characters")


def create_user(catalogue: Catalogue, email: str, password: str | None, role: str,
                name: str = "", by: dict[str, Any] | None = None, *,
                publication_id: str | None = None,
                publication_slug: str | None = None) -> str:
    """Create an account, assigned to a publication if one is named (by id or slug).

    Everything is checked before anything is written, and written in one transaction:
    an unknown publication leaves no account behind.
    """
    email = email.strip().lower()
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}, not '{role}'")
    if "@" not in email:
        raise AccountError(f"'{email}' is not an email address")
    if password is not None:
        check_new_password(password)
    with catalogue.transaction() as conn:
        if conn.execute(select(users.c.id).where(users.c.email == email)).first():
            raise AccountError(f"there is already an account for {email}")
        publication = None
        if publication_id or publication_slug:
            publication = conn.execute(select(publications.c.id).where(
                publications.c.id == publication_id if publication_id
                else publications.c.slug == publication_slug)).scalar_one_or_none()
            if publication is None:
                raise AccountError(f"there is no publication '{publication_id or publication_slug}'"
                                   ": no account was created")
        user_id = new_id()
        conn.execute(insert(users).values(
            id=user_id, email=email, name=name, role=role, created=now(),
            password_hash=hash_password(password) if password else None))
        audit(conn, by, "create_user", "user", user_id, f"{email} as {role}")
        if publication is not None:
            conn.execute(insert(publication_roles).values(user_id=user_id,
                                                          publication_id=publication))
            audit(conn, by, "assign_publication", "publication", publication, user_id)
    return user_id


def user_by_id(catalogue: Catalogue, user_id: str) -> dict[str, Any] | None:
    with catalogue.engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.id == user_id)).mappings().first()
    return dict(row) if row else None


def user_by_email(catalogue: Catalogue, email: str) -> dict[str, Any] | None:
    with catalogue.engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.email == email.strip().lower())
                           ).mappings().first()
    return dict(row) if row else None


def all_users(catalogue: Catalogue) -> list[dict[str, Any]]:
    """Every account with the titles of its publications, by email (the users page)."""
    with catalogue.engine.connect() as conn:
        people = [dict(r) for r in conn.execute(select(users).order_by(users.c.email))
                  .mappings()]
        assigned = conn.execute(select(publication_roles.c.user_id, publications.c.title)
                                .join(publications, publications.c.id
                                      == publication_roles.c.publication_id)
                                .order_by(publications.c.title)).all()
    for person in people:
        person["publications"] = [t for u, t in assigned if u == person["id"]]
    return people


def assign(catalogue: Catalogue, user_id: str, publication_id: str,
           by: dict[str, Any] | None = None) -> None:
    with catalogue.transaction() as conn:
        if not conn.execute(select(publication_roles).where(
                publication_roles.c.user_id == user_id,
                publication_roles.c.publication_id == publication_id)).first():
            conn.execute(insert(publication_roles).values(user_id=user_id,
                                                          publication_id=publication_id))
            audit(conn, by, "assign_publication", "publication", publication_id, user_id)


def allowed(catalogue: Catalogue, user: dict[str, Any] | None, action: str,
            publication_id: str | None = None) -> bool:
    """May `user` do `action` (on this publication)? The one permission check."""
    if user is None or user["role"] not in PERMISSIONS[action]:
        return False
    if user["role"] == "admin":
        return True
    if publication_id is None:
        return False  # publishers and approvers act only on their own publications
    with catalogue.engine.connect() as conn:
        return conn.execute(select(publication_roles).where(
            publication_roles.c.user_id == user["id"],
            publication_roles.c.publication_id == publication_id)).first() is not None


def audit(conn: Connection, user: dict[str, Any] | Any | None, action: str, object_type: str,
          object_id: str, detail: str = "") -> None:
    conn.execute(insert(audit_log).values(
        at=now(), user_id=user["id"] if user else None,
        user_email=user["email"] if user else "system", action=action,
        object_type=object_type, object_id=object_id, detail=detail))


def audit_rows(catalogue: Catalogue, limit: int = 1000) -> list[dict[str, Any]]:
    with catalogue.engine.connect() as conn:
        return [dict(r) for r in conn.execute(
            select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)).mappings()]


def audit_csv(catalogue: Catalogue) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["when (UTC)", "who", "action", "object type", "object id", "detail"])
    for r in reversed(audit_rows(catalogue, limit=1_000_000)):
        # Emails, titles and file names are typed by people: no cell may become a formula.
        writer.writerow(neutralise_row([as_utc(r["at"]).isoformat(timespec="seconds"),
                                        r["user_email"], r["action"], r["object_type"],
                                        r["object_id"], r["detail"]]))
    return buffer.getvalue()


# --- release workflow --------------------------------------------------------------------
def release_state(conn: Connection, release_id: str) -> dict[str, Any]:
    row = conn.execute(select(release_states).where(release_states.c.release_id == release_id)
                       ).mappings().first()
    return dict(row) if row else {"release_id": release_id, "state": "draft",
                                  "scheduled": None, "approved_by": None}


def approve(catalogue: Catalogue, user: dict[str, Any], release_id: str,
            when: datetime) -> None:
    """Schedule a release (or its amendment): its drafts go public at `when`, all at once."""
    with catalogue.transaction() as conn:
        release = conn.execute(select(releases).where(releases.c.id == release_id)
                               ).mappings().one()
        drafts = conn.execute(select(data_set_versions.c.id).where(
            data_set_versions.c.release_id == release_id,
            data_set_versions.c.published.is_(None))).all()
        if not drafts and release["published"] is not None:
            raise AccountError("There is nothing new in this release to publish.")
        first = release["published"] is None or as_utc(release["published"]) > now()
        values: dict[str, Any] = {"published": when} if first else {"last_updated": when}
        conn.execute(update(releases).where(releases.c.id == release_id).values(**values))
        crash_point("approve.release_dated")
        conn.execute(update(data_set_versions).where(
            data_set_versions.c.release_id == release_id,
            data_set_versions.c.published.is_(None)).values(published=when))
        crash_point("approve.versions_dated")
        conn.execute(delete(release_states).where(release_states.c.release_id == release_id))
        conn.execute(insert(release_states).values(release_id=release_id, state="approved",
                                                   scheduled=when, approved_by=user["id"]))
        audit(conn, user, "approve", "release", release_id,
              f"public at {when.isoformat(timespec='seconds')}")
    crash_point("approve.committed")


def unschedule(catalogue: Catalogue, user: dict[str, Any], release_id: str) -> None:
    """Take back an approval before its time: the scheduled versions become drafts again."""
    with catalogue.transaction() as conn:
        state = release_state(conn, release_id)
        when = as_utc(state["scheduled"])
        if state["state"] != "approved" or when is None or when <= now():
            raise AccountError("Only a release scheduled for the future can be unscheduled.")
        conn.execute(update(data_set_versions).where(and_(
            data_set_versions.c.release_id == release_id,
            data_set_versions.c.published == when)).values(published=None))
        release = conn.execute(select(releases).where(releases.c.id == release_id)
                               ).mappings().one()
        if as_utc(release["published"]) == when:
            conn.execute(update(releases).where(releases.c.id == release_id)
                         .values(published=None))
        conn.execute(update(release_states).where(release_states.c.release_id == release_id)
                     .values(state="draft", scheduled=None, approved_by=None))
        audit(conn, user, "unschedule", "release", release_id, "")


def publish_due(catalogue: Catalogue, at: datetime | None = None) -> list[str]:
    """Mark approved releases whose time has come as published (visibility itself needs no
    job: a version is public from its publish time). Returns the release ids marked."""
    at = at or now()
    marked: list[str] = []
    with catalogue.transaction(immediate=True) as conn:
        due = [r.release_id for r in conn.execute(select(release_states).where(
            release_states.c.state == "approved"))
            if as_utc(r.scheduled) is not None and as_utc(r.scheduled) <= at]
        for release_id in due:
            # Every replica's scheduler may find the same release due at the same moment.
            # The UPDATE is conditional on the state it read: on PostgreSQL a concurrent
            # one waits for the row lock, re-reads the row, matches nothing and so writes
            # no second audit entry; SQLite runs writers one at a time anyway.
            claimed = conn.execute(update(release_states).where(
                release_states.c.release_id == release_id,
                release_states.c.state == "approved").values(state="published"))
            if claimed.rowcount == 1:
                audit(conn, None, "published", "release", release_id, "")
                marked.append(release_id)
                crash_point("publish_due.one_marked")
    crash_point("publish_due.committed")
    return marked


def grant_pre_release(catalogue: Catalogue, user: dict[str, Any], release_id: str,
                      email: str) -> None:
    with catalogue.transaction() as conn:
        target = conn.execute(select(users.c.id).where(users.c.email == email.strip().lower())
                              ).first()
        if target is None:
            raise AccountError(f"There is no account for {email}.")
        if not conn.execute(select(pre_release_access).where(
                pre_release_access.c.user_id == target.id,
                pre_release_access.c.release_id == release_id)).first():
            conn.execute(insert(pre_release_access).values(user_id=target.id,
                                                           release_id=release_id))
        audit(conn, user, "grant_pre_release", "release", release_id, email)


def pre_release_ids(catalogue: Catalogue, user: dict[str, Any] | None, window: timedelta,
                    at: datetime | None = None) -> frozenset[str]:
    """Releases this person may see early: granted to them and due within `window`."""
    if user is None:
        return frozenset()
    at = at or now()
    with catalogue.engine.connect() as conn:
        rows = conn.execute(select(release_states.c.release_id, release_states.c.scheduled)
                            .join(pre_release_access, pre_release_access.c.release_id
                                  == release_states.c.release_id)
                            .where(pre_release_access.c.user_id == user["id"],
                                   release_states.c.state == "approved")).all()
    return frozenset(r.release_id for r in rows
                     if as_utc(r.scheduled) and at < as_utc(r.scheduled) <= at + window)
