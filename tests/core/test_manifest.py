"""Release manifests: the demo loads, loading twice changes nothing, bad ones change nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from openstats.demo import MANIFEST
from openstats.errors import ManifestError, ScreeningFailed
from openstats.model.catalogue import Contact, ReleaseState
from openstats.platform import Platform, open_platform
from openstats.publishing.manifest import load_manifest
from openstats.publishing.manifest_file import read_manifest
from tests.conftest import SHARED
from tests.core.helpers import TINY_DATA, files_under, make_settings, write_pair

DEMO_ID = "d9d4f804-df1b-48cf-a117-a8c8a4924ce0"

GOOD = """
[theme]
title = "Pupils"

[publication]
title = "Pupil numbers"
summary = "Counts of pupils."

[publication.contact]
team_name = "Pupil statistics team"
team_email = "pupils@example.org"

[release]
title = "Calendar year 2023"
type = "Official statistics"
published = 2024-06-13T09:30:00Z

[[data_sets]]
title = "Pupils by sex"
data = "tiny.csv"
meta = "tiny.meta.csv"
footnotes = ["Rounded to the nearest 5."]
"""


@pytest.fixture
def platform(tmp_path: Path, database_url: str) -> Platform:
    p = open_platform(make_settings(tmp_path, database_url))
    yield p  # type: ignore[misc]
    p.close()


def snapshot(platform: Platform) -> dict[str, list[tuple]]:
    """Every row of every catalogue table, to compare before and after."""
    tables = ["themes", "publications", "releases", "release_versions", "release_data_sets",
              "data_sets", "data_set_versions", "saved_tables"]
    with platform.catalogue.engine.connect() as conn:
        return {t: sorted(tuple(map(str, r)) for r in conn.execute(text(f"SELECT * FROM {t}")))
                for t in tables}


def test_demo_loads_as_on_the_seed_page(platform: Platform) -> None:
    load_manifest(platform, MANIFEST)
    ds = platform.catalogue.snapshots.view().latest(DEMO_ID)
    assert ds is not None
    assert ds.title == "E1. Re-referrals by level of intervention by CSC, 2017-23"
    assert ds.release.theme.title == "Children's social care"
    assert ds.release.publication_title == "Children in need: A focus on re-referrals"
    assert ds.release.title == "Reporting year 2024"
    assert ds.release.version.contact == Contact(
        "Children's Social Care Analysis and Research", "Bruce.GOLDING@education.gov.uk",
        "Bruce Golding", "")
    meta = platform.catalogue.metadata.get(ds.version_id)
    assert meta.row_count == 5
    assert [i.label for i in meta.indicators] == ["Referrals", "Percent"]
    assert [(f.label, f.hint) for f in meta.filters] == [
        ("Highest level of intervention", "Filter by event"),
        ("Referral type", "Filter by referral type")]
    # Loaded releases are scheduled like approved ones (so pre-release access works too).
    assert ds.release.version.state in (ReleaseState.APPROVED, ReleaseState.PUBLISHED)


def test_loading_twice_changes_nothing(platform: Platform) -> None:
    load_manifest(platform, MANIFEST)
    before, files = snapshot(platform), files_under(platform.settings.data_dir / "files")
    result = load_manifest(platform, MANIFEST)
    assert result.created == []
    assert snapshot(platform) == before
    assert files_under(platform.settings.data_dir / "files") == files


def test_changed_file_becomes_a_new_version(platform: Platform, tmp_path: Path) -> None:
    folder = tmp_path / "release"
    write_pair(folder)
    (folder / "release.toml").write_text(GOOD)
    first = load_manifest(platform, folder / "release.toml")
    assert first.versions == {"Pupils by sex": "1.0"}
    write_pair(folder, data=TINY_DATA + "2024,Calendar year,National,E92000001,England,,,"
                                        "Total,Total,5,1\n")
    second = load_manifest(platform, folder / "release.toml")
    assert second.versions == {"Pupils by sex": "1.1"} and second.created == ["Pupils by sex"]
    assert platform.catalogue.counts()["data_sets"] == 1


def test_future_release_is_not_public_until_its_time(platform: Platform, tmp_path: Path) -> None:
    folder = tmp_path / "release"
    write_pair(folder)
    (folder / "release.toml").write_text(GOOD.replace("2024-06-13T09:30:00Z",
                                                      "2099-06-13T09:30:00Z"))
    load_manifest(platform, folder / "release.toml")
    data_set_id = read_manifest(folder / "release.toml").data_sets[0].id
    assert platform.catalogue.snapshots.view().latest(data_set_id) is None
    later = datetime(2099, 6, 13, 9, 30, tzinfo=UTC)
    assert platform.catalogue.snapshots.view(later - timedelta(seconds=1)).latest(
        data_set_id) is None
    assert platform.catalogue.snapshots.view(later).latest(data_set_id) is not None


@pytest.mark.parametrize(("change", "message"), [
    (lambda t: t.replace('data = "tiny.csv"', 'data = "e1.csv"'),
     "data_sets[0].data: file not found: e1.csv"),
    (lambda t: t.replace('type = "Official statistics"', 'type = "Gossip"'),
     "release.type: 'Gossip' is not one of"),
    (lambda t: t.replace('team_email = "pupils@example.org"\n', ""),
     "publication.contact.team_email: required"),
    (lambda t: t.replace('[[data_sets]]\n', '[[data_sets]]\nid = "not-a-uuid"\n'),
     "data_sets[0].id: 'not-a-uuid' is not a UUID"),
    (lambda t: t.replace('summary = "Counts of pupils."', 'summry = "typo"'),
     "publication.summry: unknown field"),
    (lambda t: t.replace('title = "Pupils by sex"', 'title = ' + '"' + "x" * 121 + '"'),
     "data_sets[0].title: 121 characters; at most 120"),
    (lambda t: t + t[t.index("[[data_sets]]"):],
     "data_sets[1].title: same title as data_sets[0]"),
    (lambda t: t.replace("[release]", "[release\n"), "not valid TOML"),
    (lambda t: t.replace('footnotes = ["Rounded to the nearest 5."]', "footnotes = [1]"),
     "data_sets[0].footnotes[0]: must be text, or a table with text"),
    (lambda t: t.replace('footnotes = ["Rounded to the nearest 5."]',
                         'footnotes = [{text = "On rates.", indicator = "nope"}]'),
     "data_sets[0].footnotes[0]: no indicator 'nope'"),
])
def test_bad_manifest_names_the_field_and_changes_nothing(
        platform: Platform, tmp_path: Path, change, message: str) -> None:  # noqa: ANN001
    load_manifest(platform, MANIFEST)
    before = snapshot(platform)
    folder = tmp_path / "release"
    write_pair(folder)
    (folder / "release.toml").write_text(change(GOOD))
    with pytest.raises(ManifestError) as failed:
        load_manifest(platform, folder / "release.toml")
    assert any(message in e for e in failed.value.errors), failed.value.errors
    assert snapshot(platform) == before


def test_bad_data_file_changes_nothing(platform: Platform, tmp_path: Path) -> None:
    folder = tmp_path / "release"
    write_pair(folder, name="good")
    write_pair(folder, data=TINY_DATA.replace("2023,Calendar", "20233,Calendar"))
    manifest = GOOD.replace('data = "tiny.csv"\nmeta = "tiny.meta.csv"',
                            'data = "good.csv"\nmeta = "good.meta.csv"')
    manifest += '\n[[data_sets]]\ntitle = "Bad"\ndata = "tiny.csv"\nmeta = "tiny.meta.csv"\n'
    (folder / "release.toml").write_text(manifest)
    with pytest.raises(ScreeningFailed) as failed:
        load_manifest(platform, folder / "release.toml")
    assert "data_sets[1].data" in str(failed.value) and "time_period" in str(failed.value)
    assert all(rows == [] for rows in snapshot(platform).values())
    assert files_under(platform.settings.data_dir / "files") == []


def test_demo_files_are_the_seed_files() -> None:
    seed = SHARED / "seed"
    demo = MANIFEST.parent
    assert (demo / "e1_re_referrals.csv").read_bytes() == \
        (seed / "e1_re_referrals_preview.csv").read_bytes()
    assert (demo / "e1_re_referrals.meta.csv").read_bytes() == \
        (seed / "e1_re_referrals_preview.meta.csv").read_bytes()
