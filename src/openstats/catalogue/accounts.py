"""Accounts in SQL: people, their passwords and roles, the publications they work on.

Who may do what is decided by model.users.allowed; this module only stores and checks
who someone is.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from openstats.catalogue import audit
from openstats.catalogue.db import Catalogue
from openstats.catalogue.schema import publication_roles, publications, users
from openstats.catalogue.values import as_utc, new_id, now
from openstats.errors import OpenstatsError
from openstats.model.users import ROLES, Role, User

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
_hasher = PasswordHasher()


class AccountError(OpenstatsError):
    """A sign-in or account problem to show the person."""


def hash_password(password: str) -> str:
    return str(_hasher.hash(password))


def _user(conn: Connection, row: Any) -> User:
    assigned = frozenset(r.publication_id for r in conn.execute(
        select(publication_roles.c.publication_id).where(publication_roles.c.user_id == row.id)))
    return User(row.id, row.email, row.name or "", Role(row.role), assigned)


def create_user(catalogue: Catalogue, email: str, password: str | None, role: str,
                name: str = "", publication_ids: tuple[str, ...] = (),
                by: User | None = None) -> User:
    """A new account (and the publications it works on), all or nothing."""
    email = email.strip().lower()
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}, not '{role}'")
    if "@" not in email:
        raise AccountError(f"'{email}' is not an email address")
    if password is not None and len(password) < 12:
        raise AccountError("passwords need at least 12 characters")
    with catalogue.transaction() as conn:
        if conn.execute(select(users.c.id).where(users.c.email == email)).first():
            raise AccountError(f"there is already an account for {email}")
        user_id = new_id()
        conn.execute(insert(users).values(
            id=user_id, email=email, name=name, role=role, failed_logins=0, created=now(),
            password_hash=hash_password(password) if password else None))
        audit.record(conn, by, "create_user", "user", user_id, f"{email} as {role}")
        for publication_id in publication_ids:
            if not conn.execute(select(publications.c.id)
                                .where(publications.c.id == publication_id)).first():
                # Checked inside the transaction: a failure leaves no account behind.
                raise AccountError(f"there is no publication {publication_id}")
            conn.execute(insert(publication_roles).values(user_id=user_id,
                                                          publication_id=publication_id))
            audit.record(conn, by, "assign_publication", "publication", publication_id, user_id)
        row = conn.execute(select(users).where(users.c.id == user_id)).one()
        return _user(conn, row)


def authenticate(catalogue: Catalogue, email: str, password: str,
                 at: datetime | None = None) -> User:
    """The user for a correct email and password; AccountError otherwise (and counts it)."""
    at = at or now()
    email = email.strip().lower()
    # Failures are recorded in their own committed transaction before the error is raised:
    # raising inside the transaction would roll the count back and defeat the lockout.
    problem: str | None = None
    user: User | None = None
    with catalogue.transaction() as conn:
        row = conn.execute(select(users).where(users.c.email == email)).first()
        if row is None:
            _hasher.hash(password)  # same work as a real check, so timing tells nothing
            problem = "Enter a correct email address and password"
        elif (locked := as_utc(row.locked_until)) and locked > at:
            problem = ("This account is locked after too many failed sign-ins. "
                       f"Try again after {locked:%H:%M} UTC.")
        else:
            try:
                ok = bool(row.password_hash) and _hasher.verify(row.password_hash, password)
            except (VerificationError, InvalidHashError):
                ok = False
            user = _user(conn, row)
            if ok:
                conn.execute(update(users).where(users.c.id == row.id)
                             .values(failed_logins=0, locked_until=None))
                audit.record(conn, user, "sign_in", "user", row.id, "")
            else:
                failures = row.failed_logins + 1
                values: dict[str, Any] = {"failed_logins": failures}
                if failures >= MAX_FAILED_LOGINS:
                    values = {"failed_logins": 0, "locked_until": at + LOCKOUT}
                    audit.record(conn, user, "lock_account", "user", row.id,
                                 "too many failed sign-ins")
                conn.execute(update(users).where(users.c.id == row.id).values(**values))
                problem = "Enter a correct email address and password"
    if problem is not None:
        raise AccountError(problem)
    assert user is not None
    return user


def user_by_id(catalogue: Catalogue, user_id: str) -> User | None:
    with catalogue.connect() as conn:
        row = conn.execute(select(users).where(users.c.id == user_id)).first()
        return _user(conn, row) if row else None


def user_by_email(conn: Connection, email: str) -> User | None:
    row = conn.execute(select(users).where(users.c.email == email.strip().lower())).first()
    return _user(conn, row) if row else None


def assign(conn: Connection, user_id: str, publication_id: str, by: User | None) -> None:
    """Let a user work on a publication (nothing if they already do)."""
    if not conn.execute(select(publication_roles).where(
            publication_roles.c.user_id == user_id,
            publication_roles.c.publication_id == publication_id)).first():
        conn.execute(insert(publication_roles).values(user_id=user_id,
                                                      publication_id=publication_id))
        audit.record(conn, by, "assign_publication", "publication", publication_id, user_id)
