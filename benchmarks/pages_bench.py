"""The `pages` step of `make bench`: two web pages of openstats against Datasette.

Measured on the servers of the `api` step (api_bench.py: the same loaded data dir, the
same SQLite file, the same client process; with `--steps api,pages` in the same client
run, after the api cases), on the generated data set:

(d) the data-set page, `GET /data-catalogue/data-set/ID`: details from stored metadata
    and the first rows of the stored file. Peer: Datasette's HTML page of the table,
    `/DB/data` (its default first page of 100 rows, with the row count from its inspect
    file). The same request each time (neither server caches pages).
(e) a table-tool table of 1,000 cells, `GET /data-tables/table?dataSetId=...`:
    10 local authorities x every year (5) x 5 options of `age_band` (Total and 4 others)
    x the Total of every other filter x every indicator (4); fewer local authorities in
    a small file that has fewer. Each request asks for other local authorities and age
    bands (a fixed shuffled list), so openstats' answer cache (256 answers) never helps.
    Peer: Datasette's JSON for the same rows,
    `/DB/data.json?geographic_level=Local authority&new_la_code__in=...&time_period__in=...
    &sex=Total&...&age_band__in=...&_size=max`, answered from an index on
    (new_la_code, geographic_level) that this step adds to the SQLite file.

After timing, the step checks what came back: for (d) that both pages state the data
set's row count, and how many rows each shows; for (e), on the first five selections,
that openstats' table has the planned number of cells and that its cells with data are
Datasette's rows times the chosen indicators.
"""

from __future__ import annotations

import datetime as dt
import html
import importlib.metadata
import json
import math
import random
import re
import sqlite3
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from api_bench import DATA_SET_ID, TABLE, WARMUP, CaseSet, Outcome, Plans, csv_period, get_json

CASES = {
    "d": "(d) the data-set page",
    "e": "(e) a table-tool table of about 1,000 cells",
}
GOAL_MS = {"d": 50.0, "e": 15.0}  # median at most this many milliseconds (issue 13)
GOAL_RATIO = {"d": 1.0, "e": 1.5}  # and at least this many times Datasette's speed
LA_LEVEL = "LA"
LOCAL_AUTHORITIES = 10  # per table
VARIED_FILTER = "age_band"  # Total and VARIED_OPTIONS others of it per table
VARIED_OPTIONS = 4
CHECKED = 5  # (e): selections whose answers are compared
INDEXES = (("new_la_code", "geographic_level"),)


# --- the requests ------------------------------------------------------------------------
def total_option(options: list[dict[str, Any]]) -> dict[str, Any]:
    """A filter's Total option (its first option when it has none)."""
    return next((o for o in options if o["label"] == "Total"), options[0])


def in_param(column: str, values: list[str]) -> tuple[str, str]:
    """Datasette's filter for one or more values of a column (JSON list if one has a comma)."""
    if len(values) == 1:
        return column, values[0]
    joined = json.dumps(values) if any("," in v for v in values) else ",".join(values)
    return f"{column}__in", joined


def plan(meta: dict[str, Any], db_name: str, count: int) -> Plans:
    """(d): one request per server; (e): up to `count` different tables, the i-th request
    on both servers asking for the same rows."""
    plans: Plans = {"d": {"openstats": [f"/data-catalogue/data-set/{DATA_SET_ID}"],
                          "datasette": [f"/{db_name}/{TABLE}"]}}
    group = next((g for g in meta["locations"] if g["level"]["code"] == LA_LEVEL), None)
    if group is None or not group["options"]:
        raise RuntimeError("case (e): the data set has no local authorities")
    las, level_label = group["options"], group["level"]["label"]
    years = sorted((t for t in meta["timePeriods"] if t["code"] == "AY"),
                   key=lambda t: t["period"])
    varied = next(f for f in meta["filters"] if f["column"] == VARIED_FILTER)
    others = [o for o in varied["options"] if o is not total_option(varied["options"])]
    n_las = min(LOCAL_AUTHORITIES, len(las))
    n_options = min(VARIED_OPTIONS, len(others))
    rng = random.Random(20251125)
    seen: set[tuple[tuple[str, ...], tuple[str, ...]]] = set()
    openstats: list[str] = []
    datasette: list[str] = []
    for _ in range(count * 20):  # enough tries for `count` different tables, or all there are
        if len(openstats) >= count:
            break
        chosen_las = sorted(rng.sample(las, n_las), key=lambda la: la["code"])
        chosen = [total_option(varied["options"])] + sorted(
            rng.sample(others, n_options), key=lambda o: varied["options"].index(o))
        key = (tuple(la["id"] for la in chosen_las), tuple(o["id"] for o in chosen))
        if key in seen:
            continue
        seen.add(key)
        options = {f["id"]: chosen if f is varied else [total_option(f["options"])]
                   for f in meta["filters"]}
        params = [("dataSetId", DATA_SET_ID)]
        params += [("locations", la["id"]) for la in chosen_las]
        params += [("start", f"{years[0]['period']}|AY"), ("end", f"{years[-1]['period']}|AY")]
        for fid, opts in options.items():
            params += [(f"filter_{fid}", o["id"]) for o in opts]
        params += [("indicators", i["id"]) for i in meta["indicators"]]
        openstats.append("/data-tables/table?" + urllib.parse.urlencode(params))
        by_column = {f["column"]: options[f["id"]] for f in meta["filters"]}
        ds_params = [("geographic_level", level_label),
                     in_param("new_la_code", [la["code"] for la in chosen_las]),
                     in_param("time_period", [csv_period(t["period"]) for t in years])]
        ds_params += [in_param(column, [o["label"] for o in opts])
                      for column, opts in by_column.items()]
        ds_params.append(("_size", "max"))
        datasette.append(f"/{db_name}/{TABLE}.json?" + urllib.parse.urlencode(ds_params))
    plans["e"] = {"openstats": openstats, "datasette": datasette}
    return plans


