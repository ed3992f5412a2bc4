"""A corpus of bad files, made on the fly: what publishers (and attackers) really upload.

Each case starts from the clean base pair (`pairs.py`) and breaks it one way: wrong text
encodings, broken CSV, absurd sizes, formulas and markup in cells, archives passed off as
CSV. `expect` says what the screener must answer: the rule, the file and, where there is
one, the row and column a publisher would look at. Nothing here is committed as a file:
the reliability tests write the corpus into a temporary folder.

The big cases are big on purpose (a 10 MB cell, 10,000 columns, an 80 MB meta file): the
tests run them in a real `openstats` process under resource limits to show that each
ends, in bounded time and memory, with a clear answer.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from .pairs import HEADER, LAST_ROW, META_ROW, Pair, base, to_csv

MB = 1024 * 1024


@dataclass(frozen=True)
class Expect:
    """A finding the screener must report: rule, file, and row/column when they apply."""

    rule: str
    file: Literal["data", "meta"]
    row: int | None = None
    column: str | None = None
    text: str = ""  # a phrase the message must contain (what is wrong, in words)


@dataclass(frozen=True)
class BadFile:
    id: str
    what: str  # one line for the reliability table
    build: Callable[[], Pair]
    expect: tuple[Expect, ...]
    passes: bool = False  # only warnings: the pair may still be imported

    def __str__(self) -> str:
        return self.id


def _data(text: bytes) -> Pair:
    pair = base()
    pair.data_bytes = text
    return pair


def _meta(text: bytes) -> Pair:
    pair = base()
    pair.meta_bytes = text
    return pair


def _lines(pair: Pair) -> list[bytes]:
    return pair.data_text().split(b"\n")[:-1]


def latin1_data() -> Pair:
    # "Écoles" saved by a spreadsheet in Windows-1252 / latin-1: one byte per letter.
    return _data(base().replace("school_type", "Primary", "Écoles primaires")
                 .data_text().decode().encode("latin-1"))


def latin1_meta() -> Pair:
    return _meta(base().meta("sex", "label", "Sexe (élève)").meta_text().decode()
                 .encode("latin-1"))


def utf16_data() -> Pair:
    # Excel's "Unicode text" and some database exports: UTF-16 with its byte-order mark.
    return _data(base().data_text().decode().encode("utf-16"))


def utf16_meta() -> Pair:
    return _meta(base().meta_text().decode().encode("utf-16"))


def bom() -> Pair:
    pair = base()
    pair.data_bytes = b"\xef\xbb\xbf" + pair.data_text()
    pair.meta_bytes = b"\xef\xbb\xbf" + pair.meta_text()
    return pair


def crlf() -> Pair:
    pair = base()
    pair.eol = "\r\n"
    return pair


def ragged_rows() -> Pair:
    lines = _lines(base())
    lines[3] += b",extra"  # row 4: a cell too many
    lines[6] = lines[6].rsplit(b",", 1)[0]  # row 7: a cell short
    return _data(b"\n".join(lines) + b"\n")


def unclosed_quote() -> Pair:
    lines = _lines(base())
    lines[4] = lines[4].replace(b",Primary,", b',"Primary,')  # row 5 opens a quote
    return _data(b"\n".join(lines) + b"\n")


def unclosed_quote_meta() -> Pair:
    text = base().meta_text().replace(b"Filter by sex", b'"Filter by sex')
    return _meta(text)


def field_10mb_data() -> Pair:
    return base().cell(3, "school_type", "A" * (10 * MB))


def field_10mb_meta() -> Pair:
    return base().meta("sex", "filter_hint", "B" * (10 * MB))


def long_cells_many_rows() -> Pair:
    # Under every hard limit, but each finding used to quote the whole cell (twice).
    pair = base()
    for row in range(2, LAST_ROW + 1):
        pair.cell(row, "sex", f"Group {row} " + "C" * MB)
    return pair


def field_200kb_meta() -> Pair:
    # Over the csv module's cell limit, under the meta file's size limit.
    return base().meta("sex", "filter_hint", "B" * (200 * 1024))


def columns_10000() -> Pair:
    return base().add_column_block(10_000 - len(HEADER))


def header_only_data() -> Pair:
    return _data(to_csv(HEADER, []))


def duplicate_headers() -> Pair:
    pair = base()
    pair.header[7] = "sex"  # enrolments renamed: now two columns called sex
    return pair


def formula_cells() -> Pair:
    # The classic CSV-injection payloads: harmless here, dangerous in a spreadsheet.
    return (base().replace("school_type", "Primary", "=cmd|' /C calc'!A0")
            .replace("sex", "Girls", "@SUM(1+1)*cmd|' /C calc'!A0")
            .meta("enrolments", "label", "=HYPERLINK(\"http://example.org\",\"Pupils\")"))


def markup_cells() -> Pair:
    return (base().replace("school_type", "Secondary", "<script>alert('x')</script>")
            .meta("sex", "label", "Sex <img src=x onerror=alert(1)>"))


def zip_renamed_csv() -> Pair:
    return _data(_zip_bomb())


def _zip_bomb() -> bytes:
    """A ZIP whose one member unpacks to 200 MB of zeros from a few hundred kB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        with z.open("pupils.csv", "w", force_zip64=True) as member:
            block = b"\0" * MB
            for _ in range(200):
                member.write(block)
    return buffer.getvalue()


