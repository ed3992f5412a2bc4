"""Gzip-compressed data files (`x.csv.gz`), as DfE's own stores keep them.

A compressed data file is unpacked once into the screener's working folder, with a cap
against "bombs", and everything downstream (checks, import) reads the plain CSV; the
compressed file itself is kept as the publisher gave it, and readers of stored files
(the data-set page's preview, the CSV download) open it through `open_text` and
`plain_chunks`.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from openstats.standards.csvfile import CHUNK

GZIP_SUFFIX = ".gz"
GZIP_MAGIC = b"\x1f\x8b"
# A gzip "bomb" unpacks a few kB into terabytes: stop at whichever comes first, this
# many bytes or this many times the compressed size (real CSVs compress 5-20x).
MAX_UNPACKED_BYTES = 50 * 1024**3
MAX_UNPACK_RATIO = 200


def is_gzipped(path: Path) -> bool:
    """A data file named `*.gz` (its bytes are checked when it is unpacked)."""
    return path.name.lower().endswith(GZIP_SUFFIX)


def plain_name(name: str) -> str:
    """The name of the CSV inside a `.gz` (x.csv.gz -> x.csv); other names unchanged."""
    return name[: -len(GZIP_SUFFIX)] if name.lower().endswith(GZIP_SUFFIX) else name


def unpack_gzip(source: Path, target: Path, chunk_size: int = CHUNK,
                max_bytes: int = MAX_UNPACKED_BYTES) -> str | None:
    """Write the CSV inside a gzip file to `target`; None, or what is wrong with it."""
    with source.open("rb") as f:
        if f.read(2) != GZIP_MAGIC:
            return "it is not gzip-compressed, though its name ends in .gz"
    limit = min(max_bytes, max(source.stat().st_size, 1) * MAX_UNPACK_RATIO)
    written = 0
    try:
        with gzip.open(source, "rb") as packed, target.open("wb") as out:
            while chunk := packed.read(chunk_size):
                written += len(chunk)
                if written > limit:
                    return (f"it unpacks to more than {limit:,} bytes ({MAX_UNPACK_RATIO} "
                            "times its size, or the most the screener unpacks)")
                out.write(chunk)
    except (OSError, EOFError, zlib.error) as e:  # a truncated or corrupt file
        return f"it cannot be unpacked ({e})"
    return None


def open_text(path: Path) -> TextIO:
    """A stored data file as text (UTF-8, BOM dropped), unpacked if it is a `.gz`."""
    if is_gzipped(path):
        return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
    return path.open(encoding="utf-8-sig", newline="")


def plain_chunks(path: Path, chunk_size: int = 1 << 20) -> Iterator[bytes]:
    """A stored data file's CSV bytes, unpacked if it is a `.gz`."""
    opener = gzip.open if is_gzipped(path) else open
    with opener(path, "rb") as f:
        while chunk := f.read(chunk_size):
            yield chunk
