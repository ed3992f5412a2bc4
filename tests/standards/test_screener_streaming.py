"""A large generated file screened with little memory: DuckDB must spill, not fail.

No timings are asserted; the point is that a file far larger than the work memory is
screened completely, with exact row counts and row numbers at its far end.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from openstats.standards.screening.screen import screen

from .pairs import META_HEADER, to_csv

OPTIONS_A = ["Total", *(f"Area {i:03d}" for i in range(1, 600))]  # 600 options
OPTIONS_B = ["Total", *(f"Group {i:03d}" for i in range(1, 500))]  # 500 options
ROWS = len(OPTIONS_A) * len(OPTIONS_B)  # 300,000
BAD_PERIOD_ROW = ROWS - 8  # a spreadsheet row number near the end
BLANK_LINE = 150_000  # a blank line here moves every later row one down


def lines() -> Iterator[bytes]:
    yield (b"time_period,time_identifier,geographic_level,country_code,country_name,"
           b"area,pupil_group,headcount,rate\n")
    row = 1
    for a in OPTIONS_A:
        for i, b in enumerate(OPTIONS_B):
            row += 1
            if row == BLANK_LINE:
                yield b"\n"
                row += 1
            period = "2019/20" if row == BAD_PERIOD_ROW else "201920"
            yield (f"{period},Academic year,National,E92000001,England,{a},{b},{i * 7},"
                   f"{i % 100}.5\n").encode()
    # One repeat of the first data row, with a different value.
    yield b"201920,Academic year,National,E92000001,England,Total,Total,1,1\n"


def test_large_file_with_small_memory(tmp_path: Path, reference_dir: Path) -> None:
    data, meta = tmp_path / "big.csv", tmp_path / "big.meta.csv"
    with data.open("wb") as f:
        f.writelines(lines())
    meta.write_bytes(to_csv(META_HEADER, [
        ["area", "Filter", "Area", "", "", "", "", ""],
        ["pupil_group", "Filter", "Pupil group", "", "", "", "", ""],
        ["headcount", "Indicator", "Headcount", "", "", "0", "", ""],
        ["rate", "Indicator", "Rate", "", "%", "1", "", ""],
    ]))
    last_row = ROWS + 3  # header, the blank line, and the repeat
    with screen(data, meta, reference_dir=reference_dir, memory_limit="100MB",
                threads=1, workdir=tmp_path) as screening:
        report = screening.report
        assert report.row_count == ROWS + 1
        where = {f.rule: (f.row, f.column) for f in report.findings}
        assert where == {
            "file.blank_row": (BLANK_LINE, None),
            "data.time.period_malformed": (BAD_PERIOD_ROW, "time_period"),
            "data.rows.duplicate": (last_row, None),
        }
        assert all(n == 1 for n in report.counts.values())
        # The table stays open for an import to reuse, with every row in it.
        assert screening.con is not None
        assert screening.con.execute("SELECT count(*) FROM data").fetchone() == (ROWS + 1,)
        assert screening.row_number(ROWS) == last_row
    # Closing the screening removes its working folder (database and spill files).
    assert not list(tmp_path.glob("*screen-*"))
