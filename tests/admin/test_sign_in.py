"""Password sign-in gives nothing away and cannot be used to lock someone out.

One message and one argon2 check for every kind of failure; failures throttled by client
address (read through trusted proxies only) as well as by account, so that nobody can
lock an account, an administrator's included, from an address its owner does not use.
In process, each browser with its own client address.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

import pytest
from argon2 import PasswordHasher

from openstats.catalogue import accounts, sign_in
from openstats.catalogue.db import Catalogue
from openstats.catalogue.sign_in import ACCOUNT_LIMIT, CLIENT_LIMIT, FAILED, client_key
from openstats.catalogue.values import now
from openstats.platform import open_platform
from openstats.settings import Settings
from tests.admin.helpers import PASSWORD, Person, in_process
from tests.conftest import REFERENCE
from tests.support.catalogue import migrated_data_dir

ADMIN = "admin@example.org"
ATTACKER, OWNER, PROXY = "198.51.100.7", "192.0.2.10", "192.0.2.250"
WRONG = "not the password at all"


def site_for(tmp_path: Path, **settings: Any) -> Iterator[Any]:
    config = Settings(data_dir=migrated_data_dir(tmp_path), database_url="",
                      reference_dir=REFERENCE, scheduler_seconds=0, **settings)
    platform = open_platform(config)
    accounts.create_user(platform.catalogue, ADMIN, PASSWORD, "admin")
    accounts.create_user(platform.catalogue, "sso@example.org", None, "publisher")
    platform.close()
    with in_process(config) as browser:
        yield browser


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Any]:
    yield from site_for(tmp_path)


def error_of(answer: Any) -> str:
    """The words of the sign-in page's error summary."""
    found = re.search(r'govuk-error-summary__list"><li><a href="#email">([^<]+)</a>',
                      answer.text)
    assert found, answer.text[:500]
    return found.group(1).replace("&#39;", "'")


def test_every_failure_has_the_same_words(site: Any) -> None:
    person = site()
    answers = [person.sign_in(email, password) for email, password in (
        ("nobody@example.org", WRONG),  # no such account
        (ADMIN, WRONG),  # wrong password
        ("sso@example.org", WRONG),  # an account that has no password
        ("sso@example.org", ""),
    )]
    for _ in range(ACCOUNT_LIMIT):
        person.sign_in(ADMIN, WRONG)
    answers.append(person.sign_in(ADMIN, PASSWORD))  # refused to this client now
    assert {a.status_code for a in answers} == {400}
    assert {error_of(a) for a in answers} == {FAILED}


