"""Data files may come gzip-compressed (`x.csv.gz`), as DfE's own stores keep them.

On the command line, in manifests and in admin uploads (all through the screener), a
`.csv.gz` is screened and imported exactly as the CSV inside it would be; the stored
"as uploaded" file keeps the publisher's compressed bytes; the API's CSV download sends
the CSV (unpacked), or, to a client that accepts gzip, the stored bytes as they are.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
from pathlib import Path

import pytest

from openstats.app import create_app
from openstats.cli import app as cli
from openstats.platform import open_platform
from openstats.publishing.manifest import load_manifest
from openstats.settings import Settings
from openstats.standards.findings import Report
from openstats.standards.screening.screen import screen
from tests.conftest import REFERENCE, SHARED
from tests.core.helpers import write_pair
from tests.support.inprocess import InProcessClient

REAL = SHARED / "real" / "ees_weekly_data"
DATA_SET = "33333333-0000-4000-8000-000000000001"


def gzipped(path: Path) -> Path:
    packed = path.with_name(path.name + ".gz")
    packed.write_bytes(gzip.compress(path.read_bytes()))
    return packed


def findings(report: Report) -> list[tuple[object, ...]]:
    """Every finding, with the data file's name as the CSV inside would have it."""
    return [(f.rule, f.file.removesuffix(".gz"), f.row, f.column, f.value,
             f.message.replace(".csv.gz", ".csv")) for f in report.findings]


def test_a_real_gzipped_file_screens_as_its_csv(tmp_path: Path) -> None:
    plain = tmp_path / "ees_weekly_data.csv"
    with gzip.open(REAL / "ees_weekly_data.csv.gz") as src, plain.open("wb") as out:
        shutil.copyfileobj(src, out)
    meta = REAL / "ees_weekly_data.meta.csv"
    with screen(REAL / "ees_weekly_data.csv.gz", meta, reference_dir=REFERENCE,
                workdir=tmp_path) as packed, \
            screen(plain, meta, reference_dir=REFERENCE, workdir=tmp_path) as unpacked:
        assert packed.report.ok and packed.row_count == unpacked.row_count == 5885
        assert findings(packed.report) == findings(unpacked.report)
        assert packed.data_scan.sha256 == unpacked.data_scan.sha256  # type: ignore[union-attr]


def test_a_gzip_file_that_is_not_one_or_unpacks_too_far_is_an_error(tmp_path: Path) -> None:
    data, meta = write_pair(tmp_path / "in")
    fake = data.with_name("tiny.csv.gz")
    shutil.copyfile(data, fake)  # the name says gzip, the bytes do not
    cut = data.with_name("cut.csv.gz")
    cut.write_bytes(gzip.compress(data.read_bytes())[:-12])
    bomb = data.with_name("bomb.csv.gz")
    bomb.write_bytes(gzip.compress(data.read_bytes() + b"0," * 2_000_000))
    for path, words in ((fake, "not gzip-compressed"), (cut, "cannot be unpacked"),
                        (bomb, "unpacks to more than")):
        its_meta = path.with_name(path.name[:-7] + ".meta.csv")
        if its_meta != meta:
            shutil.copyfile(meta, its_meta)
        with screen(path, its_meta, reference_dir=REFERENCE, workdir=tmp_path) as s:
            found = [f for f in s.report.findings if f.rule == "file.compressed"]
            assert found and words in found[0].message, (path.name, s.report.findings)
            assert not s.report.ok


def _manifest(folder: Path, data: str, meta: str) -> Path:
    path = folder / "release.toml"
    path.write_text(f"""
[theme]
title = "Theme"

[publication]
title = "Compressed"
summary = "A release whose data file is gzip-compressed."

[publication.contact]
team_name = "Team"
team_email = "team@example.org"

[release]
title = "Release"
type = "Official statistics"
published = 2024-01-01T09:30:00Z

[[data_sets]]
id = "{DATA_SET}"
title = "Weekly attendance"
summary = "Compressed."
data = "{data}"
meta = "{meta}"
""")
    return path


def test_a_manifest_loads_a_gzipped_file_and_downloads_give_the_csv(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    packed = folder / "ees_weekly_data.csv.gz"
    shutil.copyfile(REAL / "ees_weekly_data.csv.gz", packed)
    shutil.copyfile(REAL / "ees_weekly_data.meta.csv", folder / "ees_weekly_data.meta.csv")
    csv_bytes = gzip.decompress(packed.read_bytes())
    settings = Settings(data_dir=tmp_path / "data", reference_dir=REFERENCE, rate_limit=0)
    platform = open_platform(settings)
    try:
        load_manifest(platform, _manifest(folder, packed.name, "ees_weekly_data.meta.csv"))
        [found] = platform.catalogue.snapshots.view().versions_of(DATA_SET)
        version = found.version
        stored = platform.storage.file(version.storage_key, version.data_file_name)
        # Kept as the publisher gave it; its checksum is of the CSV inside.
        assert version.data_file_name == "ees_weekly_data.csv.gz"
        assert stored.read_bytes() == packed.read_bytes()
        assert version.data_sha256 == hashlib.sha256(csv_bytes).hexdigest()
        assert platform.catalogue.metadata.get_json(found.version_id)["row_count"] == 5885
    finally:
        platform.close()
    with InProcessClient(create_app(settings)) as client:
        plain = client.get(f"/api/v1/data-sets/{DATA_SET}/csv",
                           headers={"Accept-Encoding": "identity"})
        assert plain.status_code == 200 and "content-encoding" not in plain.headers
        assert plain.content == csv_bytes
        page = client.get(f"/data-catalogue/data-set/{DATA_SET}")
        assert page.status_code == 200 and "time_period" in page.text  # the preview's header
        rows = client.get(f"/api/v1/data-sets/{DATA_SET}/query?pageSize=5").json()
        assert rows["paging"]["totalResults"] == 5885
        # The encoded bytes, undecoded: gzip sends the stored file itself.
        with client.stream("GET", f"/api/v1/data-sets/{DATA_SET}/csv",
                           headers={"Accept-Encoding": "gzip"}) as answer:
            assert answer.headers["content-encoding"] == "gzip"
            assert b"".join(answer.iter_raw()) == packed.read_bytes()


def test_the_import_command_takes_a_gzipped_file(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    data, meta = write_pair(tmp_path / "in")
    packed = gzipped(data)
    runner = CliRunner()
    done = runner.invoke(cli, ["import", str(packed), str(meta), "--data-dir",
                               str(tmp_path / "data")])
    assert done.exit_code == 0, done.output
    screened = runner.invoke(cli, ["screen", "--json", str(packed), str(meta)])
    assert screened.exit_code == 0, screened.output
    report = json.loads(screened.output)
    assert report["data_file"] == "tiny.csv.gz" and report["row_count"] == 6


@pytest.mark.parametrize("name", ["tiny.csv.gz", "tiny.CSV.GZ"])
def test_file_name_rules_judge_the_csv_inside(tmp_path: Path, name: str) -> None:
    data, meta = write_pair(tmp_path / "in")
    packed = data.with_name(name)
    packed.write_bytes(gzip.compress(data.read_bytes()))
    with screen(packed, meta, reference_dir=REFERENCE, workdir=tmp_path) as s:
        assert not [f for f in s.report.findings if f.rule.startswith("file.name")]
        assert s.report.ok
