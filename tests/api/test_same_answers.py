"""The query path answers byte for byte as it did before it was rewritten for speed.

`same_answers.json` holds the SHA-256 and length of every answer to a fixed set of
queries (GET and POST: filters, levels, locations, time periods, ranges, sorts,
indicators, debug, paging, unknown ids, and/or/not trees) on EES's samples and on two
real DfE data sets big enough to span several Parquet row groups. It was written by the
engine that built every page with a Python dict per row and `json.dumps` (commit
6f7f5bc), and the engine that builds the JSON from Arrow columns gave the same bytes.
It was written again when import began to keep the file's order among rows of one place
and period (before, a busy machine could store them in another order, and this test
failed now and then): since then it holds the answers of that stable order, and any
change to the answer path must keep them.

To write the file again (only when an answer is meant to change):
`python -m tests.api.test_same_answers --write`.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from openstats import metrics
from openstats.app import create_app
from openstats.platform import open_platform
from openstats.publishing.manifest import load_manifest
from openstats.settings import Settings
from tests.conftest import REFERENCE, SAMPLES, SHARED
from tests.support.inprocess import InProcessClient

EXPECTED = Path(__file__).with_name("same_answers.json")
SAMPLE_NAMES = ["absence_school", "seven_filters", "dates", "grouped-filters-and-indicators",
                "filter_hierarchy_student_enrolment", "tiny-one-filter", "tiny-two-filters",
                "absence_school_major_auto"]
REAL_NAMES = ["spc_pupils_ethnicity_and_language", "app-provider-starts-202122-q4"]


def _pairs(folder: Path) -> list[tuple[str, Path, Path]]:
    """(name, data, meta) of every data set; the real ones unpacked into `folder`."""
    pairs = [(n, SAMPLES / "ees-tests" / f"{n}.csv", SAMPLES / "ees-tests" / f"{n}.meta.csv")
             for n in SAMPLE_NAMES]
    for name in REAL_NAMES:
        data = folder / f"{name}.csv"
        with gzip.open(SHARED / "real" / name / f"{name}.csv.gz") as src, data.open("wb") as out:
            shutil.copyfileobj(src, out)
        pairs.append((name, data, SHARED / "real" / name / f"{name}.meta.csv"))
    return pairs


def _manifest(pairs: list[tuple[str, Path, Path]]) -> str:
    text = ['[theme]\ntitle = "Answers"\n\n[publication]\ntitle = "Same answers"\n'
            'summary = "Samples."\n\n[publication.contact]\nteam_name = "Team"\n'
            'team_email = "team@example.org"\n\n[release]\ntitle = "Release"\n'
            'type = "Official statistics"\npublished = 2024-01-01T09:30:00Z\n']
    for i, (name, data, meta) in enumerate(pairs):
        text.append(f'\n[[data_sets]]\nid = "22222222-0000-4000-8000-{i:012d}"\n'
                    f'title = "{name}"\nsummary = "The {name} data."\n'
                    f'data = "{data}"\nmeta = "{meta}"\n')
    return "".join(text)


def queries(meta: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any] | None]]:
    """(name, GET path suffix or POST, POST body) for one data set's metadata."""
    filters = meta["filters"]
    options = [o for f in filters for o in f["options"]]
    levels = [lv["level"]["code"] for lv in meta["locations"]]
    locations = {lv["level"]["code"]: lv["options"] for lv in meta["locations"]}
    periods = [f"{t['period']}|{t['code']}" for t in meta["timePeriods"]]
    indicators = [i["id"] for i in meta["indicators"]]

    yield "all", "", None
    yield "page2", "?pageSize=7&page=2", None
    yield "page-last", f"?pageSize=3&page={10**6}", None
    # Deep in the default order: past the first file of a serving copy, and across the end
    # of the newest period (on the real data sets).
    yield "page-deep", "?pageSize=100&page=201", None
    yield "page-across", "?pageSize=1000&page=30", None
    yield "debug", "?debug=true&pageSize=50", None
    for f in filters[:4]:
        first, *rest = f["options"]
        yield f"filter-eq-{f['id']}", f"?filters.eq={first['id']}", None
        if rest:
            yield (f"filter-in-{f['id']}", f"?filters.in={first['id']},{rest[-1]['id']}"
                   "&pageSize=40", None)
            yield f"filter-notin-{f['id']}", f"?filters.notIn={rest[0]['id']}&pageSize=30", None
    if len(options) >= 2:
        yield "filters-across", f"?filters.in={options[0]['id']},{options[-1]['id']}", None
    for level in levels:
        yield f"level-{level}", f"?geographicLevels.eq={level}&pageSize=100", None
        first = locations[level][0]
        yield f"location-id-{level}", f"?locations.eq={level}|id|{first['id']}", None
        ref = next((p for p in ("code", "urn", "ukprn") if first.get(p)), None)
        if ref:
            yield (f"location-{ref}-{level}", f"?locations.in={level}|{ref}|{first[ref]},"
                   f"{level}|{ref}|{locations[level][-1][ref]}&pageSize=60", None)
        yield f"location-not-{level}", f"?locations.notEq={level}|id|{first['id']}", None
    for i, p in enumerate(periods[:3]):
        yield f"time-eq-{i}", f"?timePeriods.eq={p}", None
        yield f"time-gte-{i}", f"?timePeriods.gte={p}&pageSize=25&page=2", None
        yield f"time-lt-{i}", f"?timePeriods.lt={p}", None
    yield "time-in", f"?timePeriods.in={','.join(periods[::2])}", None
    sorts = ["timePeriod|Asc", "geographicLevel|Desc",
             *(f"location|{lv}|Asc" for lv in levels[:3]),
             *(f"filter|{f['id']}|Desc" for f in filters[:2]),
             *(f"indicator|{i}|Asc" for i in indicators[:2])]
    for s in sorts:
        yield f"sort-{s}", f"?sorts={s}&pageSize=80", None
    yield "sort-two", f"?sorts={sorts[1]},{sorts[0]}&pageSize=80&page=2", None
    yield "indicators", f"?indicators={','.join(indicators[::2])}&pageSize=60", None
    yield "unknown", "?filters.eq=zzzzz&locations.eq=NAT|id|zzzzz&timePeriods.eq=1999|AY", None
    yield "nothing", f"?timePeriods.eq=1999|AY&filters.eq={options[0]['id']}", None
    level, first = levels[0], locations[levels[0]][0]
    yield "post-empty", "POST", {}
    yield "post-and", "POST", {"criteria": {"and": [
        {"filters": {"in": [o["id"] for o in options[:3]]}},
        {"timePeriods": {"gte": {"period": meta["timePeriods"][0]["period"],
                                 "code": meta["timePeriods"][0]["code"]}}}]},
        "pageSize": 200, "indicators": indicators[:3]}
    yield "post-or-not", "POST", {"criteria": {"or": [
        {"not": {"geographicLevels": {"eq": level}, "filters": {"eq": options[-1]["id"]}}},
        {"locations": {"eq": {"level": level, "id": first["id"]}}}]},
        "sorts": [{"field": "timePeriod", "direction": "Asc"}], "page": 2, "pageSize": 15}
    yield "post-debug", "POST", {"criteria": {"filters": {"notIn": [options[0]["id"]]}},
                                 "debug": True, "pageSize": 30}


