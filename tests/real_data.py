"""DfE's real "pupils by ethnicity and language" data set (154,192 rows) as a release to load.

From ../shared/real/spc_pupils_ethnicity_and_language (gzip, byte for byte as EES
stores it): unpacked into a folder with a manifest, so `load_manifest` takes it as any
release. National, regional and LA rows over seven academic years, with two LAs named
"Dorset" (the county until 2019, the unitary authority after) — what the table tool's
layout, location grouping and big-cut tests need.
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

from openstats.demo import MANIFEST
from openstats.platform import open_platform
from openstats.publishing.manifest import load_manifest
from openstats.settings import Settings
from tests.conftest import REFERENCE, SHARED

SPC = SHARED / "real" / "spc_pupils_ethnicity_and_language"
SPC_ID = "5bc9e6a3-0e3c-4d53-9d2e-6f6b64c1a001"
SPC_TITLE = "Pupil characteristics - ethnicity and language"


def spc_manifest(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with gzip.open(SPC / "spc_pupils_ethnicity_and_language.csv.gz", "rb") as src, \
            (folder / "spc.csv").open("wb") as out:
        shutil.copyfileobj(src, out)
    shutil.copyfile(SPC / "spc_pupils_ethnicity_and_language.meta.csv", folder / "spc.meta.csv")
    manifest = folder / "spc.toml"
    manifest.write_text(f"""
[theme]
title = "Pupils and schools"

[publication]
title = "Schools, pupils and their characteristics"
slug = "school-pupils-and-their-characteristics"
summary = "Pupil numbers by ethnicity and first language."

[publication.contact]
team_name = "School statistics"
team_email = "schools.statistics@example.org"

[release]
title = "Academic year 2021/22"
slug = "2021-22"
type = "Accredited official statistics"
published = 2022-06-09T09:30:00Z

[[data_sets]]
id = "{SPC_ID}"
title = "{SPC_TITLE}"
summary = "Headcount and percent of pupils by ethnicity and first language, by school type."
data = "spc.csv"
meta = "spc.meta.csv"
""", encoding="utf-8")
    return manifest


def loaded_site(folder: Path) -> Settings:
    """Settings of a new site in `folder` holding the demo and the real data set."""
    settings = Settings(data_dir=folder / "data", database_url="", reference_dir=REFERENCE,
                        rate_limit=0)
    platform = open_platform(settings)
    load_manifest(platform, MANIFEST)
    load_manifest(platform, spc_manifest(folder / "release"))
    platform.close()
    return settings


def real_sets_manifest(folder: Path, name: str, published: str,
                       sets: list[tuple[str, str, str]]) -> Path:
    """A release (publication `name`, published at `published`, ISO 8601) of real data
    sets from ../shared/real, each (id, folder name, title), read as stored (.csv.gz)."""
    slug = name.lower().replace(" ", "-")
    parts = [f'''
[theme]
title = "Real data"

[publication]
title = "{name}"
slug = "{slug}"
summary = "Real DfE data sets."

[publication.contact]
team_name = "Statistics team"
team_email = "stats@example.org"

[release]
title = "Academic year 2021/22"
slug = "2021-22"
type = "Official statistics"
published = {published}
''']
    for data_set_id, real, title in sets:
        parts.append(f'''
[[data_sets]]
id = "{data_set_id}"
title = "{title}"
summary = "Real DfE data: {real}."
data = "{SHARED / 'real' / real / (real + '.csv.gz')}"
meta = "{SHARED / 'real' / real / (real + '.meta.csv')}"
''')
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{slug}.toml"
    path.write_text("".join(parts), encoding="utf-8")
    return path
