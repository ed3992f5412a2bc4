"""ZIP uploads as EES takes them, checked whole before a byte is unpacked.

A ZIP holds either one data file and its meta file (`pupils.csv`, `pupils.meta.csv`), or
("bulk") many such pairs and a `dataset_names.csv` whose header is `file_name,dataset_name`:
one row per pair, naming its files without `.csv` and giving its data set's title.

Before anything is unpacked, `inspect` reads the archive's directory and refuses, saying
which entry and why: anything that is not a ZIP; more than MAX_ENTRIES entries; an entry
name with a folder part, `..`, a drive or control characters (a path could write outside
the upload's folder); links; password-protected entries; compression other than ZIP's
usual two; an entry, or all of them, inflating beyond the upload size limit; a compression
ratio no CSV file has (a "ZIP bomb"); two entries with the same name; files no pair uses.
`unpack` then writes one entry to a path of our choosing (never a name from the archive)
and counts what it writes, so an entry whose header lies about its size stops there too.

Finder's `__MACOSX/` folder and `.DS_Store` files are metadata macOS adds to every ZIP it
makes: they are skipped (never unpacked) rather than refused.
"""

from __future__ import annotations

import csv
import io
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from openstats.publishing.workflow import Refused

NAMES_FILE = "dataset_names.csv"
NAMES_HEADER = ["file_name", "dataset_name"]
MAX_ENTRIES = 1_000  # 499 data sets and their names file: more than any release holds
MAX_NAME_BYTES = 255
MAX_RATIO = 200  # CSV files compress 5 to 50 times; a bomb, thousands of times
RATIO_FROM = 1 << 20  # the ratio is checked on entries inflating to more than 1 MiB
MAX_NAMES_BYTES = 1 << 20  # dataset_names.csv: a line per data set
MAX_TITLE = 120  # as a data set's title in the release's form
METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
FIELD = "zip_file"  # the upload form's field, which every refusal here is about


@dataclass(frozen=True)
class Pair:
    """One data set in an archive: its entries' names and (bulk ZIPs) its title."""

    data: str
    meta: str
    title: str = ""


@dataclass(frozen=True)
class Contents:
    pairs: tuple[Pair, ...]
    bulk: bool  # titled by dataset_names.csv


def _refuse(message: str) -> Refused:
    return Refused(message, title="The ZIP file cannot be used", field=FIELD)


def _skipped(name: str) -> bool:
    """macOS's metadata, added to every ZIP that Finder makes: never unpacked."""
    return name.startswith("__MACOSX/") or PurePosixPath(name).name == ".DS_Store"


def _name_problem(info: zipfile.ZipInfo) -> str | None:
    name = info.filename
    if any(not c.isprintable() for c in name):
        return f"The name of an entry ({name!r}) contains control characters."
    if len(name.encode()) > MAX_NAME_BYTES:
        return f"The name of the entry '{name[:60]}…' is too long."
    if info.is_dir() or "/" in name or "\\" in name or ":" in name or name in (".", ".."):
        return (f"'{name}' is inside a folder of the ZIP file (or is one). Put the files "
                "at the top of the ZIP: select the files themselves, not their folder, "
                "and compress them.")
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return f"'{name}' is a link, not a file. Put the file itself in the ZIP."
    if info.flag_bits & 0x1:
        return f"'{name}' is password-protected. Make the ZIP without a password."
    if info.compress_type not in METHODS:
        return (f"'{name}' is compressed in a way we cannot read. Make the ZIP with your "
                "computer's usual 'Compress' or 'Send to compressed folder'.")
    return None


