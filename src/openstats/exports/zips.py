"""ZIP downloads, streamed: files are copied in chunks, never held whole in memory."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, cast

CHUNK = 1 << 20


class _Pipe:
    """A write-only, unseekable file: zipfile writes into it, we hand the bytes on."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.position = 0

    def write(self, data: bytes) -> int:
        self.buffer += data
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        out = bytes(self.buffer)
        self.buffer.clear()
        return out


def stream_zip(entries: list[tuple[str, Path | str]],
               when: datetime | None = None) -> Iterator[bytes]:
    """ZIP bytes for (name in archive, file path or text) entries, produced as they go.

    Entries are dated `when` (the release's publication), so the same data always makes
    the same archive.
    """
    stamp = (when or datetime(2000, 1, 1)).timetuple()[:6]
    pipe = _Pipe()
    # zipfile accepts any object with write/tell/flush (its stubs ask for more).
    with zipfile.ZipFile(cast(IO[bytes], pipe), mode="w",
                         compression=zipfile.ZIP_DEFLATED) as archive:
        for name, source in entries:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, mode="w", force_zip64=True) as target:
                if isinstance(source, Path):
                    with source.open("rb") as f:
                        while chunk := f.read(CHUNK):
                            target.write(chunk)
                            yield pipe.take()
                else:
                    target.write(source.encode("utf-8"))
            yield pipe.take()
    yield pipe.take()
