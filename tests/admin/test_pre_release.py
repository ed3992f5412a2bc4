"""Issue 12, finding 3: pre-release access works for a release loaded from a manifest, as
for one approved in the publishing side (both are scheduled the same way)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from openstats.catalogue import accounts, releases
from openstats.demo import MANIFEST
from openstats.platform import open_platform
from openstats.publishing.manifest import load_manifest
from openstats.settings import Settings
from tests.admin.helpers import PASSWORD, in_process
from tests.conftest import REFERENCE

DEMO_ID = "d9d4f804-df1b-48cf-a117-a8c8a4924ce0"


def test_a_manifest_release_can_be_seen_early_by_named_people(tmp_path) -> None:  # noqa: ANN001
    settings = Settings(data_dir=tmp_path / "data", database_url="", reference_dir=REFERENCE,
                        scheduler_seconds=0, rate_limit=0)
    platform = open_platform(settings)
    soon = (datetime.now(UTC) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    manifest = tmp_path / "soon.toml"
    manifest.write_text(MANIFEST.read_text().replace("published = 2024-11-21T09:30:00Z",
                                                     f"published = {soon}")
                        .replace('data = "', f'data = "{MANIFEST.parent}/')
                        .replace('meta = "', f'meta = "{MANIFEST.parent}/'))
    release_id = load_manifest(platform, manifest).release_id
    for email, role in (("admin@example.org", "admin"), ("early@example.org", "publisher"),
                        ("other@example.org", "publisher")):
        accounts.create_user(platform.catalogue, email, PASSWORD, role)
    with platform.catalogue.connect() as conn:
        latest = releases.latest_version(conn, release_id)
    assert latest is not None and latest.state.value == "approved"  # scheduled, not a draft
    platform.close()
    page = f"/data-catalogue/data-set/{DEMO_ID}"
    with in_process(settings) as browser:
        admin = browser()
        assert admin.sign_in("admin@example.org").status_code == 303
        granted = admin.post(f"/admin/releases/{release_id}/pre-release",
                             {"email": "early@example.org"},
                             token_from=f"/admin/releases/{release_id}")
        assert granted.status_code == 200
        assert "can see this release in the hours before it is published" in granted.text
        early, other, reader = browser(), browser(), browser()
        assert early.sign_in("early@example.org").status_code == 303
        assert other.sign_in("other@example.org").status_code == 303
        assert early.get(page).status_code == 200
        assert other.get(page).status_code == 404
        assert reader.get(page).status_code == 404
        assert reader.get(f"/api/v1/data-sets/{DEMO_ID}").status_code == 404
