"""Reading CSV files the careful way: bytes first (checksum, BOM, line endings), then text.

Large data files are never read whole: one streamed pass over the bytes gives the
SHA-256, the byte-order mark, the line-ending mix and blank lines; DuckDB then parses
the cells. Meta files are small and parsed here with Python's csv module.

Line numbers from the byte scan count newlines, so they match the screener's row numbers
unless a quoted cell earlier in the file spans several lines (rare in statistics files).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

CHUNK = 8 * 1024 * 1024
BOM = codecs.BOM_UTF8
# Every blank line is kept (the screener needs them to number rows after them), up to
# this many; a file with more blank lines than this is not worth numbering exactly.
MAX_BLANK_LINES_LISTED = 1_000_000
# The header row is read on its own, up to this many bytes (ten thousand long column
# names fit): a first line longer than this is not a header.
MAX_HEADER_BYTES = 1024 * 1024
# A meta file has a row per filter or indicator, a few kB; it is read whole, so one far
# larger (the data file picked twice, a database dump) is refused before it is read.
MAX_META_BYTES = 4 * 1024 * 1024
# Python's csv module stops at cells longer than this (its default field limit).
MAX_META_CELL = csv.field_size_limit()


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
    # False when the scan was asked not to look for blank lines (see scan_bytes).
    blank_lines_scanned: bool = True
    carriage_returns: int = 0  # every CR byte, also those of CRLF pairs
    trailing_newlines: int = 0  # LF bytes in the run of CR/LF bytes that ends the file

    @property
    def mixed_line_endings(self) -> bool:
        return self.crlf_lines > 0 and self.lf_lines > 0

    @property
    def newlines(self) -> int:
        return self.crlf_lines + self.lf_lines

    @property
    def lone_carriage_returns(self) -> bool:
        """Some CR is not followed by LF: a line ending the newline count misses."""
        return self.carriage_returns > self.crlf_lines

    def lines_without_trailing_blanks(self) -> int:
        """Lines of the file, leaving out the blank lines at its very end (LF-counted)."""
        if self.size == 0:
            return 0
        if self.trailing_newlines == 0:
            return self.newlines + 1  # the last line has no line ending
        return self.newlines - (self.trailing_newlines - 1)


def scan_bytes(path: Path, chunk_size: int = CHUNK, *, blank_lines: bool = True) -> ByteScan:
    """Checksum the file and count its line endings and blank lines, in bounded memory.

    With `blank_lines=False` the search for blank lines (the slowest part) is skipped;
    `find_blank_lines` does it later if the counts say there may be some.
    """
    digest = hashlib.sha256()
    size = crlf = lf = carriage_returns = 0
    has_bom = False
    blank = _BlankLines()
    trailing_newlines = 0  # newlines in the run of CR/LF bytes that ends the file so far
    previous_tail = b""  # the last two bytes read before this chunk
    head = b""  # the first bytes, enough to see a BOM even when chunks are tiny
    with path.open("rb") as f:
        while chunk := f.read(chunk_size):
            if len(head) < len(BOM):
                head += chunk[: len(BOM)]
                has_bom = head.startswith(BOM)
            digest.update(chunk)
            size += len(chunk)
            newlines = chunk.count(b"\n")
            crs = chunk.count(b"\r") if b"\r" in chunk else 0
            carriage_returns += crs
            after_cr = previous_tail.endswith(b"\r")
            pairs = 0
            if crs:
                pairs = chunk.count(b"\r\n")
            if after_cr and chunk.startswith(b"\n"):
                pairs += 1
            crlf += pairs
            lf += newlines - pairs
            if blank_lines:
                blank.feed(previous_tail, chunk, newlines, has_cr=bool(crs) or after_cr)
            previous_tail = (previous_tail + chunk[-2:])[-2:]
            trailing_newlines = _trailing_newlines(chunk, newlines, trailing_newlines)
    found, count = blank.finish(size, trailing_newlines) if blank_lines else ([], 0)
    return ByteScan(digest.hexdigest(), size, has_bom, crlf, lf, found, count,
                    blank_lines_scanned=blank_lines, carriage_returns=carriage_returns,
                    trailing_newlines=trailing_newlines)


def find_blank_lines(path: Path, chunk_size: int = CHUNK) -> tuple[list[int], int]:
    """The blank lines of a file (1-based, at most MAX_BLANK_LINES_LISTED) and how many
    there are, leaving out those at the very end: the part of scan_bytes that
    `blank_lines=False` skips."""
    blank = _BlankLines()
    size = trailing_newlines = 0
    previous_tail = b""
    with path.open("rb") as f:
        while chunk := f.read(chunk_size):
            size += len(chunk)
            newlines = chunk.count(b"\n")
            blank.feed(previous_tail, chunk, newlines,
                       has_cr=b"\r" in chunk or previous_tail.endswith(b"\r"))
            previous_tail = (previous_tail + chunk[-2:])[-2:]
            trailing_newlines = _trailing_newlines(chunk, newlines, trailing_newlines)
    return blank.finish(size, trailing_newlines)


def _trailing_newlines(chunk: bytes, newlines: int, before: int) -> int:
    """Newlines in the run of CR/LF bytes that ends the file so far, after `chunk`.

    `newlines` is the chunk's LF count and `before` the run before it.
    """
    tail = chunk[-4096:]  # no copy of the whole chunk unless it is all line endings
    content = tail.rstrip(b"\r\n")
    if content:
        return tail.count(b"\n", len(content))
    content = chunk.rstrip(b"\r\n")
    if content:
        return chunk.count(b"\n", len(content))
    return before + newlines


class _BlankLines:
    """Blank lines found chunk by chunk: a newline directly after another newline."""

    def __init__(self) -> None:
        self.lines: list[int] = []
        self.count = 0
        self.lines_before = 0  # newlines seen in earlier chunks

    def feed(self, previous_tail: bytes, chunk: bytes, newlines: int, has_cr: bool) -> None:
        # A blank line is a newline directly after another newline (or at the start).
        joined = previous_tail + chunk
        offset = len(previous_tail)
        # "\n\r\n" needs a CR: skip that search (a full pass) when there is none.
        for marker in ((b"\n\n", b"\n\r\n") if has_cr else (b"\n\n",)):
            start = 0
            while (at := joined.find(marker, start)) != -1:
                start = at + 1
                if at + len(marker) <= offset:
                    continue  # counted with the previous chunk
                self.count += 1
                if len(self.lines) < MAX_BLANK_LINES_LISTED:
                    line = self.lines_before + joined.count(b"\n", offset, at + 1) + 1
                    self.lines.append(line)
        self.lines_before += newlines

    def finish(self, size: int, trailing_newlines: int) -> tuple[list[int], int]:
        blank, blank_count = self.lines, self.count
        # Blank lines at the very end are what editors leave behind: not worth a finding.
        if size:
            trailing = trailing_newlines - 1
            if trailing > 0:
                first_trailing = self.lines_before - trailing + 1
                blank_count -= sum(1 for line in blank if line >= first_trailing)
                blank = [line for line in blank if line < first_trailing]
        return sorted(blank), blank_count


class CsvProblem(Exception):
    """A file cannot be parsed as CSV; `line` is 1-based.

    `whole_file` says the problem is what the file is (an archive, UTF-16, far too big):
    then nothing else about its bytes (blank lines, line endings) is worth reporting.
    """

    def __init__(self, rule: str, message: str, line: int | None = None, *,
                 whole_file: bool = False) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message
        self.line = line
        self.whole_file = whole_file


def _header_end(head: bytes) -> int | None:
    """Where the header record ends: after the first line break (LF, CRLF or a lone CR)
    outside double quotes; None when `head` holds no such line break."""
    for match in re.finditer(rb"\r\n?|\n", head):
        if head.count(b'"', 0, match.start()) % 2 == 0:
            return match.end()
    return None


# The first bytes of files that are often uploaded by mistake, and what they are. ZIP
# covers Excel's .xlsx and OpenDocument spreadsheets, which are ZIP archives inside.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a ZIP archive (an Excel .xlsx workbook is one too)"),
    (b"PK\x05\x06", "an empty ZIP archive"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Excel (.xls) workbook"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG picture"),
    (b"\xff\xd8\xff", "a JPEG picture"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
)
_UTF16_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE,
               codecs.BOM_UTF16_BE)


def not_csv(head: bytes) -> CsvProblem | None:
    """A problem naming what the file is, when its first bytes say it is no CSV text at
    all: an archive, a workbook, a picture, or UTF-16/UTF-32 text.

    Said once, on line 1, instead of a finding for every undecodable line; and nothing
    is ever unpacked or decompressed.
    """
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return CsvProblem("file.unreadable", f"The file is {kind}, not a CSV file.", 1,
                              whole_file=True)
    bom = next((b for b in _UTF16_BOMS if head.startswith(b)), None)
    if bom is not None:
        bits = "32" if len(bom) == 4 else "16"
        return CsvProblem("file.encoding", f"The file is UTF-{bits} text; it must be saved "
                          "as UTF-8.", 1, whole_file=True)
    sample = head[:4096]
    # UTF-16 without a byte-order mark: ASCII text with a zero byte after every letter.
    if len(sample) >= 16 and sample.count(b"\0") * 3 >= len(sample):
        return CsvProblem("file.encoding", "The file looks like UTF-16 text (every other "
                          "byte is zero); it must be saved as UTF-8.", 1, whole_file=True)
    return None


def _lines(text: str) -> io.StringIO:
    """The text's lines as the csv module wants them: split at LF, CRLF or CR only.

    Not str.splitlines, which also splits at form feeds, U+2028, U+0085 and others: a
    cell holding one of those would be cut in two (found by tests/property).
    """
    return io.StringIO(text, newline="")


def read_header(path: Path) -> list[str]:
    """The header row of a CSV file, decoded as UTF-8 (a BOM is dropped).

    Only the header record is decoded: bytes that are not UTF-8 further down are the
    parser's to report, row by row.
    """
    with path.open("rb") as raw:
        head = raw.read(MAX_HEADER_BYTES)
    if not head.strip():
        raise CsvProblem("file.empty", "The file is empty.")
    problem = not_csv(head)
    if problem is not None:
        raise problem
    end = _header_end(head)
    if end is None:
        if len(head) == MAX_HEADER_BYTES:
            raise CsvProblem(
                "file.line_too_long", f"The header row is longer than {MAX_HEADER_BYTES:,} "
                "bytes: the first line break is further on, or missing.", 1)
        end = len(head)  # a file of one line: the header and nothing else
    head = head[:end]
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = head[: e.start].count(b"\n") + 1
        raise CsvProblem(
            "file.encoding", f"The file is not UTF-8: byte {head[e.start]:#04x} on line "
            f"{line} cannot be read.", line) from None
    try:
        row = next(csv.reader(_lines(text), strict=True))
    except (csv.Error, StopIteration) as e:
        raise CsvProblem("file.unclosed_quote", f"The header row cannot be read: {e}.", 1) from None
    return row


@dataclass
class MetaRead:
    """A parsed meta file: its header, its rows, and the rows that could not be used."""

    header: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (row number, cells by column)
    problems: list[CsvProblem] = field(default_factory=list)  # ragged rows, skipped


def read_meta_rows(path: Path) -> MetaRead:
    """Parse a (small) meta CSV, carrying on past ragged rows (listed in `problems`).

    Lines that are not UTF-8 are listed in `problems` and read with the bad bytes replaced
    (U+FFFD), so the rest of the file is still checked. Raises CsvProblem when the file
    cannot be read at all: empty, too large to be a meta file, not CSV text, a cell
    longer than the csv module reads, or a quoted cell that is never closed.
    """
    size = path.stat().st_size
    if size > MAX_META_BYTES:
        raise CsvProblem(
            "file.too_large", f"The meta file is {size / 1024 / 1024:,.1f} MB; a meta file "
            f"has one row per filter or indicator and may be at most "
            f"{MAX_META_BYTES // 1024 // 1024} MB. Check that this is the meta file and "
            "not the data file.", whole_file=True)
    data = path.read_bytes()
    if not data.strip():
        raise CsvProblem("file.empty", "The file is empty.")
    problem = not_csv(data[:MAX_HEADER_BYTES])
    if problem is not None:
        raise problem
    result = MetaRead([], [])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        for number, raw in enumerate(data.split(b"\n"), start=1):
            try:
                raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as e:
                result.problems.append(CsvProblem(
                    "file.encoding", f"Line {number} is not UTF-8: byte {raw[e.start]:#04x} "
                    "cannot be read.", number))
        text = data.decode("utf-8-sig", errors="replace")
    reader = csv.reader(_lines(text), strict=True)
    start = 1  # the line the record being read starts on
    try:
        result.header = [h.strip() for h in next(reader)]
        start = reader.line_num + 1
        for cells in reader:
            line, start = start, reader.line_num + 1
            if len(cells) != len(result.header) and not (cells == [] or cells == [""]):
                result.problems.append(CsvProblem(
                    "file.ragged_row",
                    f"Line {line} has {len(cells)} cells but the header has "
                    f"{len(result.header)}.",
                    line,
                ))
                continue
            result.rows.append((line, dict(zip(result.header, cells, strict=False))))
    except csv.Error as e:
        if "field limit" in str(e):
            raise CsvProblem(
                "file.line_too_long", f"Line {start} has a cell longer than "
                f"{MAX_META_CELL:,} characters.", start) from None
        if "unexpected end of data" in str(e):
            raise CsvProblem(
                "file.unclosed_quote", f"Line {start}: a quoted cell is never closed (the "
                "file ends inside it).", start) from None
        raise CsvProblem("file.unclosed_quote", f"Line {start}: {e}.", start) from None
    return result


def read_meta(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Parse a (small) meta CSV: its header and (row number, cells by column) per row.

    Raises CsvProblem for the first thing that stops it being read at all.
    """
    result = read_meta_rows(path)
    if result.problems:
        raise result.problems[0]
    return result.header, result.rows


def normalise_line_endings(source: Path, target: Path, chunk_size: int = CHUNK) -> None:
    """Copy `source` to `target` with every CRLF turned into LF, in bounded memory.

    DuckDB's strict CSV parser stops at a file that mixes CRLF and LF; the copy has one
    line per line of the original, so line numbers do not change.
    """
    with source.open("rb") as src, target.open("wb") as dst:
        carry = b""
        while chunk := src.read(chunk_size):
            chunk = carry + chunk
            # Hold back a final CR: its LF may start the next chunk.
            carry = b"\r" if chunk.endswith(b"\r") else b""
            if carry:
                chunk = chunk[:-1]
            dst.write(chunk.replace(b"\r\n", b"\n"))
        dst.write(carry)

