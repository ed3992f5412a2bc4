"""Permalinks in SQL: tables readers saved from the table tool, each frozen to the version
it was made from. (Featured tables belong to release versions: catalogue/releases.py.)
Both take the Catalogue: the table tool's routes call them as services."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from openstats.catalogue.schema import saved_tables
from openstats.catalogue.values import new_id, now, utc
from openstats.model.catalogue import Permalink

if TYPE_CHECKING:
    from openstats.catalogue.db import Catalogue


def save_permalink(catalogue: Catalogue, data_set_id: str, version_id: str,
                   selection: dict[str, Any]) -> str:
    table_id = new_id()
    with catalogue.transaction() as conn:
        conn.execute(saved_tables.insert().values(
            id=table_id, kind="permalink", data_set_id=data_set_id, version_id=version_id,
            release_version_id=None, name="", description="", selection=json.dumps(selection),
            position=0, created=now()))
    return table_id


def permalink(catalogue: Catalogue, table_id: str) -> Permalink | None:
    with catalogue.connect() as conn:
        row = conn.execute(select(saved_tables).where(
            saved_tables.c.id == table_id, saved_tables.c.kind == "permalink")).first()
    if row is None or row.version_id is None:
        return None
    return Permalink(row.id, row.data_set_id, row.version_id, json.loads(row.selection),
                     utc(row.created))