def xlsx_as_meta() -> Pair:
    # An Excel workbook is a ZIP too: the commonest "not a CSV" upload.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
    return _meta(buffer.getvalue())


def data_as_meta() -> Pair:
    # The data file chosen twice: an 80 MB "meta" file (which must not be read whole).
    row = b"201819,Academic year,National,E92000001,England,Total,Total,1000,95.1\n"
    return _meta(to_csv(HEADER, []) + row * (80 * MB // len(row)))


def truncated_mid_row() -> Pair:
    text = base().data_text()
    return _data(text[: text.rindex(b"\n", 0, len(text) - 1) + 30])  # last row cut short


def truncated_mid_quote() -> Pair:
    lines = _lines(base())
    last = lines[-1].replace(b",Secondary,", b',"Secondary schools, ')
    lines[-1] = last[: last.index(b"schools,") + 8]  # the upload stopped inside the quote
    return _data(b"\n".join(lines))


def binary_noise() -> Pair:
    # Bytes that are no text at all (a crashed export, a picture): seeded, so repeatable.
    state = 12345
    out = bytearray()
    for _ in range(64 * 1024):
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF
        out.append(state >> 16 & 0xFF)
    return _data(bytes(out))


def reserved_windows_name() -> Pair:
    pair = base()
    pair.data_name, pair.meta_name = "CON.csv", "CON.meta.csv"
    return pair


D, M = "data", "meta"
CORPUS: list[BadFile] = [
    BadFile("latin1-data", "Data file saved as latin-1 (Windows-1252), 'É' on row 5",
            latin1_data, (Expect("file.encoding", D, 5, "school_type", "not UTF-8"),)),
    BadFile("latin1-meta", "Meta file saved as latin-1, 'é' in a label",
            latin1_meta, (Expect("file.encoding", M, META_ROW["sex"], None, "not UTF-8"),)),
    BadFile("utf16-data", "Data file in UTF-16 (with its byte-order mark)",
            utf16_data, (Expect("file.encoding", D, 1, None, "UTF-16"),)),
    BadFile("utf16-meta", "Meta file in UTF-16", utf16_meta,
            (Expect("file.encoding", M, 1, None, "UTF-16"),)),
    BadFile("bom", "Both files start with a UTF-8 byte-order mark", bom,
            (Expect("file.bom", D, 1), Expect("file.bom", M, 1)), passes=True),
    BadFile("crlf", "Windows line endings (CRLF) throughout", crlf, (), passes=True),
    BadFile("ragged-rows", "A row with a cell too many (row 4) and one a cell short (row 7)",
            ragged_rows, (Expect("file.ragged_row", D, 4, None, "Line 4 has 10 cells"),
                          Expect("file.ragged_row", D, 7, "attendance_rate",
                                 "Line 7 has 8 cells"))),
    BadFile("unclosed-quote", "A quote opened on row 5 and never closed", unclosed_quote,
            (Expect("file.unclosed_quote", D, 5, "school_type", "never closed"),)),
    BadFile("unclosed-quote-meta", "A quote opened in the meta file and never closed",
            unclosed_quote_meta,
            (Expect("file.unclosed_quote", M, META_ROW["sex"], None, "Line"),)),
    BadFile("field-10mb-data", "A 10 MB cell on row 3 of the data file", field_10mb_data,
            (Expect("file.line_too_long", D, 3, None, "longer than 10,000,000 bytes"),)),
    BadFile("long-cells-many-rows", "A 1 MB filter value on every row (10 rows)",
            long_cells_many_rows,
            (Expect("data.filter.value_too_long", D, 2, "sex", "longer than 120"),),
            passes=True),
    BadFile("field-200kb-meta", "A 200 kB filter_hint in the meta file", field_200kb_meta,
            (Expect("file.line_too_long", M, META_ROW["sex"], None, "cell longer than"),)),
    BadFile("field-10mb-meta", "A 10 MB filter_hint (so a 10 MB meta file)", field_10mb_meta,
            (Expect("file.too_large", M, None, None, "10.0 MB"),)),
    BadFile("columns-10000", "10,000 columns", columns_10000,
            (Expect("file.too_many_columns", D, 1, None, "10,000 columns"),)),
    BadFile("empty-data", "An empty data file (0 bytes)", lambda: _data(b""),
            (Expect("file.empty", D, None, None, "empty"),)),
    BadFile("empty-meta", "An empty meta file (0 bytes)", lambda: _meta(b""),
            (Expect("file.empty", M, None, None, "empty"),)),
    BadFile("header-only", "A data file with its header row and nothing else",
            header_only_data, (Expect("file.empty", D, None, None, "no rows"),)),
    BadFile("duplicate-headers", "Two columns called 'sex'", duplicate_headers,
            (Expect("file.header.duplicate", D, 1, "sex", "more than once"),)),
    BadFile("formula-cells", "Cells and a label starting with '=' or '@' (=cmd|' /C calc'!A0)",
            formula_cells, (Expect("data.formula", D, 5, "school_type", "formula"),
                            Expect("data.formula", M, META_ROW["enrolments"], "label",
                                   "formula")), passes=True),
    BadFile("markup-cells", "<script> in a filter value and <img onerror> in a label",
            markup_cells, (Expect("data.markup", D, 6, "school_type", "HTML"),
                           Expect("data.markup", M, META_ROW["sex"], "label", "HTML")),
            passes=True),
    BadFile("zip-bomb-as-csv", "A ZIP bomb (200 MB of zeros in 200 kB) renamed .csv",
            zip_renamed_csv, (Expect("file.unreadable", D, 1, None, "ZIP archive"),)),
    BadFile("xlsx-as-meta", "An Excel workbook given as the meta file", xlsx_as_meta,
            (Expect("file.unreadable", M, 1, None, "ZIP archive"),)),
    BadFile("data-as-meta", "The 80 MB data file given as the meta file too", data_as_meta,
            (Expect("file.too_large", M, None, None, "80.0 MB"),)),
    BadFile("truncated-mid-row", "The upload stopped half-way through the last row",
            truncated_mid_row, (Expect("file.ragged_row", D, LAST_ROW, "country_code",
                                       f"Line {LAST_ROW} has 3 cells"),)),
    BadFile("truncated-mid-quote", "The upload stopped inside a quoted cell of the last row",
            truncated_mid_quote, (Expect("file.unclosed_quote", D, LAST_ROW, "school_type",
                                         "never closed"),)),
    BadFile("binary-noise", "64 kB of random bytes as the data file", binary_noise,
            (Expect("file.encoding", D, 1, None, "not UTF-8"),)),
    BadFile("windows-device-name", "Files called CON.csv and CON.meta.csv",
            reserved_windows_name, (Expect("file.name.reserved", D, None, None, "CON"),),
            passes=True),
]
