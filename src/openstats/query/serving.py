"""A version's serving copy: its rows again, in small Parquet files, for answers that name places.

Why. DuckDB's Parquet reader spends about 30 µs on every row group of a file at every
query, even those its statistics skip (a count of the 10M bench's 82 row groups: 2.5 ms;
of the same rows in 326 groups: 11 ms), and it decodes a matching row group whole, so one
school's 54 rows cost the ~123,000 rows of the group they sit in. The published file keeps
DuckDB's large row groups, which suit answers that read everything. The serving copy holds
the same rows in the same order in files of about `chunk_rows` rows (131,072 by default)
in row groups of an eighth of that (DuckDB writes at least 2,048 rows a group), each row
with its place in the published file (`_os_row`, so answers keep the published file's
order), and knows which files hold each location's rows.
An answer whose criteria name locations reads only those files (`files_for`): on the 10M
bench, one school's three years 20 -> 10 ms of DuckDB time, one local authority's rows
27 -> 18 ms, a table of ten local authorities 51 -> 32 ms, the same rows in the same order.

How. The first time a large version is asked for, the process makes its copy in a thread of
its own on one DuckDB thread (10M rows: 7 s, under 100 MB), in a folder of its own under
`root` (data_dir/serving/VERSION_ID.FORMAT), made in a working folder and renamed when
whole; answers read the published file until then. A copy is derived from an immutable file, so it
never goes stale; removing the folder while no server runs only costs making it again (a
running process keeps using the files it found). One process makes each copy: it claims
a working folder marked as its own (`storage.owners`, so a maker that died is told from
one still at work), and the other workers and replicas on the same disk look for its copy
every second until it is there.
"""

from __future__ import annotations

import json
import logging
import shutil
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from openstats.query.request import And, Facets, LocationRef, Not, Or
from openstats.standards.screening.sql import lit, q
from openstats.storage import owners

log = logging.getLogger("openstats.query")

ROW = "_os_row"  # the row's place in the published file
MANIFEST = "copy.json"
FORMAT = 2  # in each copy's folder name: a process finds only copies of its own layout
BUILD_MEMORY = "256MB"  # DuckDB's limit while a copy is made (10M rows peaked under 100 MB)
RECHECK_SECONDS = 1.0  # how often a copy another process is making is looked for
KEPT_COPIES = 32  # copies kept in memory per process, as the engine keeps 32 versions


@dataclass(frozen=True)
class ServingCopy:
    """The files of one version's copy, in row order, and which of them hold each place."""

    files: tuple[str, ...]
    holding: dict[tuple[str, int], tuple[int, ...]]  # (location column, id) -> file indexes
    periods: tuple[dict[int, int], ...]  # per file: time period id -> its rows there

    def files_for(self, places: Iterable[tuple[str, int]]) -> set[int]:
        """The files holding rows of any of these places."""
        return {i for place in places for i in self.holding.get(place, ())}

    def period_rows(self, time_id: int, skip: int, take: int) -> tuple[list[str], int]:
        """The files holding a time period's rows `skip` to `skip + take` (in file order),
        and how many of the period's rows come before them: the first page of every row
        reads the first files, not the whole copy."""
        files: list[str] = []
        before = seen = 0
        for path, counts in zip(self.files, self.periods, strict=True):
            rows = counts.get(time_id, 0)
            if rows and seen + rows > skip and seen < skip + take:
                if not files:
                    before = seen
                files.append(path)
            seen += rows
        return files, before


class Places:
    """What the criteria of a query say about where its rows can be: `files` finds, for a
    criteria tree, the serving-copy files that can hold a matching row (None: any)."""

    def __init__(self, copy: ServingCopy,
                 resolve: Callable[[LocationRef], tuple[str, list[int]] | None]) -> None:
        self.copy = copy
        self.resolve = resolve  # a reference -> (location column, ids): Version.location_ids

    def files(self, node: object) -> set[int] | None:
        if isinstance(node, And):
            narrowing = [f for f in (self.files(c) for c in node.children) if f is not None]
            return set.intersection(*narrowing) if narrowing else None
        if isinstance(node, Or):
            files: set[int] = set()
            for child in node.children:
                held = self.files(child)
                if held is None:  # one alternative may match rows anywhere
                    return None
                files |= held
            return files if node.children else None
        if isinstance(node, Facets):
            # A facets object's comparators are all met by a matching row (AND), so each
            # positive location list narrows the files; everything else narrows nothing.
            narrowed: set[int] | None = None
            for op, value in node.comparators.get("locations", {}).items():
                if op not in ("eq", "in"):
                    continue
                places = []
                for ref in value if isinstance(value, list) else [value]:
                    resolved = self.resolve(ref)
                    if resolved is not None:  # an unknown place matches no row
                        column, ids = resolved
                        places += [(column, i) for i in ids]
                held = self.copy.files_for(places)
                narrowed = held if narrowed is None else narrowed & held
            return narrowed
        # Not (a negation matches rows anywhere) or no criteria at all.
        assert node is None or isinstance(node, Not), node
        return None


