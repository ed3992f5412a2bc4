"""Which public data sets have a location: the catalogue's answer, in SQL, for the
location pages (/locations/<level>/<code>).

A location is named as the public API names one (standards/geography.py): at its level,
by its main code (E09000001, a URN), its secondary code (an LA's old code, a school's
LAESTAB) or its public id (the only name of an RSC region, which has no code). Public ids
of locations are shared by every data set (catalogue/public_ids.py, keyed by level,
codes and name), so the ids a name stands for come from that table: more than one when
data sets spell the place differently ("Bristol, City of" and "City of Bristol"). The
data sets holding those ids in their latest public version come from the phrases kept
beside the catalogue's listing (`catalogue_listing_terms`, kind "location": the phrase is
the place's code or name, the `ref` its public id), restricted to the rows shown now:
nothing embargoed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.engine import Connection

from openstats.catalogue import listing_search, public_ids, questions
from openstats.catalogue.schema import catalogue_listing, catalogue_listing_terms
from openstats.catalogue.schema import public_ids as public_ids_table
from openstats.catalogue.values import utc
from openstats.standards import geography

if TYPE_CHECKING:
    from openstats.catalogue.db import Catalogue


@dataclass(frozen=True)
class Holder:
    """A data set whose latest public version has the location."""

    data_set_id: str
    location_ids: tuple[str, ...]  # the location's public ids in that version


def data_sets_with(catalogue: Catalogue, level: str, identifier: str, at: datetime,
                   moment: tuple[int, int]) -> tuple[Holder, ...]:
    """The data sets shown at `at` that have the location `identifier` names at `level`
    (a level code of geography.LEVELS), ordered by data set id.

    `moment` is the published snapshot's (generation, epoch) at `at` (View.moment): every
    reader asking the same then gets the same answer, kept with the catalogue's searches
    (so it is also served while the database is away)."""
    def answer() -> tuple[Holder, ...]:
        with catalogue.connect() as conn:
            return _holders(conn, level, identifier, utc(at))

    found: tuple[Holder, ...] = catalogue.listings.get(
        ("location", *moment, level, identifier), answer)
    return found


def _holders(conn: Connection, level: str, identifier: str, at: datetime
             ) -> tuple[Holder, ...]:
    keys = _location_keys(conn, level, identifier)
    if not keys:
        return ()
    # The phrases a location's terms carry are its code and its name (questions.terms_of):
    # asking by phrase walks the phrase index, where asking by public id alone would read
    # every term of the catalogue.
    phrases = set()
    for key in keys.values():
        parts = key.split(public_ids.SEP)
        if len(parts) == 4:
            phrases |= {parts[1].lower(), questions.normalise(parts[3])}
    t, c = catalogue_listing_terms.c, catalogue_listing.c
    rows = conn.execute(
        select(t.data_set_id, t.ref).distinct()
        .join(catalogue_listing, c.id == t.listing_id)
        .where(t.phrase.in_(phrases), t.kind == "location", t.ref.in_(keys),
               listing_search.shown_at(at))
        .order_by(t.data_set_id, t.ref)).all()
    found: dict[str, list[str]] = {}
    for r in rows:
        found.setdefault(r.data_set_id, []).append(r.ref)
    return tuple(Holder(d, tuple(refs)) for d, refs in found.items())


def _location_keys(conn: Connection, level: str, identifier: str) -> dict[str, str]:
    """Public id -> stored key of every location the identifier names at the level."""
    p = public_ids_table.c
    sep = public_ids.SEP
    out: dict[str, str] = {}
    properties = geography.identifying_properties(level)
    number = public_ids.decode(identifier)
    if number is not None:
        key = conn.execute(select(p.key).where(p.number == number, p.kind == "location")
                           ).scalar()
        if key is not None and key.startswith(level + sep):
            out[identifier] = key
    # A key is level, code, secondary code and name, joined by SEP (location_key); no
    # part holds SEP, so each LIKE below matches that part exactly. (A key too long to
    # keep, stored as its digest, names a location by an over-long name: not found.)
    patterns = []
    if geography.primary_property(level) in properties:
        patterns.append(sep.join((level, _escaped(identifier), "%")))
    if geography.secondary_property(level):
        patterns.append(sep.join((level, "%", _escaped(identifier), "%")))
    for pattern in patterns:
        if not identifier:
            break
        for n, key in conn.execute(select(p.number, p.key).where(
                p.kind == "location", p.scope == "", p.key.like(pattern, escape="\\"))):
            out[public_ids.encode(n)] = key
    return out


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
