"""Properties of the careful CSV reader (standards/csvfile.py).

- A table written by Python's csv module (cells with quotes, commas, line breaks, any
  Unicode, an optional BOM, LF or CRLF line endings) reads back identical, header and rows.
- The byte scan's checksum, size and line-ending counts are those of the bytes, and do
  not depend on where chunk boundaries fall; so are the blank lines it finds.
- Turning CRLF into LF in chunks gives what one replace over the whole file gives.
"""

from __future__ import annotations

import csv
import hashlib
import io
import tempfile
from pathlib import Path

from hypothesis import example, given
from hypothesis import strategies as st

from openstats.standards import csvfile

# Cells that stress a CSV reader: separators, quotes, every kind of line break (also
# Unicode's own: U+2028, U+0085, form feed...), and text from all over Unicode.
CELL = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"),
               max_size=12) | st.sampled_from([
                   "", ",", '"', '""', "a,b", 'say "hi"', "line\nbreak", "cr\rlf\r\n",
                   "\u2028", "x\x85y", "\x0c", "\x1c\x1d\x1e", " padded ", "£5", "🙂"])
NAME = st.text(st.characters(exclude_categories=("Cs", "Zs", "Cc", "Zl", "Zp")),
               min_size=1, max_size=10)


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[str], list[list[str]]]:
    header = draw(st.lists(NAME, min_size=1, max_size=5, unique=True))
    rows = draw(st.lists(st.lists(CELL, min_size=len(header), max_size=len(header)),
                         max_size=6))
    # A row of one empty cell is how csv writes a blank line's worth: not a data row.
    rows = [r for r in rows if r != [""]]
    return header, rows


def write(header: list[str], rows: list[list[str]], newline: str, bom: bool) -> bytes:
    buffer = io.StringIO()
    # Python's writer quotes a cell with a CR only when CR is in its line terminator: with
    # LF line ends it writes `a\r` bare, which every CSV reader (RFC 4180) reads as a line
    # end. Such tables are written with every cell quoted, as a careful program would.
    bare_cr = newline == "\n" and any("\r" in c for c in [*header, *sum(rows, [])])
    writer = csv.writer(buffer, lineterminator=newline,
                        quoting=csv.QUOTE_ALL if bare_cr else csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows(rows)
    return (csvfile.BOM if bom else b"") + buffer.getvalue().encode("utf-8")


def saved(data: bytes) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="openstats-prop-"))
    path = folder / "file.csv"
    path.write_bytes(data)
    return path


@given(tables(), st.sampled_from(["\n", "\r\n"]), st.booleans())
@example((["a"], [["\u2028"]]), "\n", False)
@example((["a", "b"], [["x\x0cy", "\x85"]]), "\r\n", True)
def test_written_tables_read_back_identical(table: tuple[list[str], list[list[str]]],
                                            newline: str, bom: bool) -> None:
    header, rows = table
    path = saved(write(header, rows, newline, bom))
    read = csvfile.read_meta_rows(path)
    assert read.problems == []
    assert read.header == header
    assert [[cells[h] for h in header] for _, cells in read.rows] == rows
    assert csvfile.read_header(path) == header


@given(st.binary(max_size=300) | st.lists(st.sampled_from(
    [b"a", b",", b"\r", b"\n", b"\r\n", b"\n\n", b'"', b"\xef\xbb\xbf"]),
    max_size=60).map(b"".join), st.integers(1, 7))
def test_byte_scan_does_not_depend_on_chunks(data: bytes, chunk: int) -> None:
    path = saved(data)
    whole = csvfile.scan_bytes(path)
    assert whole.sha256 == hashlib.sha256(data).hexdigest()
    assert whole.size == len(data)
    assert whole.has_bom == data.startswith(csvfile.BOM)
    assert whole.crlf_lines == data.count(b"\r\n")
    assert whole.lf_lines == data.count(b"\n") - data.count(b"\r\n")
    assert whole.carriage_returns == data.count(b"\r")
    small = csvfile.scan_bytes(path, chunk_size=chunk)
    assert small == whole
    assert csvfile.find_blank_lines(path, chunk_size=chunk) == (whole.blank_lines,
                                                                whole.blank_line_count)


@given(st.lists(st.sampled_from([b"ab", b"\r", b"\n", b"\r\n", b"x\r\r\n", b""]),
                max_size=40).map(b"".join), st.integers(1, 5))
def test_line_endings_normalise_across_chunks(data: bytes, chunk: int) -> None:
    source = saved(data)
    target = source.with_name("normalised.csv")
    csvfile.normalise_line_endings(source, target, chunk_size=chunk)
    assert target.read_bytes() == data.replace(b"\r\n", b"\n")