# --- what came back ----------------------------------------------------------------------
def get_text(port: int, path: str, timeout: float = 120) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
        return str(r.read().decode("utf-8"))


def planned_cells(openstats_path: str, datasette_path: str) -> tuple[int, int]:
    """(cells, indicators) a table request asks for, from its two URLs."""
    query = urllib.parse.parse_qsl(urllib.parse.urlsplit(openstats_path).query)
    counts: dict[str, int] = {}
    for key, _ in query:
        counts[key] = counts.get(key, 0) + 1
    years = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(datasette_path).query))
    n_years = len(years.get("time_period__in", "").split(",")) if "time_period__in" in years \
        else 1
    options = math.prod(n for key, n in counts.items() if key.startswith("filter_"))
    return counts["locations"] * n_years * options * counts["indicators"], counts["indicators"]


def check(plans: Plans, ports: dict[str, int]) -> dict[str, Any]:
    """What each server answered: the rows each page shows, the cells and rows of tables."""
    os_page = get_text(ports["openstats"], plans["d"]["openstats"][0])
    ds_page = get_text(ports["datasette"], plans["d"]["datasette"][0])
    shown = re.search(r"Table showing (?:first|all) (\d+) rows", os_page)
    stated = re.search(r"Number of rows</dt>\s*<dd[^>]*>\s*([\d,]+)", os_page)
    ds_count = re.search(r"<h3>\s*([\d,]+) rows?", ds_page)
    ds_body = ds_page.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in ds_page \
        else ""
    d = {
        "openstats": {"shown": int(shown.group(1)) if shown else None,
                      "total": int(stated.group(1).replace(",", "")) if stated else None,
                      "bytes": len(os_page.encode())},
        "datasette": {"shown": ds_body.count("<tr"),
                      "total": int(ds_count.group(1).replace(",", "")) if ds_count else None,
                      "bytes": len(ds_page.encode())},
    }
    tables = []
    for os_path, ds_path in list(zip(plans["e"]["openstats"], plans["e"]["datasette"],
                                     strict=True))[:CHECKED]:
        page = get_text(ports["openstats"], os_path)
        cells = re.findall(r'govuk-table__cell--numeric">([^<]*)</td>', page)
        answer = get_json(ports["datasette"], ds_path)
        want, indicators = planned_cells(os_path, ds_path)
        with_data = sum(1 for c in cells if html.unescape(c) != "no data")
        tables.append({"planned_cells": want, "indicators": indicators,
                       "openstats_cells": len(cells), "openstats_with_data": with_data,
                       "openstats_bytes": len(page.encode()),
                       "datasette_rows": len(answer["rows"]),
                       "datasette_total": answer.get("filtered_table_rows_count")})
    return {"d": d, "e": tables}


CASE_SET = CaseSet("pages", plan, check, INDEXES)


# --- the report --------------------------------------------------------------------------
def ms(value: float | None) -> str:
    return "–" if value is None else f"{value:,.1f}"


def table_ok(t: dict[str, Any]) -> bool:
    return bool(t["openstats_cells"] == t["planned_cells"]
                and t["openstats_with_data"] == t["datasette_rows"] * t["indicators"]
                and t["datasette_rows"] == t["datasette_total"])


