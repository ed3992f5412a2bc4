"""Turn API query rows back into labelled tuples, and read the same tuples from a CSV."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from openstats.standards import geography, time_periods


class Decoder:
    """Maps a data set's public ids (from its /meta answer) back to labels."""

    def __init__(self, meta: dict[str, Any]) -> None:
        self.filters = {f["id"]: f for f in meta["filters"]}
        self.options = {o["id"]: o["label"] for f in meta["filters"] for o in f["options"]}
        self.indicators = {i["id"]: i["column"] for i in meta["indicators"]}
        self.locations = {o["id"]: o for g in meta["locations"] for o in g["options"]}
        self.filter_columns = sorted(f["column"] for f in meta["filters"])
        self.indicator_columns = sorted(i["column"] for i in meta["indicators"])

    def row(self, r: dict[str, Any]) -> tuple:
        own = self.locations[r["locations"][r["geographicLevel"]]]
        code = own.get("code", own.get("urn", own.get("ukprn", "")))
        by_column = {self.filters[f]["column"]: self.options[o] for f, o in r["filters"].items()}
        values = {self.indicators[i]: v for i, v in r["values"].items()}
        period = time_periods.csv_period(r["timePeriod"]["period"], r["timePeriod"]["code"])
        return (period, r["timePeriod"]["code"], r["geographicLevel"], code, own["label"],
                *(by_column[c] for c in self.filter_columns),
                *(values.get(c, "") for c in self.indicator_columns))


def csv_rows(data: Path) -> list[dict[str, str]]:
    con = duckdb.connect()
    rel = con.execute("SELECT * FROM read_csv(?, all_varchar = true)", [str(data)])
    names = [d[0] for d in rel.description]
    return [{k: (v or "").strip() for k, v in zip(names, row, strict=True)}
            for row in rel.fetchall()]


def expected(data: Path, decoder: Decoder,
             keep: Callable[[dict[str, str]], bool] = lambda r: True) -> list[tuple]:
    out = []
    for r in csv_rows(data):
        if not keep(r):
            continue
        level = geography.BY_LABEL[r["geographic_level"].lower()]
        ident = time_periods.BY_LABEL[r["time_identifier"].lower()]
        code = r.get(level.code_columns[0], "") if level.code_columns else ""
        out.append((r["time_period"], ident.code, level.code, code, r[level.name_column],
                    *((r[c] or "Not specified") for c in decoder.filter_columns),
                    *(r[c] for c in decoder.indicator_columns)))
    return sorted(out)
