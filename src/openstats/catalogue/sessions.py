"""Server-side sessions, in SQL: who a session cookie's id belongs to, until when.

A session is a row; the cookie (openstats.sessions) carries a random id that the table
holds only as a SHA-256 digest. Every request looks its session up (`user_for`), so ending
a session (deleting its row) takes effect at once, on every replica: signing out ends
that browser's session, a password change or an administrator ends all of a person's.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Connection

from openstats.catalogue import audit
from openstats.catalogue.accounts import user_of
from openstats.catalogue.db import Catalogue
from openstats.catalogue.schema import sessions, users
from openstats.catalogue.values import now
from openstats.model.users import User


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def start(catalogue: Catalogue, user_id: str, lifetime: timedelta) -> str:
    """A new session for this person; returns the id for the cookie."""
    session_id = secrets.token_urlsafe(32)
    at = now()
    with catalogue.transaction() as conn:
        # Housekeeping where it costs nothing extra: sign-ins are rare.
        conn.execute(delete(sessions).where(sessions.c.expires <= at))
        conn.execute(insert(sessions).values(id=_digest(session_id), user_id=user_id,
                                             created=at, expires=at + lifetime))
    return session_id


def user_for(catalogue: Catalogue, session_id: str) -> User | None:
    """The account a live session belongs to; None for an ended, expired or unknown one."""
    if not session_id:
        return None
    with catalogue.connect() as conn:
        row = conn.execute(select(users).join(sessions, sessions.c.user_id == users.c.id)
                           .where(sessions.c.id == _digest(session_id),
                                  sessions.c.expires > now())).first()
        return user_of(conn, row) if row else None


def end(catalogue: Catalogue, session_id: str) -> None:
    """End one session (signing out)."""
    with catalogue.transaction() as conn:
        conn.execute(delete(sessions).where(sessions.c.id == _digest(session_id)))


def end_all(conn: Connection, user_id: str, by: User | None, why: str) -> int:
    """End every session of this person, in the caller's transaction; how many ended."""
    ended = conn.execute(delete(sessions).where(sessions.c.user_id == user_id)).rowcount
    audit.record(conn, by, "end_sessions", "user", user_id, f"{why}: {ended} session(s)")
    return int(ended)


def end_every_session(catalogue: Catalogue, user_id: str, by: User | None) -> int:
    """An administrator (or the command line, `by` None) ends all of someone's sessions."""
    with catalogue.transaction() as conn:
        return end_all(conn, user_id, by, "ended by an administrator")


def live_counts(catalogue: Catalogue) -> dict[str, int]:
    """Live sessions per user id (for the users page)."""
    with catalogue.connect() as conn:
        return {r.user_id: int(r.n) for r in conn.execute(
            select(sessions.c.user_id, func.count().label("n"))
            .where(sessions.c.expires > now()).group_by(sessions.c.user_id))}