def load(folder: Path) -> ServingCopy | None:
    """A finished copy in `folder`, or None when there is none (or it is unreadable)."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    holding: dict[tuple[str, int], tuple[int, ...]] = {}
    for column, by_id in manifest["holding"].items():
        for loc_id, files in by_id.items():
            holding[(column, int(loc_id))] = tuple(files)
    periods = tuple({int(t): n for t, n in counts.items()} for counts in manifest["periods"])
    return ServingCopy(tuple(str(folder / name) for name in manifest["files"]), holding,
                       periods)


def build(parquet: Path, work: Path, folder: Path, chunk_rows: int,
          location_columns: list[str]) -> None:
    """Make the copy of `parquet` inside the working folder `work`, then rename it `folder`
    (atomically: whole, or not there at all). `work` is removed in the end."""
    rows = work / "rows"  # DuckDB writes the files into a folder of their own
    try:
        rows.mkdir()
        _write(parquet, rows, chunk_rows, location_columns)
        rows.rename(folder)
    finally:
        owners.release(work / owners.OWNER)
        shutil.rmtree(work, ignore_errors=True)


def _write(parquet: Path, folder: Path, chunk_rows: int, location_columns: list[str]) -> None:
    """The copy's files and its manifest, written into the empty `folder`."""
    con = duckdb.connect()
    try:
        # One thread: the rows stay in order and the files follow one another (file i holds
        # rows i*chunk_rows ...), and the serving process keeps its other core.
        con.execute("SET threads = 1")
        con.execute(f"SET memory_limit = {lit(BUILD_MEMORY)}")
        con.execute(f"SET temp_directory = {lit(str(folder / 'spill'))}")
        con.execute(
            f"COPY (SELECT * EXCLUDE (file_row_number), file_row_number AS {ROW} FROM "
            f"read_parquet({lit(str(parquet))}, file_row_number = true)) TO {lit(str(folder))} "
            f"(FORMAT parquet, COMPRESSION lz4_raw, ROW_GROUP_SIZE {max(1, chunk_rows // 8)}, "
            "ROW_GROUPS_PER_FILE 8, FILENAME_PATTERN 'chunk_{i}')")
        shutil.rmtree(folder / "spill", ignore_errors=True)
        names = sorted((p.name for p in folder.glob("chunk_*.parquet")),
                       key=lambda n: int(n.removeprefix("chunk_").removesuffix(".parquet")))
        index = {str(folder / n): i for i, n in enumerate(names)}
        # One read of the files: per file, the places of each location column and the
        # rows of each time period.
        selected = ["filename", "histogram(time_period_id)", *(
            f"list(DISTINCT {q(c)}) FILTER (WHERE {q(c)} IS NOT NULL)"
            for c in location_columns)]
        per_file = con.execute(
            f"SELECT {', '.join(selected)} FROM read_parquet("
            f"{lit(str(folder / 'chunk_*.parquet'))}, filename = true) "
            "GROUP BY filename").fetchall()
    finally:
        con.close()
    holding: dict[str, dict[str, list[int]]] = {c: {} for c in location_columns}
    periods: list[dict[str, int]] = [{} for _ in names]
    for file, counts, *ids_by_column in per_file:
        at = index[file]
        periods[at] = {str(t): n for t, n in counts.items()}
        for column, ids in zip(location_columns, ids_by_column, strict=True):
            for loc_id in ids or ():
                holding[column].setdefault(str(loc_id), []).append(at)
    for by_id in holding.values():
        for files in by_id.values():
            files.sort()
    (folder / MANIFEST).write_text(json.dumps({"files": names, "holding": holding,
                                               "periods": periods}))


