"""Serving copies (query/serving.py): which files a query's places narrow it to, a copy made
whole or not at all, and answers that never depend on a copy being there.

That answers from a copy are the published file's, byte for byte, is proven on every query
of tests/api/test_same_answers.py.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import duckdb
import pytest

from openstats.query import serving
from openstats.query.request import And, Facets, LocationRef, Not, Or
from openstats.storage import owners

# Rows stored as import stores them (by place, then time): LA 1 has rows 0-19,999, LA 2
# the rest. DuckDB writes row groups of at least 2,048 rows, so a copy of 16,384 rows a
# file (8 groups) holds them in three files: LA 1 in files 0 and 1, LA 2 in files 1 and 2.
ROWS = 40_000
CHUNK = 16_384


@pytest.fixture
def parquet(tmp_path: Path) -> Path:
    path = tmp_path / "data.parquet"
    duckdb.sql("COPY (SELECT 'LA' AS geographic_level, "
               "(1 + (i >= 20000)::INTEGER)::INTEGER AS loc_LA, "
               f"(i % 5)::INTEGER AS time_period_id FROM range({ROWS}) t(i) ORDER BY i) "
               f"TO '{path}' (FORMAT parquet)")
    return path


def build(parquet: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    serving.build(parquet, work, tmp_path / "copy", CHUNK, ["loc_LA"])
    assert not work.exists()


def ref(code: str) -> LocationRef:
    return LocationRef("LA", "code", code, f"LA|code|{code}")


def resolve(r: LocationRef) -> tuple[str, list[int]] | None:
    return {"E1": ("loc_LA", [1]), "E2": ("loc_LA", [2])}.get(r.value)


def test_places_narrow_a_query_to_the_files_holding_them(tmp_path: Path, parquet: Path
                                                         ) -> None:
    build(parquet, tmp_path)
    copy = serving.load(tmp_path / "copy")
    assert copy is not None and len(copy.files) == 3
    rows = duckdb.sql(f"SELECT count(*), count(DISTINCT {serving.ROW}), max({serving.ROW}) "
                      f"FROM read_parquet({[str(f) for f in copy.files]})").fetchall()
    assert rows == [(ROWS, ROWS, ROWS - 1)]  # every row once, with its place in the file
    places = serving.Places(copy, resolve)

    def facets(**comparators: object) -> Facets:
        return Facets("criteria", dict(comparators))

    one, two = facets(locations={"eq": ref("E1")}), facets(locations={"in": [ref("E2")]})
    assert places.files(one) == {0, 1}
    assert places.files(two) == {1, 2}
    assert places.files(Or("", [one, two])) == {0, 1, 2}
    assert places.files(And("", [one, two])) == {1}  # the file holding rows of both
    assert places.files(And("", [one, facets(timePeriods={"eq": "x"})])) == {0, 1}
    # What may match rows anywhere narrows nothing: no criteria, other facets, negations,
    # an alternative without places.
    assert places.files(None) is None
    assert places.files(facets(geographicLevels={"eq": "LA"})) is None
    assert places.files(facets(locations={"notEq": ref("E1")})) is None
    assert places.files(Not("", one)) is None
    assert places.files(Or("", [one, facets(filters={"eq": "x"})])) is None
    # An unknown place matches no row: no file.
    assert places.files(facets(locations={"eq": ref("E9")})) == set()


def test_a_page_of_a_period_reads_only_the_files_holding_it(tmp_path: Path, parquet: Path
                                                            ) -> None:
    build(parquet, tmp_path)
    copy = serving.load(tmp_path / "copy")
    assert copy is not None
    first = copy.periods[0][0]  # period 0's rows in the first file
    assert first == 3277 and sum(p[0] for p in copy.periods) == ROWS // 5
    files = copy.files
    assert copy.period_rows(0, 0, 10) == ([files[0]], 0)
    assert copy.period_rows(0, first - 5, 10) == ([files[0], files[1]], 0)
    assert copy.period_rows(0, first + 100, 10) == ([files[1]], first)
    assert copy.period_rows(0, ROWS, 10) == ([], 0)  # past the end: nothing to read


def test_a_copy_is_made_in_the_background_and_found_by_the_next_process(
        tmp_path: Path, parquet: Path) -> None:
    copies = serving.ServingCopies(tmp_path / "serving", 0, CHUNK)
    assert copies.get("v1", parquet, ROWS, ["loc_LA"]) is None  # answers don't wait
    copies.settle(60)
    made = copies.get("v1", parquet, ROWS, ["loc_LA"])
    assert made is not None and len(made.files) == 3
    assert [p.name for p in (tmp_path / "serving").iterdir()] == [f"v1.{serving.FORMAT}"]
    again = serving.ServingCopies(tmp_path / "serving", 0, CHUNK)  # another process
    assert again.get("v1", parquet, ROWS, ["loc_LA"]) == made
    assert not again.making
    # Too small a version, or copies turned off: the published file only, nothing made.
    assert serving.ServingCopies(tmp_path / "s2", ROWS + 1, 8).get(
        "v1", parquet, ROWS, ["loc_LA"]) is None
    off = serving.ServingCopies(tmp_path / "s3", -1, 8)
    assert off.get("v1", parquet, ROWS, ["loc_LA"]) is None and not off.making
    assert not (tmp_path / "s2").exists() and not (tmp_path / "s3").exists()


def test_a_copy_that_cannot_be_made_leaves_answers_to_the_published_file(
        tmp_path: Path, parquet: Path) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the copies would go")
    copies = serving.ServingCopies(blocked, 0, 8)
    assert copies.get("v1", parquet, ROWS, ["loc_LA"]) is None
    copies.settle(60)
    assert copies.get("v1", parquet, ROWS, ["loc_LA"]) is None  # and not tried again
    assert copies.failed == {"v1"} and not copies.making
    assert blocked.read_text() == "a file where the copies would go"


def test_one_process_makes_a_copy_and_the_others_find_it(tmp_path: Path, parquet: Path
                                                         ) -> None:
    root = tmp_path / "serving"
    other = root / f".making-v1.{serving.FORMAT}"  # a live process is making v1's copy
    other.mkdir(parents=True)
    owners.mark(other / owners.OWNER)
    copies = serving.ServingCopies(root, 0, CHUNK)
    assert copies.get("v1", parquet, ROWS, ["loc_LA"]) is None
    assert not copies.making and other.exists()  # not made twice, not swept
    owners.unmark(other / owners.OWNER)
    other.rmdir()
    # The other process finishes: its copy is found within a second of being there.
    maker = serving.ServingCopies(tmp_path / "elsewhere", 0, CHUNK)
    maker.get("v1", parquet, ROWS, ["loc_LA"])
    maker.settle(60)
    maker.folder("v1").rename(copies.folder("v1"))
    deadline = time.monotonic() + 5
    while copies.get("v1", parquet, ROWS, ["loc_LA"]) is None:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert not copies.making


def test_what_a_maker_that_died_left_is_swept(tmp_path: Path, parquet: Path) -> None:
    root = tmp_path / "serving"
    dead = root / f".making-v1.{serving.FORMAT}"
    dead.mkdir(parents=True)
    (dead / "chunk_0.parquet").write_bytes(b"half written")
    gone = dataclasses.replace(owners.Owner.of_this_process(), pid=2**22 - 1)  # no such pid
    (dead / owners.OWNER).write_text(gone.to_text())
    assert owners.abandoned_folder(dead)
    copies = serving.ServingCopies(root, 0, CHUNK)
    assert not dead.exists()
    copies.get("v1", parquet, ROWS, ["loc_LA"])  # and the copy is made anew
    copies.settle(60)
    assert copies.get("v1", parquet, ROWS, ["loc_LA"]) is not None
    assert sorted(p.name for p in root.iterdir()) == [f"v1.{serving.FORMAT}"]


def test_only_the_last_copies_used_are_kept_in_memory(tmp_path: Path, parquet: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(serving, "KEPT_COPIES", 1)
    copies = serving.ServingCopies(tmp_path / "serving", 0, CHUNK)
    for version in ("v1", "v2"):
        copies.get(version, parquet, ROWS, ["loc_LA"])
        copies.settle(60)
        assert copies.get(version, parquet, ROWS, ["loc_LA"]) is not None
    assert list(copies.ready) == ["v2"]
    assert copies.get("v1", parquet, ROWS, ["loc_LA"]) is not None  # read again from disk
    assert list(copies.ready) == ["v1"] and not copies.making
