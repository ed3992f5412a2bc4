"""The site's page types, one address each, for tests that visit every kind of page."""

from __future__ import annotations

DEMO_ID = "d9d4f804-df1b-48cf-a117-a8c8a4924ce0"

# name -> (path, expected HTTP status)
PAGE_TYPES: dict[str, tuple[str, int]] = {
    "home": ("/", 200),
    "catalogue": ("/data-catalogue", 200),
    "catalogue-search": ("/data-catalogue?search=referrals&sort=relevance", 200),
    "data-set": (f"/data-catalogue/data-set/{DEMO_ID}", 200),
    "data-set-quality": (f"/data-catalogue/data-set/{DEMO_ID}/quality", 200),
    "location": ("/locations/NAT/E92000001", 200),
    "location-without-data": ("/locations/LA/E09999999", 200),
    "location-unknown-level": ("/locations/COUNTY/E09000001", 404),
    "release": ("/find-statistics/children-in-need-a-focus-on-re-referrals/2024", 200),
    "not-found": ("/find-statistics/no-such-publication", 404),
    "api-docs": ("/api/docs", 200),
    "table-tool": ("/data-tables", 200),
    "table-tool-locations": (f"/data-tables?dataSetId={DEMO_ID}", 200),
    "table-tool-time": (f"/data-tables?dataSetId={DEMO_ID}&locations=CpId1&step=time", 200),
    "find-statistics": ("/find-statistics?search=referrals&sort=relevance", 200),
    "methodology": ("/methodology/children-in-need-re-referrals-methodology", 200),
    "glossary": ("/glossary", 200),
    "pre-release-access-list": (
        "/find-statistics/children-in-need-a-focus-on-re-referrals/2024/prerelease-access-list",
        200),
}
