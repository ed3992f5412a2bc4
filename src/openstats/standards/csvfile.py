"""Reading CSV files the careful way: bytes first (checksum, BOM, line endings), then text.

Large data files are never read whole: one streamed pass over the bytes gives the
SHA-256, the byte-order mark, the line-ending mix and blank lines; DuckDB then parses
the cells. Meta files are small and parsed here with Python's csv module.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

CHUNK = 8 * 1024 * 1024
BOM = codecs.BOM_UTF8
MAX_BLANK_LINES_LISTED = 100


@dataclass
class ByteScan:
    """What one pass over a file's bytes tells us."""

    sha256: str
    size: int
    has_bom: bool
    crlf_lines: int
    lf_lines: int
    blank_lines: list[int] = field(default_factory=list)  # 1-based line numbers
    blank_line_count: int = 0


def scan_bytes(path: Path) -> ByteScan:
    """Checksum the file and count its line endings and blank lines, in bounded memory."""
    digest = hashlib.sha256()
    size = crlf = lf = 0
    blank: list[int] = []
    blank_count = 0
    lines_before = 0  # newlines seen in earlier chunks
    previous_tail = b""  # the last two bytes of the previous chunk
    has_bom = False
    last_chunk = b""
    with path.open("rb") as f:
        first = True
        while chunk := f.read(CHUNK):
            if first:
                has_bom = chunk.startswith(BOM)
                first = False
            digest.update(chunk)
            size += len(chunk)
            newlines = chunk.count(b"\n")
            pairs = chunk.count(b"\r\n") + (1 if previous_tail.endswith(b"\r") and
                                             chunk.startswith(b"\n") else 0)
            crlf += pairs
            lf += newlines - pairs
            # A blank line is a newline directly after another newline (or at the start).
            joined = previous_tail + chunk
            offset = len(previous_tail)
            for marker in (b"\n\n", b"\n\r\n"):
                start = 0
                while (at := joined.find(marker, start)) != -1:
                    start = at + 1
                    if at + len(marker) <= offset:
                        continue  # counted with the previous chunk
                    blank_count += 1
                    if len(blank) < MAX_BLANK_LINES_LISTED:
                        line = lines_before + joined.count(b"\n", offset, at + 1) + 1
                        blank.append(line)
            lines_before += newlines
            previous_tail = chunk[-2:]
            last_chunk = chunk
    # Blank lines at the very end are what editors leave behind: not worth a finding.
    if size:
        ending = len(last_chunk) - len(last_chunk.rstrip(b"\r\n"))
        trailing = last_chunk[len(last_chunk) - ending:].count(b"\n") - 1
        if trailing > 0:
            first_trailing = lines_before - trailing + 1
            blank_count -= sum(1 for line in blank if line >= first_trailing)
            blank = [line for line in blank if line < first_trailing]
    return ByteScan(digest.hexdigest(), size, has_bom, crlf, lf, sorted(blank), blank_count)


class CsvProblem(Exception):
    """A file cannot be parsed as CSV; `line` is 1-based."""

    def __init__(self, rule: str, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message
        self.line = line


def read_header(path: Path) -> list[str]:
    """The header row of a CSV file, decoded as UTF-8 (a BOM is dropped)."""
    with path.open("rb") as raw:
        head = raw.read(1024 * 1024)
    if not head.strip():
        raise CsvProblem("file.empty", "The file is empty.")
    # Cut at the last newline so a multi-byte character is never split.
    cut = head.rfind(b"\n")
    if cut != -1:
        head = head[: cut + 1]
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = head[: e.start].count(b"\n") + 1
        raise CsvProblem(
            "file.encoding", f"The file is not UTF-8: byte {head[e.start]:#04x} on line "
            f"{line} cannot be read.", line) from None
    try:
        row = next(csv.reader(text.splitlines(keepends=True), strict=True))
    except (csv.Error, StopIteration) as e:
        raise CsvProblem("file.unclosed_quote", f"The header row cannot be read: {e}.", 1) from None
    return row


def read_meta(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Parse a (small) meta CSV: its header and (row number, cells by column) per row.

    Raises CsvProblem for the first thing that stops it being read at all.
    """
    data = path.read_bytes()
    if not data.strip():
        raise CsvProblem("file.empty", "The file is empty.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise CsvProblem(
            "file.encoding", f"The file is not UTF-8: byte {data[e.start]:#04x} on line "
            f"{line} cannot be read.", line) from None
    reader = csv.reader(text.splitlines(keepends=True), strict=True)
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        header = [h.strip() for h in next(reader)]
        for cells in reader:
            line = reader.line_num
            if len(cells) != len(header) and not (cells == [] or cells == [""]):
                raise CsvProblem(
                    "file.ragged_row",
                    f"Line {line} has {len(cells)} cells but the header has {len(header)}.",
                    line,
                )
            rows.append((line, dict(zip(header, cells, strict=False))))
    except csv.Error as e:
        raise CsvProblem("file.unclosed_quote", f"Line {reader.line_num}: {e}.",
                         reader.line_num) from None
    return header, rows
