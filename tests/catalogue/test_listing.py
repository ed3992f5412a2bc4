"""The catalogue's listing (catalogue/listing.py) shows, at every moment, exactly the data
sets, versions and words the published view shows: checked against the View at moments
before, between and after scheduled releases, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from openstats.catalogue import data_sets, listing_search, questions, releases
from openstats.catalogue.db import Catalogue, bump_generation
from openstats.catalogue.listing_search import CatalogueQuery
from openstats.model.catalogue import ReleaseDataSet
from tests.support.catalogue import add_version, approve, make_release, tiny_meta

D = "dddddddd-0000-4000-8000-000000000001"
E = "eeeeeeee-0000-4000-8000-000000000002"


def shown(c: Catalogue, at: datetime, **query: str) -> list[tuple[str, str]]:
    view = c.snapshots.view(at)
    page = listing_search.search(c, CatalogueQuery(**query, page_size=100), at, view.moment)
    out = []
    for data_set_id in page.data_set_ids:
        item = view.latest(data_set_id)
        assert item is not None, "the listing shows a data set the view does not"
        out.append((data_set_id, item.version.version))
    assert page.total == len(out)
    return sorted(out)


def viewed(c: Catalogue, at: datetime) -> list[tuple[str, str]]:
    return sorted((d.data_set_id, d.version.version)
                  for d in c.snapshots.view(at).latest_data_sets())


def test_the_listing_follows_the_view_at_every_moment(database_url: str) -> None:
    c = Catalogue(database_url)
    now = datetime.now(UTC).replace(microsecond=0)
    t0, t1, t2 = now - timedelta(days=30), now + timedelta(hours=1), now + timedelta(hours=2)
    with c.transaction() as conn:
        first = make_release(conn, "Year 2024")
        add_version(conn, first, D, "d1", title="Pupils in schools", meta=tiny_meta(1))
    approve(c, first, t0)
    # An amendment of the same release: D 1.1 with a new title, at t1.
    with c.transaction() as conn:
        amendment = releases.new_version(conn, first)
        add_version(conn, amendment, E, "e1", title="Teachers")
        held = releases.entry(conn, amendment.id, D)
        assert held is not None
        data_sets.add_version(conn, data_set_id=D, major=1, minor=1, storage_key="d2",
                              metadata=tiny_meta(2), changes={})
        releases.put_entry(conn, replace(held, version_id="d2", title="Pupils, revised"))
    approve(c, amendment, t1)
    # A new release holding D 2.0 at t2.
    with c.transaction() as conn:
        later = make_release(conn, "Year 2025")
        data_sets.add_version(conn, data_set_id=D, major=2, minor=0, storage_key="d3",
                              metadata=tiny_meta(3), changes={})
        releases.put_entry(conn, ReleaseDataSet(later.id, D, "d3", "Pupils 2025",
                                                         "", (), 0))
    approve(c, later, t2)
    for at in (t0 - timedelta(seconds=1), t0, now, t1 - timedelta(seconds=1), t1,
               t2 - timedelta(seconds=1), t2, t2 + timedelta(days=1)):
        assert shown(c, at) == viewed(c, at), at
    assert shown(c, now) == [(D, "1.0")]
    assert shown(c, t1) == [(D, "1.1"), (E, "1.0")]
    assert shown(c, t2) == [(D, "2.0"), (E, "1.0")]
    # The words searched are the ones shown at that moment.
    assert shown(c, now, search="revised") == []
    assert shown(c, t1, search="revised") == [(D, "1.1")]
    assert shown(c, t1, search="pupil") == [(D, "1.1")]  # the start of a word matches
    assert shown(c, t2, search="revised") == []
    # Taken back, the amendment's stretch goes: t1 shows what now shows.
    with c.transaction() as conn:
        releases.unschedule(conn, releases.latest_version(conn, first.release_id))  # type: ignore[arg-type]
        bump_generation(conn, first.release_id)
    assert shown(c, t1) == viewed(c, t1) == [(D, "1.0")]
    c.close()


def test_pre_release_readers_see_their_release_early(database_url: str) -> None:
    c = Catalogue(database_url)
    now = datetime.now(UTC)
    with c.transaction() as conn:
        rv = make_release(conn, "Year 2026")
        add_version(conn, rv, D, "d1", title="Soon")
    approve(c, rv, now + timedelta(hours=2))
    view = c.snapshots.view(now, frozenset({rv.release_id}))
    early = listing_search.search(c, CatalogueQuery(), now, view.moment, frozenset({rv.release_id}))
    assert early.data_set_ids == [D]
    assert listing_search.search(c, CatalogueQuery(), now, view.moment).data_set_ids == []
    c.close()


def test_a_question_reads_only_what_is_shown(database_url: str) -> None:
    """The question search's phrases follow the view too: an indicator of a scheduled
    data set is not read (nor answered) before its time, on SQLite and PostgreSQL."""
    c = Catalogue(database_url)
    now = datetime.now(UTC).replace(microsecond=0)
    later = now + timedelta(hours=1)

    def counted(label: str) -> Any:
        return tiny_meta(1, indicators=[{"column": label.replace(" ", "_"), "label": label,
                                         "unit": "", "public_id": label[:3]}])

    with c.transaction() as conn:
        shown_now = make_release(conn, "Year 2024")
        add_version(conn, shown_now, D, "d1", title="Pupils", meta=counted("pupil headcount"))
        scheduled = make_release(conn, "Year 2024", publication="Q")
        add_version(conn, scheduled, E, "e1", title="Teachers",
                    meta=counted("teacher headcount"))
    approve(c, shown_now, now - timedelta(days=1))
    approve(c, scheduled, later)
    for at, teacher in ((now, []), (later, [E])):
        view = c.snapshots.view(at)
        reading = questions.read(c, "teacher headcount", at, view.moment)
        assert [a.data_set_id for a in reading.answers] == teacher, at
        assert bool(reading.matched) == bool(teacher)
        headcount = questions.read(c, "pupil headcount", at, view.moment)
        assert [a.data_set_id for a in headcount.answers] == [D]
    c.close()


def test_a_search_counts_every_match_on_every_page(database_url: str) -> None:
    """A search's total is every matching data set's, whichever page is asked for: the
    first, the last (fewer rows than a page), one past the last (no rows) and none found,
    on SQLite and PostgreSQL (the total rides on the page's rows, or is counted apart when
    there are none)."""
    c = Catalogue(database_url)
    now = datetime.now(UTC)
    ids = [f"aaaaaaaa-0000-4000-8000-00000000000{n}" for n in range(5)]
    with c.transaction() as conn:
        rv = make_release(conn, "Year 2024")
        for n, data_set_id in enumerate(ids):
            add_version(conn, rv, data_set_id, f"v{n}",
                        title="Pupils in schools" if n < 3 else "Teachers")
    approve(c, rv, now - timedelta(days=1))
    view = c.snapshots.view(now)

    def page(search: str, number: int) -> tuple[int, int]:
        found = listing_search.search(c, CatalogueQuery(search=search, page=number,
                                                        page_size=2), now, view.moment)
        return found.total, len(found.data_set_ids)

    assert page("pupils", 1) == (3, 2)
    assert page("pupils", 2) == (3, 1)
    assert page("pupils", 3) == (3, 0)
    assert page("schools pupil", 1) == (3, 2)
    assert page("nothing", 1) == (0, 0)
    assert page("nothing", 2) == (0, 0)
    assert page("", 3) == (5, 1)  # no search: counted as before
    c.close()
