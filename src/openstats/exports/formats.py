"""The open formats a query can answer in (an openstats extension): which, and how asked.

`format=` on the query (GET or POST) names one; without it the `Accept` header may ask
for one by its media type; otherwise the answer is EES's JSON. JSON-stat has no
registered media type, so it is asked for by `format=json-stat` (or `Accept:
application/json+stat`, which some JSON-stat clients send). Every format is written from
the same answer (`query.observations`), with paging off: a file holds every matching row.
The flat formats (SDMX-CSV, Parquet, CSV) can be written a batch of rows at a time; a
JSON-stat cube is one whole document.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from openstats.exports import flat_table, jsonstat, sdmx_csv
from openstats.query.observations import Observations


@dataclass(frozen=True)
class Format:
    name: str  # the `format=` value
    media_type: str  # what the answer is sent as
    extension: str  # of the file name a download gets
    accept: tuple[str, ...]  # media types in Accept that choose it


JSON = Format("json", "application/json", "json", ("application/json",))
FORMATS: dict[str, Format] = {f.name: f for f in (
    JSON,
    Format("json-stat", "application/json", "json-stat.json", ("application/json+stat",)),
    Format("sdmx-csv", sdmx_csv.MEDIA_TYPE, "sdmx.csv",
           ("application/vnd.sdmx.data+csv", "application/vnd.sdmx.data+csv;version=2.0.0")),
    Format("parquet", "application/vnd.apache.parquet", "parquet",
           ("application/vnd.apache.parquet",)),
    Format("csv", "text/csv; charset=utf-8", "csv", ("text/csv",)),
)}
NAMES = tuple(FORMATS)


def from_accept(header: str) -> Format:
    """The format an Accept header prefers among ours; JSON when it names none of them."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        media, *params = [p.strip().lower() for p in part.split(";")]
        quality = 1.0
        rest = []
        for p in params:
            key, _, value = p.partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
            else:
                rest.append(p.replace(" ", ""))
        if quality > 0:
            ranked.append((-quality, position, ";".join([media, *rest])))
    for _, _, media in sorted(ranked):
        for f in FORMATS.values():
            if media in f.accept or media.split(";")[0] in f.accept:
                return f
        if media in ("*/*", "application/*"):
            return JSON
    return JSON


def render(f: Format, obs: Observations, *, data_set_id: str, version: str, label: str,
           href: str = "") -> bytes:
    """The whole answer's bytes in format `f` (not JSON: that is the engine's own answer).
    JSON-stat may raise jsonstat.TooBig."""
    if f.name == "json-stat":
        return jsonstat.to_bytes(jsonstat.dataset(obs, label=label, href=href))
    return b"".join(stream(f, [obs], data_set_id=data_set_id, version=version))


def stream(f: Format, parts: Iterable[Observations], *, data_set_id: str, version: str
           ) -> Iterator[bytes]:
    """A flat format's bytes, a batch of rows at a time (any size, bounded memory)."""
    if f.name == "sdmx-csv":
        return sdmx_csv.chunks(parts, data_set_id, version)
    if f.name == "parquet":
        return flat_table.parquet_chunks(parts)
    if f.name == "csv":
        return flat_table.csv_chunks(parts)
    raise ValueError(f"not a flat file format: {f.name}")
