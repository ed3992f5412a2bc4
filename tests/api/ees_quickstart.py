"""EES API "Quick start" guide, step by step, as a Python client would run it.

Source (the public repository dfe-analytical-services/explore-education-statistics):
- The guide: src/explore-education-statistics-api-docs/source/getting-started/quick-start/
  index.html.md.erb at commit 0c3067d517e0e006f3c55b4a778bbd5352a2df97 (last_reviewed_on
  2024-09-16). A later revision (last_reviewed_on 2025-07-17, seen only as a search excerpt)
  adds a pointer to the R / Power BI SDK page at the top.
- The docs' Python request form: src/explore-education-statistics-api-docs/source/partials/
  _request_example_py.md.erb at commit 6e70c8f3ee4fd5e36d53745892120e72d1cbf196, the snippet
  every endpoint page shows: ``requests.get(url)`` or ``requests.post(url, headers=
  {'Content-Type': 'application/json'}, data=<json text>)``, then ``print(response.text)``.

NOT A TRANSCRIPTION. EES publishes no Python (and no requests + pandas) quick-start example:
the guide is prose with raw ``GET``/``POST`` lines and JSON bodies, and its only Python is the
per-endpoint snippet above. So this script is our own: it sends the guide's requests in the
guide's order, in the docs' snippet style, and prints what comes back. Compared with the guide:
- the base URL comes from OPENSTATS_BASE_URL (default http://127.0.0.1:8000/api) instead of
  https://api.education.gov.uk/statistics;
- the guide's example ids (publication cbbd299f-..., filter options uKR2K/1oX7c, indicator
  04nTr, location e0768, periods 2021/2022 and 2022/2023 AY) are replaced by ids read from the
  earlier responses, as the guide tells the reader to do; the data set id comes from
  OPENSTATS_DATA_SET_ID when set, else it is the first data set of the first publication;
- the bodies keep the guide's shapes, including its two mistakes (public-api-detail.md §8.2):
  ``"eq": [a, b]`` (EES answers 400 InvalidValue; we expect the same) and
  ``POST .../query?page=5&pageSize=200`` (EES answers 400 UnknownField; openstats accepts
  page/pageSize on the POST query string, so we expect 200). Its reversed lte/gte pair is kept;
- the last step, pandas.json_normalize of the results, is our addition (skipped without pandas).

Run: OPENSTATS_BASE_URL=http://127.0.0.1:8000/api python tests/api/ees_quickstart.py
Exit status 1 if any request answers other than the status this script expects.
"""

from __future__ import annotations

import json
import os
import sys

import requests

BASE_URL = os.environ.get("OPENSTATS_BASE_URL", "http://127.0.0.1:8000/api").rstrip("/")
DATA_SET_ID = os.environ.get("OPENSTATS_DATA_SET_ID")
unexpected: list[str] = []


def show(response: requests.Response, expected: int = 200) -> dict:
    """Print the request, its status and a short view of the JSON answer; return the JSON."""
    request = response.request
    print(f"\n{request.method} {request.url} -> {response.status_code}")
    if request.body:
        print(f"  body: {json.dumps(json.loads(request.body))}")
    if response.status_code != expected:
        unexpected.append(f"{request.method} {request.url}: {response.status_code}, "
                          f"expected {expected}")
    body = response.json()
    if isinstance(body, dict) and "results" in body:
        print(f"  paging: {body.get('paging')}")
        print(f"  {len(body['results'])} results; first: {json.dumps(body['results'][:1])}")
        if "warnings" in body:
            print(f"  warnings: {json.dumps(body['warnings'])}")
    else:
        text = json.dumps(body, indent=2)
        print(text if len(text) < 3000 else text[:3000] + "\n  ...")
    return body


def post_query(data_set_id: str, query: dict, params: str = "", expected: int = 200) -> dict:
    url = f"{BASE_URL}/v1/data-sets/{data_set_id}/query{params}"
    headers = {"Content-Type": "application/json"}
    data = json.dumps(query, indent=2)
    return show(requests.post(url, headers=headers, data=data, timeout=120), expected)


def main() -> int:
    # Step 1: find a publication (paged; page, pageSize and search parameters).
    publications = show(requests.get(f"{BASE_URL}/v1/publications", timeout=60))
    for query_string in ("?page=2", "?page=3", "?page=1&pageSize=30",
                         "?search=pupil+absence", "?search=pupil+absence&page=2"):
        show(requests.get(f"{BASE_URL}/v1/publications{query_string}", timeout=60))
    publication = publications["results"][0]
    print(f"\nChosen publication: {publication['id']} {publication['title']!r}")

    # Step 2: find a data set of that publication.
    data_sets = show(requests.get(
        f"{BASE_URL}/v1/publications/{publication['id']}/data-sets", timeout=60))
    data_set_id = DATA_SET_ID or data_sets["results"][0]["id"]
    print(f"\nChosen data set: {data_set_id}")

    # Step 3: get the data set's metadata.
    meta = show(requests.get(f"{BASE_URL}/v1/data-sets/{data_set_id}/meta", timeout=60))
    options = [option["id"] for option in meta["filters"][0]["options"][:2]] if meta[
        "filters"] else []
    indicator = meta["indicators"][0]["id"]
    periods = [{"period": p["period"], "code": p["code"]} for p in meta["timePeriods"]]
    groups = {group["level"]["code"]: group for group in meta["locations"]}
    group = groups.get("REG") or meta["locations"][0]
    location = {"level": group["level"]["code"], "id": group["options"][0]["id"]}
    print(f"\nFilter options {options}, indicator {indicator}, location {location}, "
          f"periods {periods[0]} .. {periods[-1]}")

    # Step 4: create and run data set queries.
    post_query(data_set_id, {"indicators": []})
    post_query(data_set_id, {"indicators": [], "criteria": {}})
    # The guide's first filtered query: "eq" with a list, which EES rejects (InvalidValue).
    post_query(data_set_id, {"criteria": {"filters": {"eq": options}},
                             "indicators": [indicator]}, expected=400)
    # The guide's fuller query, with its lte/gte as written (earliest, latest).
    criteria: dict = {
        "timePeriods": {"lte": periods[0], "gte": periods[-1]},
        "locations": {"notIn": [location]},
        "geographicLevels": {"eq": "LA"},
    }
    if options:
        criteria = {"filters": {"in": options}, **criteria}
    post_query(data_set_id, {"criteria": criteria, "indicators": [indicator]})
    # "Note on paginated data": page and pageSize on the POST query string.
    results = post_query(data_set_id, {"indicators": [indicator]}, "?page=5&pageSize=200")
    first_page = post_query(data_set_id, {"indicators": [indicator]})

    # Our addition: flatten the rows as a pandas user would.
    try:
        import pandas as pd
    except ImportError:
        print("\npandas is not installed: json_normalize step skipped")
    else:
        frame = pd.json_normalize(first_page["results"])
        print(f"\njson_normalize: {frame.shape[0]} rows, columns {list(frame.columns)}")
        print(frame.head().to_string())
    print(f"\nPage 5 of 200-row pages: {len(results['results'])} results")

    if unexpected:
        print("\nUNEXPECTED STATUSES:\n  " + "\n  ".join(unexpected))
        return 1
    print("\nAll requests answered as expected.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
