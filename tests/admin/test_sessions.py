"""Sessions end for good: signing out, a password change, an administrator's "end
sessions" (page and command) each make a copied cookie worthless; cookies cannot be
forged or altered; the schema of sessions is what the migrations make.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import create_engine, inspect, text

from openstats.catalogue import accounts, sessions
from openstats.catalogue.db import Catalogue
from openstats.catalogue.migrate import alembic_config
from openstats.catalogue.schema import metadata
from openstats.catalogue.values import now
from openstats.model.users import allowed
from openstats.platform import open_platform
from openstats.sessions import COOKIE
from openstats.settings import Settings
from tests.admin.helpers import PASSWORD, Browser, Person, in_process
from tests.conftest import REFERENCE
from tests.support.catalogue import migrated_data_dir

NEW_PASSWORD = "a different horse battery staple"


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Browser, Settings]]:
    settings = Settings(data_dir=migrated_data_dir(tmp_path), database_url="",
                        reference_dir=REFERENCE, scheduler_seconds=0)
    platform = open_platform(settings)
    accounts.create_user(platform.catalogue, "admin@example.org", PASSWORD, "admin")
    accounts.create_user(platform.catalogue, "pub@example.org", PASSWORD, "publisher")
    platform.close()
    with in_process(settings) as browser:
        yield browser, settings


def signed_in(browser: Browser, email: str, password: str = PASSWORD) -> Person:
    person = browser()
    assert person.sign_in(email, password).status_code == 303
    assert person.get("/admin").status_code == 200
    return person


def copy_of(browser: Browser, person: Person) -> Person:
    """Another browser holding a copy of this person's session cookie."""
    thief = browser("203.0.113.66")
    thief.client.cookies.set(COOKIE, person.client.cookies[COOKIE])
    return thief


def is_signed_out(person: Person) -> bool:
    answer = person.get("/admin")
    return answer.status_code == 303 and answer.headers["location"].startswith("/admin/login")


def test_a_cookie_copied_before_sign_out_stops_working(site: tuple[Browser, Settings]) -> None:
    browser, _ = site
    person = signed_in(browser, "pub@example.org")
    thief = copy_of(browser, person)
    assert thief.get("/admin").status_code == 200  # the copy works while the session lives
    assert person.post("/admin/logout").status_code == 303
    assert is_signed_out(person)
    assert is_signed_out(thief)


def test_signing_out_ends_only_that_browsers_session(site: tuple[Browser, Settings]) -> None:
    browser, _ = site
    laptop, phone = signed_in(browser, "pub@example.org"), signed_in(browser, "pub@example.org")
    assert laptop.post("/admin/logout").status_code == 303
    assert is_signed_out(laptop) and phone.get("/admin").status_code == 200


def test_a_password_change_ends_every_other_session(site: tuple[Browser, Settings]) -> None:
    browser, _ = site
    here, elsewhere = signed_in(browser, "pub@example.org"), signed_in(browser, "pub@example.org")
    thief = copy_of(browser, here)
    changed = here.post("/admin/account/password", {
        "current_password": PASSWORD, "new_password": NEW_PASSWORD,
        "new_password_again": NEW_PASSWORD}, token_from="/admin/account")
    assert changed.status_code == 303
    page = here.get(changed.headers["location"])
    assert page.status_code == 200 and "Your password has been changed" in page.text
    assert is_signed_out(elsewhere) and is_signed_out(thief)
    assert browser().sign_in("pub@example.org").status_code == 400  # the old password
    signed_in(browser, "pub@example.org", NEW_PASSWORD)


