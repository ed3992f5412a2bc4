"""Downloads never carry a live spreadsheet formula, and numbers stay numbers.

The hostile release's filter options and indicator label are formulas (`=HYPERLINK(...)`,
`@SUM(...)*cmd|...`), and its `rate` indicator is negative everywhere (-0.5, -1.5, ...).
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from odf import opendocument
from odf.namespaces import OFFICENS, TABLENS
from odf.table import TableCell
from openpyxl import load_workbook

from openstats.catalogue import accounts, audit
from openstats.catalogue.db import Catalogue
from openstats.platform import open_platform
from openstats.settings import Settings
from openstats.standards import formulas
from tests.api.conftest import LiveServer
from tests.security.hostile import DATA_SET_ID, DDE, FORMULA
from tests.security.test_xss import table_path


@pytest.mark.parametrize(("text", "safe"), [
    ("=1+1", "'=1+1"), ("+1+cmd", "'+1+cmd"), ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("＝1+1", "'＝1+1"),
    ("-", "'-"), ("-5 pupils", "'-5 pupils"),
    # numbers, as we write them, stay as they are
    ("-5", "-5"), ("+3", "+3"), ("-1,234.5", "-1,234.5"), ("-12%", "-12%"), ("-0.5", "-0.5"),
    ("-1e-5", "-1e-5"), ("1,234", "1,234"), ("England", "England"), ("", ""),
    ("x = =1", "x = =1"),
])
def test_neutralise(text: str, safe: str) -> None:
    assert formulas.neutralise(text) == safe


def download(site: LiveServer, kind: str) -> bytes:
    path = table_path(site).replace("/data-tables/table?", f"/data-tables/table.{kind}?")
    answer = httpx.get(site.base + path, timeout=60)
    assert answer.status_code == 200, answer.text[:300]
    return answer.content


def test_csv_table_download(hostile: LiveServer) -> None:
    rows = list(csv.reader(io.StringIO(download(hostile, "csv").decode("utf-8-sig"))))
    cells = [c for row in rows for c in row]
    assert "'" + FORMULA in cells and "'" + DDE in cells  # filter options, neutralised
    assert not [c for c in cells if formulas.risky(c)]
    # Values are as published: negative numbers stay plain numbers.
    assert "-0.5" in cells and "-4.5" in cells
    assert not [c for c in cells if c.startswith("'-") and c[2:3].isdigit()]


def test_xlsx_table_download(hostile: LiveServer) -> None:
    sheet = load_workbook(io.BytesIO(download(hostile, "xlsx"))).active
    cells = [c for row in sheet.iter_rows() for c in row if c.value is not None]
    assert cells
    # openpyxl reads a stored formula back with data_type "f": none here; text and numbers.
    assert {c.data_type for c in cells} == {"s", "n"}
    risky = [c for c in cells if c.data_type == "s" and formulas.risky(str(c.value))]
    assert FORMULA in {c.value for c in risky}  # the indicator's label, as text
    assert all(c.quotePrefix for c in risky)
    negative = [c for c in cells if c.data_type == "n" and c.value == -0.5]
    assert negative and negative[0].number_format == '#,##0.0"%"'  # shown as -0.5%


def test_ods_table_download(hostile: LiveServer) -> None:
    data = download(hostile, "ods")
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        content = z.read("content.xml").decode()
    assert "table:formula" not in content
    doc = opendocument.load(io.BytesIO(data))
    cells = doc.getElementsByType(TableCell)
    # Text cells are typed text, which no spreadsheet evaluates; numbers are numbers.
    assert cells and {c.attributes.get((OFFICENS, "value-type")) for c in cells} == {
        "string", "float"}
    assert not [c for c in cells if c.attributes.get((TABLENS, "formula"))]
    assert FORMULA.replace('"', "&quot;") in content or FORMULA in content
    assert 'office:value="-0.5"' in content


def test_uploaded_files_are_served_byte_for_byte(hostile: LiveServer) -> None:
    """The publisher's own file is never rewritten, formulas and all (its SHA-256 holds)."""
    answer = httpx.get(f"{hostile.api}/v1/data-sets/{DATA_SET_ID}/csv", timeout=60)
    original = next(hostile.data_dir.parent.glob("files/hostile.csv")).read_bytes()
    assert hashlib.sha256(answer.content).hexdigest() == hashlib.sha256(original).hexdigest()
    assert FORMULA.replace('"', '""') in answer.text


def test_audit_csv_neutralises_typed_text(catalogue: Catalogue) -> None:
    accounts.create_user(catalogue, "=cmd@example.org", "a long enough password", "admin")
    with catalogue.transaction() as conn:
        audit.record(conn, None, "upload", "release", "-1+1", FORMULA)
        audit.record(conn, None, "upload", "release", "r1", "-5")
    with catalogue.connect() as conn:
        rows = list(csv.reader(io.StringIO(audit.as_csv(conn))))
    cells = [c for row in rows[1:] for c in row]
    assert "'" + FORMULA in cells and "'-1+1" in cells and "-5" in cells
    assert not [c for c in cells if formulas.risky(c)]


@pytest.fixture
def catalogue(tmp_path: Path) -> Iterator[Catalogue]:
    platform = open_platform(Settings(data_dir=tmp_path / "data", database_url=""))
    yield platform.catalogue
    platform.close()


def test_query_files_neutralise_csv_but_keep_parquet_as_published(hostile: LiveServer) -> None:
    """The label arrays are kept per version (exports/flat_table.py): the CSV's neutralised
    ones and Parquet's as-published ones are kept apart, whichever is asked first."""
    import pyarrow.parquet as pq

    url = f"{hostile.api}/v1/data-sets/{DATA_SET_ID}/query"
    # Another sort each round: a new answer (answers are cached per query and format).
    for sort, order in (("timePeriod|Asc", ("csv", "parquet")),
                        ("timePeriod|Desc", ("parquet", "csv"))):
        for fmt in order:
            answer = httpx.get(url, params={"format": fmt, "sorts": sort}, timeout=60)
            assert answer.status_code == 200, answer.text[:300]
            if fmt == "csv":
                rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
                cells = [c for row in rows for c in row]
                assert "'" + FORMULA in cells and FORMULA not in cells
            else:
                table = pq.read_table(io.BytesIO(answer.content))
                cells = [c for column in table.columns for c in column.to_pylist()]
                assert FORMULA in cells and "'" + FORMULA not in cells
