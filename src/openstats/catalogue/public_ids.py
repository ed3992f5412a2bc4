"""Short public ids for filters, options, indicators and locations, stable across versions.

Ids are Sqids of catalogue-wide numbers, with EES's alphabet and minimum length, so they
look like EES's (`dP0Zw`). An item keeps its number from one version to the next when
the thing it names is unchanged: filters and indicators by column, options by column
and label (within a data set), locations by level, codes and name (across data sets).
"""

from __future__ import annotations

import hashlib

from sqids import Sqids
from sqlalchemy import select
from sqlalchemy.engine import Connection

from openstats.catalogue.schema import public_ids
from openstats.model.metadata import Location, VersionMeta

ALPHABET = "UjIo1rQXDHTmNsy6p4SlAtO0uqhfCiexFMVc5nG3v2Bbz8dKgWJRa79PZYwkEL"
_SQIDS = Sqids(alphabet=ALPHABET, min_length=5)
SEP = "\x1f"  # joins key parts; never appears in a CSV cell we keep
# Longer keys are stored as a digest (see stored_key); shorter ones, as they are.
MAX_KEY_BYTES = 1000


def encode(number: int) -> str:
    return str(_SQIDS.encode([number]))


def decode(public_id: str) -> int | None:
    """The number behind a public id, or None when the id is not one we could have made."""
    if not 5 <= len(public_id) <= 10 or any(c not in ALPHABET for c in public_id):
        return None
    numbers = _SQIDS.decode(public_id)
    if len(numbers) != 1 or not 0 <= numbers[0] < 2**53 or encode(numbers[0]) != public_id:
        return None
    return int(numbers[0])


def location_key(location: Location) -> str:
    return SEP.join((location.level, location.code, location.secondary_code, location.name))


def stored_key(key: str) -> str:
    """The key as the table keeps it: itself, or a digest when it is long.

    The unique index over keys holds at most about 2,700 bytes per entry on PostgreSQL,
    and an option label or location name may be far longer (the screener only warns). A
    digest names the same label the same way every time, so ids stay stable.
    """
    if len(key.encode()) <= MAX_KEY_BYTES:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def _numbers(conn: Connection, kind: str, scope: str, keys: list[str]) -> dict[str, int]:
    """Numbers for `keys`, creating those not seen before."""
    stored = {k: stored_key(k) for k in keys}
    wanted = set(stored.values())
    by_stored: dict[str, int] = {}
    rows = conn.execute(select(public_ids.c.key, public_ids.c.number).where(
        public_ids.c.kind == kind, public_ids.c.scope == scope))
    for key, number in rows:
        if key in wanted:
            by_stored[key] = number
    missing = [k for k in dict.fromkeys(stored.values()) if k not in by_stored]
    if missing:
        conn.execute(public_ids.insert(),
                     [{"kind": kind, "scope": scope, "key": k} for k in missing])
        rows = conn.execute(select(public_ids.c.key, public_ids.c.number).where(
            public_ids.c.kind == kind, public_ids.c.scope == scope))
        by_stored.update({k: n for k, n in rows if k in wanted})
    return {k: by_stored[s] for k, s in stored.items()}


def assign(conn: Connection, data_set_id: str, meta: VersionMeta) -> VersionMeta:
    """The metadata with every filter, option, indicator and location's public id."""
    filters = _numbers(conn, "filter", data_set_id, [f.column for f in meta.filters])
    option_keys = {(f.column, o.label): f.column + SEP + o.label
                   for f in meta.filters for o in f.options}
    options = _numbers(conn, "option", data_set_id, list(option_keys.values()))
    indicators = _numbers(conn, "indicator", data_set_id, [i.column for i in meta.indicators])
    location_keys = {loc.id: location_key(loc) for loc in meta.locations}
    locations = _numbers(conn, "location", "", list(location_keys.values()))
    return meta.with_public_ids(
        filters={column: encode(n) for column, n in filters.items()},
        options={pair: encode(options[key]) for pair, key in option_keys.items()},
        indicators={column: encode(n) for column, n in indicators.items()},
        locations={loc_id: encode(locations[key]) for loc_id, key in location_keys.items()})
