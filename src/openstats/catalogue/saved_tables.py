"""Permalinks in SQL: tables readers saved from the table tool, each frozen to the version
it was made from. (Featured tables belong to release versions: catalogue/releases.py.)"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from openstats.catalogue.schema import saved_tables
from openstats.catalogue.values import new_id, now, utc
from openstats.model.catalogue import Permalink


def save_permalink(conn: Connection, data_set_id: str, version_id: str,
                   selection: dict[str, Any]) -> str:
    table_id = new_id()
    conn.execute(saved_tables.insert().values(
        id=table_id, kind="permalink", data_set_id=data_set_id, version_id=version_id,
        release_version_id=None, name="", description="", selection=json.dumps(selection),
        position=0, created=now()))
    return table_id


def permalink(conn: Connection, table_id: str) -> Permalink | None:
    row = conn.execute(select(saved_tables).where(saved_tables.c.id == table_id,
                                                  saved_tables.c.kind == "permalink")).first()
    if row is None or row.version_id is None:
        return None
    return Permalink(row.id, row.data_set_id, row.version_id, json.loads(row.selection),
                     utc(row.created))
