"""This process's `Snapshot` of what is or will become public, and the `View`s made from it
(catalogue/published.py says how visibility is decided from them).

The snapshot is reread when the catalogue's generation number moves; views are cached by
(generation, how many scheduled moments have passed, previewed releases). While the
database is away, the last snapshot read is served, or, in a process that started during
the outage, the one kept on local disk (catalogue/snapshot_file.py), which this module
writes from a thread of its own whenever a new generation is read.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from openstats.catalogue import data_sets, snapshot_file
from openstats.catalogue.published import Snapshot, View
from openstats.catalogue.values import now
from openstats.errors import CatalogueUnavailable

if TYPE_CHECKING:
    from openstats.catalogue.db import Catalogue

log = logging.getLogger("openstats.catalogue")


class SnapshotCache:
    """This process's snapshot and the views made from it (see this module's docstring)."""

    VIEWS = 16  # recent views kept: one per (generation, epoch, preview) in use
    BATCH = 200  # versions' records read from the database per query when keeping them
    FORGET_AFTER = 3600.0  # seconds: records younger than this may be another process's

    def __init__(self, catalogue: Catalogue, published_dir: Path | None = None) -> None:
        self.catalogue = catalogue
        self.published_dir = published_dir
        self._snapshot: Snapshot | None = None
        self._views: OrderedDict[tuple[int, int, frozenset[str]], View] = OrderedDict()
        self._lock = threading.Lock()
        self._keeping = threading.Lock()
        self._keeper: threading.Thread | None = None
        self._stop_keeping = threading.Event()  # set when the process stops (stop_keeping)
        self._kept_generation: int | None = None
        self._serving_kept = False  # said once per outage in the log, not per request

    def snapshot(self) -> Snapshot:
        """The snapshot for the catalogue's generation now; reread when it has moved.
        While the database is away: the last one read, or the one kept on disk."""
        try:
            generation = self.catalogue.generation()
        except Exception as e:  # noqa: BLE001 - whatever failed, the last snapshot stands
            return self._last_published(e)
        current = self._snapshot
        if current is None or current.generation != generation:
            try:
                with self._lock:
                    if self._snapshot is None or self._snapshot.generation != generation:
                        self._snapshot = Snapshot.load(self.catalogue, generation)
                        self._views.clear()
                    current = self._snapshot
            except CatalogueUnavailable as e:  # went away between the two reads
                return self._last_published(e)
        if self._serving_kept:
            self._serving_kept = False
            log.info("catalogue reachable again; reading what is published from it")
        if self._kept_generation != current.generation:
            self._keep_later(current)
        return current

    def _last_published(self, error: Exception) -> Snapshot:
        fallback = self._snapshot
        if fallback is None and self.published_dir is not None:
            kept = snapshot_file.load(self.published_dir, Snapshot)
            with self._lock:
                if self._snapshot is None and kept is not None:
                    self._snapshot = kept
                    self._views.clear()
                fallback = self._snapshot
        if fallback is None:
            if isinstance(error, CatalogueUnavailable):
                raise error
            raise CatalogueUnavailable("the catalogue database cannot be read, and no "
                                       "published snapshot is kept") from error
        if not self._serving_kept:
            self._serving_kept = True
            # The database is away: what was last published stays readable (visibility
            # is still decided by the clock, so nothing shows before its time).
            log.warning("catalogue unreachable (%s); serving the snapshot of generation %d",
                        error, fallback.generation)
        return fallback

    def _keep_later(self, snapshot: Snapshot) -> None:
        """Keep the snapshot from a thread of its own: at 50,000 data sets writing it
        takes seconds, and the request that read it first must not wait for that."""
        if self.published_dir is None:
            return
        with self._lock:
            if self._keeper is not None and self._keeper.is_alive():
                return  # busy with an older one: the next read starts this one
            self._keeper = threading.Thread(target=self._keep, args=(snapshot,),
                                            name="keep-snapshot", daemon=True)
            self._keeper.start()

    def stop_keeping(self, grace: float) -> None:
        """When the process stops: let the keeping finish if it can within `grace` seconds,
        else stop it after its current batch. At 50,000 data sets the first keeping writes
        every version's record and can take minutes; a server must not take that long to
        stop (it took 90 s in the sizing run). Stopping early is safe: the records written
        so far are kept, the snapshot file stays the last one written whole, and the next
        process carries on from what is there."""
        keeper = self._keeper
        if keeper is None:
            return
        keeper.join(grace)
        if keeper.is_alive():
            self._stop_keeping.set()
            keeper.join()

    def _keep(self, snapshot: Snapshot) -> None:
        """Write the snapshot (and its versions' records) to disk, for outages to come.
        Failing to is logged, never raised: readers are served either way."""
        folder = self.published_dir
        if folder is None or not self._keeping.acquire(blocking=False):
            return  # nowhere to keep it, or another thread is keeping it right now
        try:
            missing = sorted(set(snapshot.versions) - snapshot_file.kept_versions(folder))
            for start in range(0, len(missing), self.BATCH):
                if self._stop_keeping.is_set():
                    log.info("stopping: %d of %d versions' records kept; the next start "
                             "carries on", start, len(missing))
                    return
                with self.catalogue.connect() as conn:
                    records = data_sets.stored_records(conn, missing[start:start + self.BATCH])
                for version_id, record in records.items():
                    snapshot_file.save_version(folder, version_id, record)
            if snapshot_file.save(folder, Snapshot, snapshot, snapshot.generation):
                snapshot_file.forget_versions(folder, set(snapshot.versions),
                                              older_than=time.time() - self.FORGET_AFTER)
            self._kept_generation = snapshot.generation
        except Exception:  # noqa: BLE001 - a full disk must not stop the site serving
            log.warning("the published snapshot could not be kept on disk in %s", folder,
                        exc_info=True)
        finally:
            self._keeping.release()

    def view(self, at: datetime | None = None,
             preview_releases: frozenset[str] = frozenset()) -> View:
        """What a reader sees at `at` (now), with early sight of `preview_releases`."""
        at = at or now()
        snapshot = self.snapshot()
        key = (snapshot.generation, snapshot.epoch(at), preview_releases)
        with self._lock:
            cached = self._views.get(key)
            if cached is not None:
                self._views.move_to_end(key)
                return cached
        made = View(snapshot, at, preview_releases)
        with self._lock:
            self._views[key] = made
            while len(self._views) > self.VIEWS:
                self._views.popitem(last=False)
        return made

    def draft_view(self, release_ids: frozenset[str]) -> View:
        """A publisher's preview: these releases' drafts (or scheduled versions) shown as if
        published now. Read fresh, never cached: drafts change with every edit."""
        snapshot = Snapshot.load(self.catalogue, -1, drafts_of=release_ids)
        return View(snapshot, now(), preview_releases=release_ids, drafts_of=release_ids)
