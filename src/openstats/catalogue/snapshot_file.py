"""The last published snapshot on local disk, so that readers are served while the
catalogue database is away, even by a process that starts during the outage.

`<published_dir>/snapshot.json` holds the `Snapshot` (catalogue/published.py) of the
newest generation this data folder has seen: every release version that is or will be
public, and what each holds (never a draft). `<published_dir>/versions/<id>.json` holds
each of those data-set versions' stored metadata and changes, as import wrote them
(versions never change, so each is written once). Everything is written to a temporary
name, flushed and renamed into place, so a reader finds the old file or the new one,
whole; the versions go first, then the snapshot naming them.

Visibility is still decided by the clock from the snapshot's schedule (`View`), so a
snapshot read back shows nothing before its time.

The file is versioned by `FORMAT` and by the shape of the objects in it (their field
names, `shape()`): a file another version of the code wrote is ignored (and rewritten at
the next successful read of the database), never misread. The codec is generic over the
model's dataclasses, on purpose: those objects grow fields as the platform grows, and a
hand-written codec would silently drop the new ones.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import logging
import os
import types
import typing
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

log = logging.getLogger("openstats.catalogue")

FORMAT = 1
SNAPSHOT = "snapshot.json"
VERSIONS = "versions"
T = TypeVar("T")


# --- the codec ------------------------------------------------------------------------------
def encode(value: Any) -> Any:
    """Plain JSON from dataclasses, enums, dates and times, tuples and dicts."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, date):  # a datetime is a date too: both keep their ISO form
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    return value


def decode(kind: Any, value: Any) -> Any:
    """The object of type `kind` that `encode` made `value` from."""
    origin = typing.get_origin(kind)
    if origin is typing.Union or origin is types.UnionType:
        options = [k for k in typing.get_args(kind) if k is not type(None)]
        return None if value is None else decode(options[0], value)
    if origin is tuple:
        args = typing.get_args(kind)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(decode(args[0], v) for v in value)
        return tuple(decode(k, v) for k, v in zip(args, value, strict=True))
    if origin is list:
        return [decode(typing.get_args(kind)[0], v) for v in value]
    if origin is dict:
        _, item = typing.get_args(kind)
        return {k: decode(item, v) for k, v in value.items()}
    if kind is Any:
        return value
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        hints = typing.get_type_hints(kind)
        return kind(**{f.name: decode(hints[f.name], value[f.name])
                       for f in dataclasses.fields(kind) if f.name in value})
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return kind(value)
    if kind is datetime:
        return datetime.fromisoformat(value)
    if kind is date:
        return date.fromisoformat(value)
    return value


def shape(kind: type) -> str:
    """A fingerprint of the field names and types of `kind` and every dataclass inside it:
    it changes whenever the objects written to disk do."""
    seen: dict[str, list[str]] = {}

    def visit(k: Any) -> None:
        for arg in typing.get_args(k):
            visit(arg)
        if isinstance(k, type) and dataclasses.is_dataclass(k) and k.__name__ not in seen:
            hints = typing.get_type_hints(k)
            seen[k.__name__] = [f"{f.name}:{hints[f.name]}" for f in dataclasses.fields(k)]
            for f in dataclasses.fields(k):
                visit(hints[f.name])

    visit(kind)
    return hashlib.sha256(json.dumps(seen, sort_keys=True).encode()).hexdigest()[:16]


# --- files ----------------------------------------------------------------------------------
def write_atomically(path: Path, text: str) -> None:
    """`text` at `path`, whole or not at all (a temporary name, flushed, then renamed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")
    try:
        with part.open("w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)


def exists(folder: Path) -> bool:
    """Whether a snapshot was ever kept here (this data folder has served a catalogue)."""
    return (folder / SNAPSHOT).is_file()


def saved_generation(folder: Path) -> int | None:
    try:
        return int(json.loads((folder / SNAPSHOT).read_text(encoding="utf-8"))["generation"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save(folder: Path, kind: type[T], snapshot: T, generation: int) -> bool:
    """Keep `snapshot` unless the file holds a newer generation; True if written."""
    kept = saved_generation(folder)
    if kept is not None and kept > generation:
        return False  # another process sharing the folder has seen a newer one
    doc = {"format": FORMAT, "shape": shape(kind), "generation": generation,
           "snapshot": encode(snapshot)}
    write_atomically(folder / SNAPSHOT, json.dumps(doc, ensure_ascii=False))
    return True


def load(folder: Path, kind: type[T]) -> T | None:
    """The snapshot kept here, or None if there is none this code can read."""
    path = folder / SNAPSHOT
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        log.warning("the kept snapshot %s cannot be read: %s", path, e)
        return None
    if doc.get("format") != FORMAT or doc.get("shape") != shape(kind):
        log.warning("the kept snapshot %s was written by another version of openstats; "
                    "ignored", path)
        return None
    try:
        found: T = decode(kind, doc["snapshot"])
    except (KeyError, TypeError, ValueError) as e:
        log.warning("the kept snapshot %s cannot be read: %s", path, e)
        return None
    return found


@dataclasses.dataclass(frozen=True)
class VersionRecord:
    """What import stored for one data-set version, as JSON text (see catalogue.data_sets)."""

    metadata: str
    changes: str
    quality: str = ""  # catalogue.quality.record_text, "" when none is stored


def _version_path(folder: Path, version_id: str) -> Path:
    return folder / VERSIONS / f"{Path(version_id).name}.json"


def kept_versions(folder: Path) -> set[str]:
    try:
        return {p.name.removesuffix(".json") for p in (folder / VERSIONS).iterdir()
                if p.name.endswith(".json") and not p.name.startswith(".")}
    except FileNotFoundError:
        return set()


def save_version(folder: Path, version_id: str, record: VersionRecord) -> None:
    write_atomically(_version_path(folder, version_id),
                     json.dumps({"format": FORMAT, **dataclasses.asdict(record)},
                                ensure_ascii=False))


def load_version(folder: Path, version_id: str) -> VersionRecord | None:
    try:
        doc = json.loads(_version_path(folder, version_id).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if doc.get("format") != FORMAT:
        return None
    return VersionRecord(str(doc["metadata"]), str(doc.get("changes") or "{}"),
                         str(doc.get("quality") or ""))


def forget_versions(folder: Path, keep: set[str], older_than: float) -> None:
    """Remove the kept records of versions the kept snapshot no longer holds, written
    before `older_than` (a time.time(): younger ones may be another process's, sharing
    the folder, for a newer snapshot it is about to write)."""
    for version_id in kept_versions(folder) - keep:
        path = _version_path(folder, version_id)
        try:
            if path.stat().st_mtime < older_than:
                path.unlink()
        except FileNotFoundError:
            continue
