"""The site the quality and location pages' tests share: the demo and two real DfE data
sets published, a third scheduled for 2099 (embargoed); and the latest version of a data
set there, which both count what they expect from."""

from __future__ import annotations

from pathlib import Path

from openstats.catalogue import data_sets
from openstats.demo import MANIFEST
from openstats.model.catalogue import DataSetVersion
from openstats.platform import Platform, open_platform
from openstats.publishing.manifest import load_manifest
from openstats.settings import Settings
from tests.conftest import REFERENCE
from tests.real_data import SPC_ID, real_sets_manifest, spc_manifest
from tests.support.catalogue import migrated_data_dir

DEMO = "d9d4f804-df1b-48cf-a117-a8c8a4924ce0"
APPRENTICES = "bbbbbbbb-2222-4000-8000-000000000001"  # provider rows, the `low` symbol
WEEKLY = "bbbbbbbb-2222-4000-8000-000000000002"  # LA rows, `z`: embargoed until 2099
PUBLIC = (DEMO, SPC_ID, APPRENTICES)


def build_real_site(folder: Path) -> Settings:
    """Load the four data sets into a new site in `folder`: its settings."""
    settings = Settings(data_dir=migrated_data_dir(folder), database_url="",
                        reference_dir=REFERENCE,
                        rate_limit=0, scheduler_seconds=0)
    platform = open_platform(settings)
    try:
        load_manifest(platform, MANIFEST)
        load_manifest(platform, spc_manifest(folder / "spc"))
        load_manifest(platform, real_sets_manifest(
            folder / "real", "Apprenticeships", "2024-01-01T09:30:00Z",
            [(APPRENTICES, "app-provider-starts-202122-q4", "Apprenticeship starts")]))
        load_manifest(platform, real_sets_manifest(
            folder / "future", "Attendance", "2099-01-01T09:30:00Z",
            [(WEEKLY, "ees_weekly_data", "Attendance in schools, weekly")]))
    finally:
        platform.close()
    return settings


def latest_version(platform: Platform, data_set_id: str) -> DataSetVersion:
    with platform.catalogue.connect() as conn:
        return data_sets.versions(conn, data_set_id)[0]
