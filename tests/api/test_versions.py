"""Amendments: a new version answers new queries; the old one keeps its old numbers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from openstats.platform import open_platform
from openstats.publishing.manifest import load_manifest
from openstats.settings import Settings
from tests.api.conftest import LiveServer, manifest_text, serve
from tests.api.decode import Decoder, expected
from tests.conftest import REFERENCE, SAMPLES

DS = "22222222-0000-4000-8000-000000000001"


FILES: dict[str, Path] = {}


@pytest.fixture(scope="module")
def amended(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """1.0: absence_school; 1.1: the same plus a new year (only additions); 2.0: the
    'minor_manual' sample, whose renamed indicator is a removal without a manual mapping."""
    folder = tmp_path_factory.mktemp("amend")
    base = SAMPLES / "ees-tests/absence_school.csv"
    lines = base.read_text().splitlines()
    added = [line.replace("202021,", "201011,", 1) for line in lines[1:20]]
    extended = folder / "absence_school_extended.csv"
    extended.write_text("\n".join([*lines, *added]) + "\n")
    (folder / "absence_school_extended.meta.csv").write_bytes(
        (SAMPLES / "ees-tests/absence_school.meta.csv").read_bytes())
    FILES.update({"1.0": base, "1.1": extended, "1.*": extended,
                  "2.0": SAMPLES / "ees-tests/absence_school_minor_manual.csv"})
    settings = Settings(data_dir=folder / "data", database_url="", reference_dir=REFERENCE)
    platform = open_platform(settings)
    for path in (FILES["1.0"], FILES["1.1"], FILES["2.0"]):
        (folder / "r.toml").write_text(manifest_text(
            "Absence", "absence", "2024-06-13T09:30:00Z",
            [(DS, "Absence by school", str(path)[:-4])]))
        load_manifest(platform, folder / "r.toml")
    platform.close()
    yield from serve(settings)


def test_versions_list_newest_first(amended: LiveServer) -> None:
    answer = amended.get(f"/v1/data-sets/{DS}/versions").json()
    assert [v["version"] for v in answer["results"]] == ["2.0", "1.1", "1.0"]
    assert [v["type"] for v in answer["results"]] == ["Major", "Minor", "Major"]
    assert amended.get(f"/v1/data-sets/{DS}").json()["latestVersion"]["version"] == "2.0"


def test_changes_say_what_went_and_what_came(amended: LiveServer) -> None:
    minor = amended.get(f"/v1/data-sets/{DS}/versions/1.1/changes").json()
    assert minor["versionNumber"] == "1.1" and minor["majorChanges"] == {}
    assert minor["minorChanges"]  # something was added
    major = amended.get(f"/v1/data-sets/{DS}/versions/2.0/changes").json()
    assert major["majorChanges"]  # something was removed
    first = amended.get(f"/v1/data-sets/{DS}/versions/1.0/changes").json()
    assert first["majorChanges"] == {} and first["minorChanges"] == {}


@pytest.mark.parametrize("version", ["1.0", "1.1", "2.0", "1.*"])
def test_each_version_answers_with_its_own_numbers(amended: LiveServer, version: str) -> None:
    meta = amended.get(f"/v1/data-sets/{DS}/meta", params={"dataSetVersion": version}).json()
    d = Decoder(meta)
    answer = amended.get(f"/v1/data-sets/{DS}/query", params={
        "dataSetVersion": version, "pageSize": 10000})
    assert answer.status_code == 200
    got = sorted(d.row(r) for r in answer.json()["results"])
    assert got == expected(FILES[version], d)


def test_unchanged_options_keep_their_ids(amended: LiveServer) -> None:
    old = amended.get(f"/v1/data-sets/{DS}/meta", params={"dataSetVersion": "1.0"}).json()
    new = amended.get(f"/v1/data-sets/{DS}/meta", params={"dataSetVersion": "1.1"}).json()
    ids = lambda m: {(f["column"], o["label"]): o["id"]  # noqa: E731
                     for f in m["filters"] for o in f["options"]}
    shared = ids(old).keys() & ids(new).keys()
    assert shared and all(ids(old)[k] == ids(new)[k] for k in shared)
