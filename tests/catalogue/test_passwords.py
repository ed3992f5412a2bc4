"""Password hashing: the production cost is the strong one, the suite's cheap cost is only
a setting, and a hash verifies whatever cost the process now makes new ones with."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher, extract_parameters, profiles

from openstats.catalogue import accounts
from openstats.settings import PasswordHashing, password_hashing

PASSWORD = "correct horse battery"
VARIABLES = ("OPENSTATS_ARGON2_TIME_COST", "OPENSTATS_ARGON2_MEMORY_KIB",
             "OPENSTATS_ARGON2_PARALLELISM")


def test_without_settings_the_cost_is_rfc_9106s(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    cost = password_hashing()
    assert cost == PasswordHashing()
    strong = profiles.RFC_9106_LOW_MEMORY
    assert (cost.time_cost, cost.memory_kib, cost.parallelism) == (
        strong.time_cost, strong.memory_cost, strong.parallelism)
    made = extract_parameters(accounts.hasher(cost).hash(PASSWORD))
    assert (made.type, made.time_cost, made.memory_cost, made.parallelism) == (
        strong.type, 3, 65536, 4)


def test_the_settings_set_the_cost(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in zip(VARIABLES, ("2", "16", "2"), strict=True):
        monkeypatch.setenv(name, value)
    assert password_hashing() == PasswordHashing(time_cost=2, memory_kib=16, parallelism=2)
    made = extract_parameters(accounts.hasher(password_hashing()).hash(PASSWORD))
    assert (made.time_cost, made.memory_cost, made.parallelism) == (2, 16, 2)


def test_a_hash_verifies_under_either_cost() -> None:
    # This process makes cheap hashes (tests/conftest.py); a strong one made elsewhere
    # still verifies here, and a cheap one made here verifies in a strong process.
    cheap = accounts.hash_password(PASSWORD)
    assert extract_parameters(cheap).memory_cost == 8
    strong_made = PasswordHasher().hash(PASSWORD)
    assert accounts.password_matches(strong_made, PASSWORD)
    assert not accounts.password_matches(strong_made, PASSWORD + "!")
    strong = accounts.hasher(PasswordHashing())
    assert strong.verify(cheap, PASSWORD)
    assert accounts.password_matches(cheap, PASSWORD)
    assert not accounts.password_matches(cheap, PASSWORD.upper())