def digest(body: bytes) -> list[Any]:
    return [hashlib.sha256(body).hexdigest(), len(body)]


def copy_answers() -> float:
    """How many answers this process has read from serving copies (query/serving.py).
    From the one counter: asking the whole registry took 1.5 ms a call."""
    return next((sample.value for metric in metrics.SERVING_COPY.collect()
                 for sample in metric.samples
                 if sample.name.endswith("_total") and sample.labels == {"source": "copy"}),
                0.0)


def loaded(folder: Path) -> tuple[Settings, int]:
    """A site in `folder` holding every data set (settings without serving copies), and
    how many data sets it holds."""
    pairs = _pairs(folder)
    settings = Settings(data_dir=folder / "data", reference_dir=REFERENCE, rate_limit=0,
                        serving_copy_min_rows=-1, serving_chunk_rows=1024)
    manifest = folder / "answers.toml"
    manifest.write_text(_manifest(pairs))
    platform = open_platform(settings)
    try:
        load_manifest(platform, manifest)
    finally:
        platform.close()
    return settings, len(pairs)


def answers(site: tuple[Settings, int], serving_copies: bool = False,
            from_copy: dict[str, set[str]] | None = None) -> dict[str, dict[str, list[Any]]]:
    """Every query's answer digest. With `serving_copies`, every data set also has a
    serving copy of many small files, made before the queries are asked, and `from_copy`
    collects, per data set, the queries a copy answered."""
    settings, count = site
    if serving_copies:
        settings = dataclasses.replace(settings, serving_copy_min_rows=0)
    names = SAMPLE_NAMES + REAL_NAMES  # in _pairs' order
    assert count == len(names)
    out: dict[str, dict[str, list[Any]]] = {}
    app = create_app(settings)
    with InProcessClient(app) as client:
        if serving_copies:
            for i in range(count):  # a query that reads rows asks for each copy
                client.get(f"/api/v1/data-sets/22222222-0000-4000-8000-{i:012d}/query"
                           "?sorts=timePeriod|Asc&pageSize=1")
            copies = app.state.platform.engine.serving_copies
            copies.settle(120)
            assert len(copies.ready) == count, "a serving copy was not made"
        for i, name in enumerate(names):
            base = f"/api/v1/data-sets/22222222-0000-4000-8000-{i:012d}"
            meta = client.get(f"{base}/meta").json()
            found: dict[str, list[Any]] = {}
            for key, path, body in queries(meta):
                before = copy_answers()
                if path == "POST":
                    r = client.post(f"{base}/query", json=body)
                else:
                    r = client.get(f"{base}/query{path}")
                assert r.status_code in (200, 400), (name, key, r.text[:300])
                found[key] = [r.status_code, *digest(r.content)]
                if from_copy is not None and copy_answers() > before:
                    from_copy.setdefault(name, set()).add(key)
            out[name] = found
    return out


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, int]:
    return loaded(tmp_path_factory.mktemp("answers"))


