"""Release manifests for the notification tests: a small publication whose release is
public at a moment the test chooses (a few seconds ahead, to watch the embargo hold)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.conftest import SAMPLES

PUBLICATION = "notified-statistics"
DATA_SET = "22222222-0000-4000-8000-000000000001"
SAMPLE = SAMPLES / "ees-tests" / "tiny-two-filters"


def soon(seconds: float) -> datetime:
    """A moment `seconds` ahead, to the second (as manifests give it)."""
    return (datetime.now(UTC) + timedelta(seconds=seconds)).replace(microsecond=0)


def data_files(folder: Path, *, changed: bool = False) -> tuple[Path, Path]:
    """The sample pair, copied; `changed` alters one number (a new version on load)."""
    folder.mkdir(parents=True, exist_ok=True)
    data, meta = folder / "tiny.csv", folder / "tiny.meta.csv"
    text = SAMPLE.with_suffix(".csv").read_text()
    data.write_text(text.replace(",20121,", ",20122,") if changed else text)
    shutil.copy(SAMPLE.with_suffix(".meta.csv"), meta)
    return data, meta


def write_manifest(folder: Path, published: datetime | None, *, changed: bool = False,
                   release_title: str = "Academic year 2020/21") -> Path:
    data, meta = data_files(folder / ("changed" if changed else "first"), changed=changed)
    when = f"published = {published.strftime('%Y-%m-%dT%H:%M:%SZ')}\n" if published else ""
    path = folder / "release.toml"
    path.write_text(f"""
[theme]
title = "Notification theme"

[publication]
title = "Notified statistics"
slug = "{PUBLICATION}"
summary = "A publication whose releases are announced."

[publication.contact]
team_name = "Test team"
team_email = "test@example.org"

[release]
title = "{release_title}"
type = "Official statistics"
{when}
[[data_sets]]
id = "{DATA_SET}"
title = "Tiny"
summary = "The tiny sample."
data = "{data}"
meta = "{meta}"
""")
    return path