def test_a_password_change_needs_the_current_password(site: tuple[Browser, Settings]) -> None:
    browser, _ = site
    person, other = signed_in(browser, "pub@example.org"), signed_in(browser, "pub@example.org")
    for current, new, again, words in (
            ("wrong password!!", NEW_PASSWORD, NEW_PASSWORD, "Enter a correct email"),
            (PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x", "do not match"),
            (PASSWORD, "short", "short", "at least 12 characters")):
        refused = person.post("/admin/account/password", {
            "current_password": current, "new_password": new, "new_password_again": again},
            token_from="/admin/account")
        assert refused.status_code == 400 and words in refused.text
        assert 'class="govuk-error-summary"' in refused.text
    assert other.get("/admin").status_code == 200  # nothing ended
    signed_in(browser, "pub@example.org")  # nor changed


def test_an_administrator_ends_someones_sessions(site: tuple[Browser, Settings]) -> None:
    browser, _ = site
    admin = signed_in(browser, "admin@example.org")
    person = signed_in(browser, "pub@example.org")
    thief = copy_of(browser, person)
    page = admin.get("/admin/users")
    assert page.status_code == 200 and "pub@example.org" in page.text
    user_id = user_id_of(site[1], "pub@example.org")
    assert f'action="/admin/users/{user_id}/end-sessions"' in page.text
    # Only administrators may.
    refused = person.post(f"/admin/users/{user_id}/end-sessions")
    assert refused.status_code == 403 and person.get("/admin").status_code == 200
    assert person.get("/admin/users").status_code == 403
    ended = admin.post(f"/admin/users/{user_id}/end-sessions", token_from="/admin/users")
    assert ended.status_code == 303
    assert is_signed_out(person) and is_signed_out(thief)
    assert admin.get("/admin").status_code == 200
    audit = admin.get("/admin/audit").text
    assert "end_sessions" in audit and "ended by an administrator: 1 session(s)" in audit
    assert admin.post("/admin/users/no-such-user/end-sessions",
                      token_from="/admin/users").status_code == 404


def user_id_of(settings: Settings, email: str) -> str:
    catalogue = Catalogue(settings.sqlalchemy_url)
    try:
        with catalogue.connect() as conn:
            user = accounts.user_by_email(conn, email)
        assert user is not None
        return user.id
    finally:
        catalogue.close()


def test_the_end_sessions_command(site: tuple[Browser, Settings]) -> None:
    browser, settings = site
    person = signed_in(browser, "pub@example.org")
    command = [sys.executable, "-m", "openstats.cli", "user", "end-sessions",
               "PUB@example.org", "--data-dir", str(settings.data_dir)]
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "Ended 1 session(s) of pub@example.org" in done.stdout
    assert is_signed_out(person)
    unknown = subprocess.run(command[:5] + ["nobody@example.org"] + command[6:],
                             capture_output=True, text=True)
    assert unknown.returncode == 1 and "There is no account for nobody@example.org" in \
        unknown.stderr


def test_the_set_password_command_ends_sessions(site: tuple[Browser, Settings]) -> None:
    browser, settings = site
    person = signed_in(browser, "pub@example.org")
    done = subprocess.run([sys.executable, "-m", "openstats.cli", "user", "set-password",
                           "pub@example.org", "--data-dir", str(settings.data_dir)],
                          input=NEW_PASSWORD + "\n", capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert is_signed_out(person)
    signed_in(browser, "pub@example.org", NEW_PASSWORD)


def test_forged_and_altered_cookies_are_refused(site: tuple[Browser, Settings]) -> None:
    browser, settings = site
    person = signed_in(browser, "pub@example.org")
    cookie = person.client.cookies[COOKIE]
    payload, _, signature = cookie.rpartition(".")
    for forged in (
            # Signed with another key, and the right key but another salt.
            URLSafeTimedSerializer(b"not the key", salt="openstats.session").dumps(
                {"sid": "x", "csrf": "y"}),
            URLSafeTimedSerializer(settings.signing_key()).dumps({"sid": "x", "csrf": "y"}),
            # The signature of one cookie on a changed payload, or cut short.
            payload[:-1] + ("A" if payload[-1] != "A" else "B") + "." + signature,
            cookie[:-2], "", "not.a.cookie"):
        other = browser()
        other.client.cookies.set(COOKIE, forged)
        assert is_signed_out(other), forged


def test_a_session_nobody_ends_still_expires(tmp_path: Path) -> None:
    catalogue = Catalogue(f"sqlite:///{tmp_path / 'c.sqlite'}")
    user_id = accounts.create_user(catalogue, "a@example.org", PASSWORD, "publisher").id
    live = sessions.start(catalogue, user_id, timedelta(hours=8))
    gone = sessions.start(catalogue, user_id, timedelta(seconds=0))
    found = sessions.user_for(catalogue, live)
    assert found is not None and found.id == user_id
    assert sessions.user_for(catalogue, gone) is None
    assert sessions.user_for(catalogue, "") is None
    assert sessions.live_counts(catalogue) == {user_id: 1}
    catalogue.close()


def test_migrations_make_the_schema_of_schema_py(empty_database_url: str) -> None:
    catalogue = Catalogue(empty_database_url)  # migrates to head
    engine = create_engine(empty_database_url)
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    catalogue.close()
    # The listing's full-text index is made by its migration only (an FTS5 table on
    # SQLite, an expression index on PostgreSQL): schema.py says so in a comment.
    full_text = ("catalogue_listing_fts", "ix_catalogue_listing_search")
    assert [d for d in differences
            if not getattr(d[1], "name", "").startswith(full_text)] == []


def test_migration_0006_keeps_accounts_and_goes_back(empty_database_url: str) -> None:
    """Upgrading a catalogue that has accounts (at 0004) keeps them and their
    publications; downgrading 0006 restores the old columns."""
    engine = create_engine(empty_database_url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0004")
        conn.execute(text("INSERT INTO users (id, email, name, role, failed_logins, created) "
                          "VALUES ('u1', 'a@example.org', '', 'admin', 3, :at)"), {"at": now()})
        conn.execute(text("INSERT INTO themes (id, title, slug, summary) "
                          "VALUES ('t1', 'T', 't', '')"))
        conn.execute(text("INSERT INTO publications (id, theme_id, title, slug, summary, "
                          "contact_team_name, contact_team_email, contact_name, "
                          "contact_telephone) VALUES ('p1', 't1', 'P', 'p', '', '', '', '', '')"))
        conn.execute(text("INSERT INTO publication_roles VALUES ('u1', 'p1')"))
    catalogue = Catalogue(empty_database_url)  # migrates to head
    with catalogue.connect() as conn:
        user = accounts.user_by_email(conn, "a@example.org")
        assert "failed_logins" not in {c["name"] for c in inspect(conn).get_columns("users")}
    assert user is not None and allowed(user, "upload", "p1")
    catalogue.close()
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0005")
        assert conn.execute(text("SELECT id, failed_logins FROM users")).all() == [("u1", 0)]
    engine.dispose()