def report(measured: dict[str, Any], data: Path, rows: int, context: str, samples: int,
           after_api: bool) -> Outcome:
    """The Markdown section: context, one table for (d) and (e), the checks, verdicts."""
    lat, found = measured["latency"], measured["checks"]["pages"]
    sizes = measured["sizes"]
    d, tables = found["d"], found["e"]
    checks_ok = all(table_ok(t) for t in tables) and d["openstats"]["total"] == rows \
        and d["datasette"]["total"] == rows
    t0 = tables[0]
    rows_d = (f"openstats: details and the first {d['openstats']['shown']} of "
              f"{d['openstats']['total'] or 0:,} rows ({d['openstats']['bytes'] / 1000:,.0f} "
              f"KB); Datasette: the first {d['datasette']['shown']} of "
              f"{d['datasette']['total'] or 0:,} rows ({d['datasette']['bytes'] / 1000:,.0f} KB)")
    rows_e = (f"openstats: {t0['openstats_cells']:,} cells, {t0['openstats_with_data']:,} "
              f"with data ({t0['openstats_bytes'] / 1000:,.0f} KB of HTML); Datasette: "
              f"{t0['datasette_rows']:,} rows x {t0['indicators']} indicators")
    first_note = ("after the api cases, on the same server" if after_api
                  else "the server's first request of this kind")
    lines = [
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {context}; "
        f"Datasette {importlib.metadata.version('datasette')} on SQLite "
        f"{sqlite3.sqlite_version}.",
        "",
        f"Data: `{data.name}`, {rows:,} rows: openstats' Parquet file "
        f"{(sizes['parquet'] or 0) / 1e6:,.1f} MB, Datasette's SQLite file "
        f"{sizes['sqlite'] / 1e6:,.1f} MB. Latency: one client process, a keep-alive "
        f"connection per server, {WARMUP} warm-up and {samples} timed requests per case and "
        "server, alternating between the servers, from sending the request to the last "
        "byte; (d) the same request each time, (e) a different table each time.",
        "",
        "| Case | What each server returns | openstats median (ms) | openstats p95 (ms) "
        "| Datasette median (ms) | Datasette p95 (ms) | Datasette / openstats | Goal "
        "| Note |",
        "|---|---|---:|---:|---:|---:|---:|---|---|",
    ]
    verdicts = []
    for case, title, returned in (("d", CASES["d"], rows_d), ("e", CASES["e"], rows_e)):
        o, s = lat[case]["openstats"], lat[case]["datasette"]
        ratio = s["median_ms"] / o["median_ms"]
        met = o["median_ms"] <= GOAL_MS[case] and ratio >= GOAL_RATIO[case]
        goal = (f"≤ {GOAL_MS[case]:g} ms, ≥ {GOAL_RATIO[case]:g}x: "
                + ("met" if met else "**not met**"))
        distinct = ("the same request each time" if o["distinct"] == 1 else
                    "every timed request different" if o["distinct"] == samples else
                    f"{o['distinct']} different requests")
        note = (f"first request ({first_note}): openstats {ms(o['first_ms'])} ms, Datasette "
                f"{ms(s['first_ms'])} ms; {distinct}")
        lines.append(f"| {title} | {returned} | {ms(o['median_ms'])} | {ms(o['p95_ms'])} | "
                     f"{ms(s['median_ms'])} | {ms(s['p95_ms'])} | {ratio:,.1f}x | {goal} | "
                     f"{note} |")
        verdicts.append(f"({case}) median at most {GOAL_MS[case]:g} ms and at least "
                        f"{GOAL_RATIO[case]:g}x Datasette's speed: "
                        + ("**met**" if met else "**not met**")
                        + f" ({ms(o['median_ms'])} ms; Datasette {ms(s['median_ms'])} ms: "
                        + (f"openstats {ratio:,.1f}x as fast)" if ratio >= 1 else
                           f"openstats at {ratio:,.1f}x Datasette's speed)"))
    lines += ["", "Goals: " + "; ".join(verdicts) + "."]
    lines += ["", "Checks: " + ("(d) both pages state "
                                f"{rows:,} rows" if d["openstats"]["total"] == rows
                                and d["datasette"]["total"] == rows else
                                f"**(d) row counts differ: openstats {d['openstats']['total']}, "
                                f"Datasette {d['datasette']['total']}, data {rows:,}**")]
    agree = [t for t in tables if table_ok(t)]
    lines[-1] += (f"; (e) on the first {len(tables)} tables, openstats' table has the planned "
                  "cells and its cells with data are Datasette's rows times the indicators "
                  f"({len(agree)} of {len(tables)} agree"
                  + ("" if len(agree) == len(tables) else
                     ": **" + ", ".join(json.dumps(t) for t in tables if not table_ok(t))
                     + "**") + ").")
    lines += ["", "Example requests (the first of each case):", "", "```"]
    for case in CASES:
        for name, path in measured["examples"][case].items():
            lines.append(f"({case}) {name:<9} {path}")
    lines.append("```")
    return Outcome("\n".join(lines), checks_ok)
