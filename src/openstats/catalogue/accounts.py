"""Accounts in SQL: people, their passwords and roles, the publications they work on.

Who may do what is decided by model.users.allowed; signing in (and its throttling) is
catalogue/sign_in.py, sessions catalogue/sessions.py. This module only stores people.
"""

from __future__ import annotations

from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from openstats.catalogue import audit
from openstats.catalogue.db import Catalogue
from openstats.catalogue.schema import publication_roles, publications, users
from openstats.catalogue.values import new_id, now
from openstats.errors import AccountError
from openstats.model.users import ROLES, Role, User
from openstats.settings import PasswordHashing, password_hashing

MIN_PASSWORD = 12


def hasher(cost: PasswordHashing) -> PasswordHasher:
    """argon2id at `cost` (salt and hash lengths argon2-cffi's own)."""
    return PasswordHasher(time_cost=cost.time_cost, memory_cost=cost.memory_kib,
                          parallelism=cost.parallelism)


# One cost for the whole process, read once: the accounts functions are called from the
# server, the commands and the tests alike, and none of them carries Settings this deep.
_hasher = hasher(password_hashing())


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


def user_of(conn: Connection, row: Any) -> User:
    """A `users` row as the typed person, with the publications they work on."""
    assigned = frozenset(r.publication_id for r in conn.execute(
        select(publication_roles.c.publication_id).where(publication_roles.c.user_id == row.id)))
    return User(row.id, row.email, row.name or "", Role(row.role), assigned)


def create_user(catalogue: Catalogue, email: str, password: str | None, role: str,
                name: str = "", publication_ids: tuple[str, ...] = (),
                by: User | None = None) -> User:
    """A new account, working on these publications.

    Everything is checked before anything is written, and written in one transaction: an
    unknown publication leaves no account behind.
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
        for publication_id in publication_ids:
            if not conn.execute(select(publications.c.id)
                                .where(publications.c.id == publication_id)).first():
                raise AccountError(f"there is no publication '{publication_id}': no account "
                                   "was created")
        user_id = new_id()
        conn.execute(insert(users).values(
            id=user_id, email=email, name=name, role=role, created=now(),
            password_hash=hash_password(password) if password else None))
        audit.record(conn, by, "create_user", "user", user_id, f"{email} as {role}")
        for publication_id in publication_ids:
            conn.execute(insert(publication_roles).values(user_id=user_id,
                                                          publication_id=publication_id))
            audit.record(conn, by, "assign_publication", "publication", publication_id, user_id)
        return user_of(conn, conn.execute(select(users).where(users.c.id == user_id)).one())


def user_by_id(catalogue: Catalogue, user_id: str) -> User | None:
    with catalogue.connect() as conn:
        row = conn.execute(select(users).where(users.c.id == user_id)).first()
        return user_of(conn, row) if row else None


def user_by_email(conn: Connection, email: str) -> User | None:
    row = conn.execute(select(users).where(users.c.email == email.strip().lower())).first()
    return user_of(conn, row) if row else None


def password_hash(conn: Connection, user_id: str) -> str | None:
    """The stored argon2 hash (None for an account that signs in only through single
    sign-on)."""
    value = conn.execute(select(users.c.password_hash).where(users.c.id == user_id)).scalar()
    return str(value) if value else None


def all_users(conn: Connection) -> list[tuple[User, list[str]]]:
    """Every account with the titles of its publications, by email (the users page)."""
    people = [user_of(conn, r) for r in conn.execute(select(users).order_by(users.c.email))]
    titles = {p.id: p.title for p in conn.execute(select(publications.c.id,
                                                         publications.c.title))}
    return [(p, sorted(titles[i] for i in p.publication_ids if i in titles)) for p in people]


def assign(conn: Connection, user_id: str, publication_id: str, by: User | None) -> None:
    """Let a user work on a publication (nothing if they already do)."""
    if not conn.execute(select(publication_roles).where(
            publication_roles.c.user_id == user_id,
            publication_roles.c.publication_id == publication_id)).first():
        conn.execute(insert(publication_roles).values(user_id=user_id,
                                                      publication_id=publication_id))
        audit.record(conn, by, "assign_publication", "publication", publication_id, user_id)