def inspect(path: Path, max_bytes: int) -> Contents:
    """What the ZIP at `path` holds, after every check (see the module's docstring);
    `max_bytes` bounds each entry and all of them together, unpacked."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        raise _refuse("The file is not a ZIP file, or it is damaged. Choose a .zip file "
                      "made with your computer's 'Compress' command.") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ENTRIES:
            raise _refuse(f"The ZIP file holds {len(infos):,} entries; at most "
                          f"{MAX_ENTRIES:,} are allowed.")
        used = [i for i in infos if not _skipped(i.filename)]
        total = 0
        seen: dict[str, str] = {}
        for info in used:
            problem = _name_problem(info)
            if problem:
                raise _refuse(problem)
            if info.file_size > max_bytes:
                raise _refuse(f"'{info.filename}' would be {info.file_size:,} bytes "
                              f"unpacked, more than the {max_bytes:,} bytes an upload may "
                              "be.")
            if info.file_size > RATIO_FROM and \
                    info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise _refuse(f"'{info.filename}' is compressed "
                              f"{info.file_size // max(info.compress_size, 1):,} times, "
                              "which no data file is: the ZIP file was refused unopened.")
            total += info.file_size
            key = info.filename.lower()
            if key in seen:
                raise _refuse(f"The ZIP file holds '{seen[key]}' and '{info.filename}': "
                              "two files of the same name.")
            seen[key] = info.filename
        if total > max_bytes:
            raise _refuse(f"The files in the ZIP would be {total:,} bytes unpacked, more "
                          f"than the {max_bytes:,} bytes an upload may be.")
        names = {i.filename for i in used}
        if NAMES_FILE in names:
            return Contents(_bulk_pairs(archive, names), bulk=True)
        return Contents((_single_pair(names),), bulk=False)


def _single_pair(names: set[str]) -> Pair:
    csvs = sorted(n for n in names if n.lower().endswith(".csv"))
    others = sorted(names - set(csvs))
    if others:
        raise _refuse(f"The ZIP file holds files that are not CSV files: "
                      f"{', '.join(others)}. It may hold only the data file and its meta "
                      "file (or, for several data sets, dataset_names.csv too).")
    data = [n for n in csvs if not n.lower().endswith(".meta.csv")]
    meta = [n for n in csvs if n.lower().endswith(".meta.csv")]
    if len(data) != 1 or len(meta) != 1:
        raise _refuse(f"The ZIP file holds {len(data)} data file(s) and {len(meta)} meta "
                      "file(s). A ZIP of one data set holds one of each; for several, add "
                      "a dataset_names.csv naming each (file_name,dataset_name).")
    return Pair(data[0], meta[0])


def _bulk_pairs(archive: zipfile.ZipFile, names: set[str]) -> tuple[Pair, ...]:
    info = archive.getinfo(NAMES_FILE)
    if info.file_size > MAX_NAMES_BYTES:
        raise _refuse("dataset_names.csv is far too large: it has one line per data set.")
    try:
        text = archive.read(info).decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except (UnicodeDecodeError, csv.Error, zipfile.BadZipFile):
        raise _refuse("dataset_names.csv cannot be read: save it as CSV UTF-8.") from None
    if not rows or [c.strip() for c in rows[0]] != NAMES_HEADER:
        raise _refuse("The first line of dataset_names.csv must be 'file_name,dataset_name'.")
    pairs: list[Pair] = []
    problems: list[str] = []
    titles: set[str] = set()
    lowered = {n.lower(): n for n in names}
    for line, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) != 2:
            problems.append(f"line {line} has {len(row)} cells, not 2")
            continue
        stem, title = row[0].strip(), row[1].strip()
        stem = stem[:-4] if stem.lower().endswith(".csv") else stem
        data, meta = lowered.get(f"{stem}.csv".lower()), lowered.get(f"{stem}.meta.csv".lower())
        if not stem or data is None or meta is None:
            problems.append(f"line {line} names '{stem}', but the ZIP has no "
                            f"{stem}.csv and {stem}.meta.csv")
            continue
        if not title or len(title) > MAX_TITLE:
            problems.append(f"line {line} needs a data set name of 1 to {MAX_TITLE} "
                            "characters")
            continue
        if title.lower() in titles:
            problems.append(f"line {line} repeats the data set name '{title}'")
            continue
        titles.add(title.lower())
        pairs.append(Pair(data, meta, title))
    if problems:
        raise _refuse("In dataset_names.csv, " + "; ".join(problems[:5]) + (
            f"; and {len(problems) - 5} more" if len(problems) > 5 else "") + ".")
    if not pairs:
        raise _refuse("dataset_names.csv names no data sets: add a line for each.")
    unused = sorted(names - {NAMES_FILE} - {n for p in pairs for n in (p.data, p.meta)})
    if unused:
        raise _refuse(f"The ZIP file holds files dataset_names.csv does not name: "
                      f"{', '.join(unused[:10])}. Add them to it, or take them out.")
    return tuple(pairs)


def unpack(path: Path, entry: str, target: Path, max_bytes: int) -> None:
    """Write one checked entry of the ZIP to `target` (a path we chose), stopping at
    `max_bytes` whatever the entry's header says."""
    written = 0
    try:
        with zipfile.ZipFile(path) as archive, archive.open(entry) as source, \
                target.open("wb") as out:
            while chunk := source.read(1 << 20):
                written += len(chunk)
                if written > max_bytes:
                    raise _refuse(f"'{entry}' unpacks to more than the {max_bytes:,} bytes "
                                  "an upload may be.")
                out.write(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError):
        raise _refuse(f"'{entry}' is damaged in the ZIP file: make the ZIP again.") from None