@pytest.fixture(scope="module")
def found(site: tuple[Settings, int]) -> dict[str, dict[str, list[Any]]]:
    return answers(site)


@pytest.fixture(scope="module")
def found_with_copies(site: tuple[Settings, int]
                      ) -> tuple[dict[str, dict[str, list[Any]]], dict[str, set[str]]]:
    """The answers with serving copies (the same site, another app), and per data set the
    queries a copy answered."""
    from_copy: dict[str, set[str]] = {}
    found = answers(site, True, from_copy)
    return found, from_copy


@pytest.mark.parametrize("name", SAMPLE_NAMES + REAL_NAMES)
def test_answers_are_byte_for_byte_the_same(found: dict[str, dict[str, list[Any]]],
                                            name: str) -> None:
    expected = json.loads(EXPECTED.read_text())[name]
    assert set(found[name]) == set(expected)
    differ = sorted(k for k in expected if found[name][k] != expected[k])
    assert not differ, f"{name}: answers differ for {differ}"


@pytest.mark.parametrize("name", SAMPLE_NAMES + REAL_NAMES)
def test_serving_copies_answer_the_same_bytes(
        found_with_copies: tuple[dict[str, dict[str, list[Any]]], dict[str, set[str]]],
        name: str) -> None:
    """Answers read from a serving copy's small files are the published file's, byte for
    byte; and a copy gave the answers whose criteria name known places (eq/in) and the
    pages of every row in the default order, never those that may match rows anywhere
    (levels only, a negation, other facets)."""
    expected = json.loads(EXPECTED.read_text())[name]
    found, from_copy = found_with_copies[0][name], found_with_copies[1].get(name, set())
    differ = sorted(k for k in expected if found[k] != expected[k])
    assert not differ, f"{name}: answers differ for {differ}"
    naming = {k for k in found if k.startswith("location-") and "-not-" not in k}
    # Pages of every row in the default order read only the files holding them, unless
    # the page is past the end (the deep pages, on the small samples).
    every_row = {"all", "page2", "debug", "indicators", "post-empty"}
    deep = {"page-deep", "page-across"}
    assert naming | every_row <= from_copy <= naming | every_row | deep, name
    if name in REAL_NAMES:
        assert deep <= from_copy, name


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python -m tests.api.test_same_answers --write")
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        EXPECTED.write_text(json.dumps(answers(loaded(Path(tmp))), indent=1,
                                       sort_keys=True) + "\n")
    print(f"wrote {EXPECTED}")