def test_every_branch_runs_one_argon2_check(site: Any, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    checks: list[str] = []

    class Counting(PasswordHasher):
        """argon2's own hasher, counting its checks."""

        def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
            checks.append(str(password))
            return super().verify(hash, password)

    monkeypatch.setattr(accounts, "_hasher", Counting())
    person = site()
    cases = [("nobody@example.org", WRONG), (ADMIN, WRONG), ("sso@example.org", WRONG)]
    cases += [(ADMIN, WRONG)] * ACCOUNT_LIMIT + [(ADMIN, PASSWORD)]  # the last is refused
    for n, (email, password) in enumerate(cases, start=1):
        assert person.sign_in(email, password).status_code == 400
        assert len(checks) == n, (email, password)


def test_failures_from_elsewhere_never_lock_the_owner_out(site: Any) -> None:
    attacker, owner = site(ATTACKER), site(OWNER)
    for _ in range(ACCOUNT_LIMIT * 2):
        assert attacker.sign_in(ADMIN, WRONG).status_code == 400
    assert owner.sign_in(ADMIN).status_code == 303
    assert owner.get("/admin").status_code == 200


def test_a_failing_client_is_refused_even_the_right_password(site: Any) -> None:
    attacker = site(ATTACKER)
    for _ in range(ACCOUNT_LIMIT):
        attacker.sign_in(ADMIN, WRONG)
    refused = attacker.sign_in(ADMIN, PASSWORD)
    assert refused.status_code == 400 and error_of(refused) == FAILED
    # Once under attack, a new address gets one guess at that account, no more.
    second = site("198.51.100.8")
    assert second.sign_in(ADMIN, WRONG).status_code == 400
    assert second.sign_in(ADMIN, PASSWORD).status_code == 400
    # The owner, who has not failed, is let in; that does not give the others new tries.
    assert site(OWNER).sign_in(ADMIN).status_code == 303
    assert attacker.sign_in(ADMIN, PASSWORD).status_code == 400


def test_a_client_has_a_failure_budget_over_all_accounts(site: Any) -> None:
    attacker = site(ATTACKER)
    for n in range(CLIENT_LIMIT):
        assert error_of(attacker.sign_in(f"guess{n}@example.org", WRONG)) == FAILED
    refused = attacker.sign_in(ADMIN, PASSWORD)
    assert refused.status_code == 400
    assert "too many failed sign-ins from your network" in error_of(refused)
    assert site(OWNER).sign_in(ADMIN).status_code == 303


def test_throttling_reads_the_address_through_trusted_proxies_only(tmp_path: Path) -> None:
    for browser in site_for(tmp_path, trusted_proxies=f"{PROXY}/32"):
        behind = browser(PROXY)
        for _ in range(ACCOUNT_LIMIT):
            behind.client.post("/admin/login", headers={"X-Forwarded-For": ATTACKER},
                               data=login_form(behind, ADMIN, WRONG))
        # The attacker is refused; the owner behind the same proxy, from another
        # address, is let in...
        assert behind.client.post("/admin/login", headers={"X-Forwarded-For": ATTACKER},
                                  data=login_form(behind, ADMIN, PASSWORD)).status_code == 400
        owner = browser(PROXY)
        assert owner.client.post("/admin/login", headers={"X-Forwarded-For": OWNER},
                                 data=login_form(owner, ADMIN, PASSWORD)).status_code == 303
        # ...and a header sent by a client that is not a trusted proxy does not buy a
        # fresh address.
        direct = browser(ATTACKER)
        for _ in range(ACCOUNT_LIMIT):
            direct.sign_in(ADMIN, WRONG)
        spoofed = direct.client.post("/admin/login", headers={"X-Forwarded-For": OWNER},
                                     data=login_form(direct, ADMIN, PASSWORD))
        assert spoofed.status_code == 400


def login_form(person: Person, email: str, password: str) -> dict[str, str]:
    return {"csrf_token": person.token(), "email": email, "password": password,
            "next": "/admin"}


def test_failures_count_for_a_window_only(tmp_path: Path) -> None:
    catalogue = Catalogue(f"sqlite:///{tmp_path / 'c.sqlite'}")
    accounts.create_user(catalogue, ADMIN, PASSWORD, "admin")
    start = now()
    for _ in range(CLIENT_LIMIT):
        with pytest.raises(accounts.AccountError):
            sign_in.authenticate(catalogue, ADMIN, WRONG, ATTACKER, at=start)
    with pytest.raises(accounts.AccountError, match="too many failed sign-ins"):
        sign_in.authenticate(catalogue, ADMIN, PASSWORD, ATTACKER, at=start)
    later = start + sign_in.WINDOW + timedelta(seconds=1)
    assert sign_in.authenticate(catalogue, ADMIN, PASSWORD, ATTACKER, at=later).email == ADMIN
    catalogue.close()


def test_ipv6_clients_count_by_their_64_network() -> None:
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:ffff::9")
    assert client_key("2001:db8:1:2::1") != client_key("2001:db8:1:3::1")
    assert client_key("::ffff:192.0.2.1") == "192.0.2.1" == client_key("192.0.2.1")
    assert client_key("testclient") == "testclient"
