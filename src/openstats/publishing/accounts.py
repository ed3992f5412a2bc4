"""People on the publishing side, as services for admin/ and the command line: accounts,
signing in (a password, or single sign-on), sessions, and the audit log.

Routes and commands call these, never the catalogue's account modules: the SQL, the
password hashing and the sign-in throttling stay there (catalogue/accounts.py, sign_in.py,
sessions.py, audit.py). Who may manage accounts or read the audit log is checked by the
routes before they call (model/users.py `allowed`); the command line is trusted.
"""

from __future__ import annotations

from dataclasses import dataclass

from openstats.catalogue import accounts, audit, publications, sessions, sign_in
from openstats.catalogue.audit import AuditEntry
from openstats.catalogue.db import Catalogue
from openstats.errors import AccountError
from openstats.model.catalogue import Publication
from openstats.model.users import User


@dataclass(frozen=True)
class People:
    """What the accounts page lists: each person with the publications they work on, how
    many sessions each has live, and the publications one may be given."""

    people: list[tuple[User, list[str]]]
    live: dict[str, int]  # by user id
    publications: list[Publication]


def authenticate(catalogue: Catalogue, email: str, password: str, client: str) -> User:
    """The account for a correct email and password (AccountError otherwise)."""
    return sign_in.authenticate(catalogue, email, password, client)


def change_password(catalogue: Catalogue, user: User, current: str, new: str,
                    client: str) -> None:
    sign_in.change_password(catalogue, user, current, new, client)


def set_password(catalogue: Catalogue, email: str, new: str) -> None:
    sign_in.set_password(catalogue, email, new)


def people(catalogue: Catalogue) -> People:
    with catalogue.connect() as conn:
        found = accounts.all_users(conn)
        pubs = publications.all_publications(conn)
    return People(found, sessions.live_counts(catalogue), pubs)


def create_user(catalogue: Catalogue, email: str, password: str | None, role: str,
                name: str = "", publication_ids: tuple[str, ...] = (),
                by: User | None = None) -> User:
    return accounts.create_user(catalogue, email, password, role, name, publication_ids,
                                by=by)


def create_user_in(catalogue: Catalogue, email: str, password: str, role: str, name: str,
                   publication_slug: str | None) -> User:
    """An account working on the publication of this slug (any, if None), from the
    command line. Nothing is created if anything is wrong, the publication included."""
    publication_ids: tuple[str, ...] = ()
    if publication_slug:
        with catalogue.connect() as conn:
            found = publications.publication_by_slug(conn, publication_slug)
        if found is None:
            # Checked before anything is written: no account without its publication.
            raise AccountError(f"there is no publication '{publication_slug}': no account "
                               "was created")
        publication_ids = (found.id,)
    return accounts.create_user(catalogue, email, password, role, name, publication_ids)


def user_by_id(catalogue: Catalogue, user_id: str) -> User | None:
    return accounts.user_by_id(catalogue, user_id)


def user_by_email(catalogue: Catalogue, email: str) -> User | None:
    with catalogue.connect() as conn:
        return accounts.user_by_email(conn, email)


def end_sessions(catalogue: Catalogue, user_id: str, by: User | None) -> int:
    """End every session of a person (signed out everywhere); how many there were."""
    return sessions.end_every_session(catalogue, user_id, by=by)


def end_sessions_of(catalogue: Catalogue, email: str) -> tuple[User, int]:
    """end_sessions for the account of this email, from the command line."""
    user = user_by_email(catalogue, email)
    if user is None:
        raise AccountError(f"There is no account for {email}.")
    return user, end_sessions(catalogue, user.id, by=None)


def record_single_sign_on(catalogue: Catalogue, user: User) -> None:
    """Audit a sign-in the identity provider vouched for (admin/oidc.py)."""
    with catalogue.transaction() as conn:
        audit.record(conn, user, "sign_in_oidc", "user", user.id, "")


def audit_entries(catalogue: Catalogue) -> list[AuditEntry]:
    """The newest entries of the audit log, newest first."""
    with catalogue.connect() as conn:
        return audit.entries(conn)


def audit_csv(catalogue: Catalogue) -> str:
    """The whole audit log as CSV (formula-neutralised, catalogue/audit.py)."""
    with catalogue.connect() as conn:
        return audit.as_csv(conn)
