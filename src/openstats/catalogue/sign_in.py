"""Password sign-in: one answer for every failure, the same work in every branch, and
throttling by client address as well as by account.

What an attacker could do before: tell a locked account (and, by its speed, a real one)
from a wrong password, and lock anybody out, administrators included, with five tries
from anywhere. Now:

- Every failure, whatever its cause (no such account, wrong password, no password, too
  many tries), gets the same message (`FAILED`), and every branch runs one argon2 check
  (against a stand-in hash where there is no real one), so neither words nor timing say
  whether an account exists or is being refused.
- Each client may fail `CLIENT_LIMIT` times in `WINDOW`, whatever accounts it tries;
  after that it is refused without any check until its failures age out (and refusals
  are not recorded, so a flood costs us one query each, not a write or a hash). IPv6
  clients count by their /64 network, since one host can use a whole /64.
- An account that has failed `ACCOUNT_LIMIT` times in `WINDOW` (from anywhere) is then
  refused only to the clients that failed on it. Its owner, from any other address,
  signs in as usual: nobody can lock someone else out from elsewhere. Someone guessing
  from many addresses gets one guess per address per window once the account is under
  attack, on top of a 12-character minimum and argon2.

Failures are rows in the catalogue (`sign_in_failures`), so every replica counts the same
ones. A successful sign-in forgets that client's failures on that account (not other
clients': the owner signing in does not give an attacker fresh tries); a new password
forgets them all.
"""

from __future__ import annotations

import ipaddress
import secrets
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import delete, func, insert, select, update

from openstats.catalogue import audit, sessions
from openstats.catalogue.accounts import (
    check_new_password,
    hash_password,
    password_matches,
    user_of,
)
from openstats.catalogue.db import Catalogue
from openstats.catalogue.schema import sign_in_failures, users
from openstats.catalogue.values import as_utc, now
from openstats.errors import AccountError
from openstats.model.users import User

WINDOW = timedelta(minutes=15)
CLIENT_LIMIT = 10  # failures per client in WINDOW, over all accounts
ACCOUNT_LIMIT = 5  # failures per account in WINDOW before failing clients are refused
FAILED = ("Enter a correct email address and password. After several wrong tries, wait "
          "15 minutes before trying again.")


@cache
def _stand_in_hash() -> str:
    """An argon2 hash no password matches, checked where there is no real one."""
    return hash_password(secrets.token_urlsafe(32))


def client_key(address: str) -> str:
    """What a client's failures count against: its address, or its /64 for IPv6."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:  # ::ffff:192.0.2.1 is 192.0.2.1
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{parsed}/64", strict=False))
    return str(parsed)


def authenticate(catalogue: Catalogue, email: str, password: str, client: str,
                 at: datetime | None = None, action: str = "sign_in") -> User:
    """The account for a correct email and password, signing in from `client` (an
    address); AccountError otherwise, its failure counted. A success is audited as
    `action`."""
    at = at or now()
    since = at - WINDOW
    key = client_key(client)
    email = email.strip().lower()
    # A failure is recorded in the same transaction that finds it, which then commits;
    # the error is raised after it, so the rollback of a raise cannot undo the count.
    problem: str | None = None
    user: User | None = None
    # Immediate: it reads, then writes; begun deferred on SQLite it failed at once with
    # "database is locked" whenever another writer (the scheduler) committed in between.
    with catalogue.transaction(immediate=True) as conn:
        client_failures = conn.execute(select(func.count(), func.min(sign_in_failures.c.at))
                                       .where(sign_in_failures.c.client == key,
                                              sign_in_failures.c.at > since)).one()
        if client_failures[0] >= CLIENT_LIMIT:
            until = (as_utc(client_failures[1]) or at) + WINDOW
            problem = ("There have been too many failed sign-ins from your network. "
                       f"Try again after {until:%H:%M} UTC.")
        else:
            row = conn.execute(select(users).where(users.c.email == email)).first()
            person = user_of(conn, row) if row else None
            user_id = row.id if row else None
            account = conn.execute(select(
                func.count(),
                func.count().filter(sign_in_failures.c.client == key))
                .where(sign_in_failures.c.user_id == user_id,
                       sign_in_failures.c.at > since)).one()
            refused_here = account[0] >= ACCOUNT_LIMIT and account[1] > 0
            # One argon2 check in every branch: a real one, or one against the stand-in.
            stored = row.password_hash if row and row.password_hash else None
            matches = password_matches(stored or _stand_in_hash(), password)
            if row is not None and stored is not None and matches and not refused_here:
                # This client's slips on this account are forgiven; others' still count.
                conn.execute(delete(sign_in_failures).where(
                    sign_in_failures.c.user_id == row.id, sign_in_failures.c.client == key))
                audit.record(conn, person, action, "user", row.id, "")
                user = person
            else:
                conn.execute(insert(sign_in_failures).values(at=at, client=key,
                                                             user_id=user_id))
                if row is not None and account[0] + 1 == ACCOUNT_LIMIT:
                    audit.record(conn, person, "sign_in_limit", "user", row.id,
                          f"{ACCOUNT_LIMIT} failed sign-ins in {WINDOW.seconds // 60} "
                          "minutes: refused from the addresses that failed")
                problem = FAILED
        # Failures older than the window count for nothing: forget them.
        conn.execute(delete(sign_in_failures).where(sign_in_failures.c.at <= since))
    if problem is not None:
        raise AccountError(problem)
    assert user is not None
    return user


def change_password(catalogue: Catalogue, user: User, current: str, new: str,
                    client: str) -> None:
    """A signed-in person changes their own password: the current one is checked (and
    throttled) like a sign-in, and every session of theirs ends."""
    check_new_password(new)
    authenticate(catalogue, user.email, current, client, action="confirm_password")
    _set(catalogue, user, new, user, "password changed")


def set_password(catalogue: Catalogue, email: str, new: str) -> None:
    """Give an account a new password from the command line; every session of it ends."""
    check_new_password(new)
    with catalogue.connect() as conn:
        row = conn.execute(select(users).where(users.c.email == email.strip().lower())).first()
        person = user_of(conn, row) if row else None
    if person is None:
        raise AccountError(f"There is no account for {email}.")
    _set(catalogue, person, new, None, "password set")


def _set(catalogue: Catalogue, user: User, new: str, by: User | None, why: str) -> None:
    with catalogue.transaction() as conn:
        conn.execute(update(users).where(users.c.id == user.id)
                     .values(password_hash=hash_password(new)))
        conn.execute(delete(sign_in_failures).where(sign_in_failures.c.user_id == user.id))
        audit.record(conn, by, "set_password", "user", user.id, why)
        sessions.end_all(conn, user.id, by, why)