class ServingCopies:
    """The serving copies of one process: found on disk, or made in the background.

    `min_rows`: versions with fewer rows are answered from their published file only (a
    negative number turns copies off); `chunk_rows`: rows per file of a copy."""

    def __init__(self, root: Path, min_rows: int, chunk_rows: int) -> None:
        self.root = root
        self.min_rows = min_rows
        self.chunk_rows = chunk_rows
        self.lock = threading.Lock()
        # Copies in use, the most recent last: a version of 70,000 schools keeps ~10 MB of
        # file lists in memory, so only the last few dozen are kept (again from disk after).
        self.ready: OrderedDict[str, ServingCopy] = OrderedDict()
        self.making: dict[str, threading.Thread] = {}
        self.failed: set[str] = set()  # not tried again by this process (the next one will)
        self.waiting: dict[str, float] = {}  # made by another process: when last looked for
        self._sweep()

    def get(self, version_id: str, parquet: Path, rows: int,
            location_columns: list[str]) -> ServingCopy | None:
        """The version's copy if it is ready; else None, and it is made in the background."""
        if self.min_rows < 0 or rows < self.min_rows or not location_columns:
            return None
        with self.lock:
            found = self.ready.get(version_id)
            if found is not None:
                self.ready.move_to_end(version_id)
                return found
            if version_id in self.making or version_id in self.failed:
                return None
            checked = self.waiting.get(version_id)
            if checked is not None and time.monotonic() - checked < RECHECK_SECONDS:
                return None  # another process is making it: look again in a moment
            found = load(self.folder(version_id))
            if found is not None:
                self.waiting.pop(version_id, None)
                self._keep(version_id, found)
                return found
            try:
                work = self._claim(version_id)
            except OSError:
                log.exception("serving copy of %s not made", version_id)
                self.failed.add(version_id)
                return None
            if work is None:
                self.waiting[version_id] = time.monotonic()
                return None
            self.waiting.pop(version_id, None)
            thread = threading.Thread(
                target=self._make, args=(version_id, parquet, location_columns, work),
                name=f"openstats-serving-{version_id[:8]}", daemon=True)
            self.making[version_id] = thread
        thread.start()
        return None

    def _claim(self, version_id: str) -> Path | None:
        """The version's working folder, made and marked as this process's; None when a
        live process (another worker or replica on this disk) is making the copy."""
        self.root.mkdir(parents=True, exist_ok=True)
        work = self.root / f".making-{version_id}.{FORMAT}"
        try:
            work.mkdir()
        except FileExistsError:
            if not owners.abandoned_folder(work):
                return None
            shutil.rmtree(work, ignore_errors=True)  # its maker died mid-copy
            try:
                work.mkdir()
            except FileExistsError:
                return None
        owners.mark(work / owners.OWNER)
        return work

    def folder(self, version_id: str) -> Path:
        return self.root / f"{version_id}.{FORMAT}"

    def settle(self, timeout: float) -> None:
        """Wait for every copy being made (for tests and tools: answers never wait)."""
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                threads = list(self.making.values())
            if not threads:
                return
            for thread in threads:
                thread.join(max(0.0, deadline - time.monotonic()))
            if time.monotonic() >= deadline:
                return

    def _make(self, version_id: str, parquet: Path, location_columns: list[str],
              work: Path) -> None:
        started = time.monotonic()
        folder = self.folder(version_id)
        try:
            build(parquet, work, folder, self.chunk_rows, location_columns)
            made = load(folder)
        except Exception:  # noqa: BLE001 - answers go on from the published file
            log.exception("serving copy of %s not made", version_id)
            made = None
        with self.lock:
            if made is not None:
                self._keep(version_id, made)
            else:
                self.failed.add(version_id)
            self.making.pop(version_id, None)
        if made is not None:
            log.info("serving copy of %s made in %.1f s (%d files)", version_id,
                     time.monotonic() - started, len(made.files))

    def _keep(self, version_id: str, copy: ServingCopy) -> None:
        self.ready[version_id] = copy  # (the caller holds the lock)
        while len(self.ready) > KEPT_COPIES:
            self.ready.popitem(last=False)

    def _sweep(self) -> None:
        """Remove the working folders of processes that died mid-copy."""
        if not self.root.is_dir():
            return
        for work in self.root.glob(".making-*"):
            if owners.abandoned_folder(work):
                shutil.rmtree(work, ignore_errors=True)
