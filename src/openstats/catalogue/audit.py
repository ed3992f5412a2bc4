"""The audit log in SQL: who did what to which object, when. Written in the same
transaction as the change it records, so the log and the catalogue never disagree."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from openstats.catalogue.schema import audit_log
from openstats.catalogue.values import now, utc
from openstats.model.users import User
from openstats.standards.formulas import neutralise_row


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    user_email: str
    action: str
    object_type: str
    object_id: str
    detail: str


def record(conn: Connection, user: User | None, action: str, object_type: str,
           object_id: str, detail: str = "") -> None:
    conn.execute(insert(audit_log).values(
        at=now(), user_id=user.id if user else None,
        user_email=user.email if user else "system", action=action,
        object_type=object_type, object_id=object_id, detail=detail))


def entries(conn: Connection, limit: int = 1000) -> list[AuditEntry]:
    """The newest entries first."""
    rows = conn.execute(select(audit_log).order_by(audit_log.c.id.desc()).limit(limit))
    return [AuditEntry(utc(r.at), r.user_email, r.action, r.object_type, r.object_id,
                       r.detail or "") for r in rows]


def as_csv(conn: Connection) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["when (UTC)", "who", "action", "object type", "object id", "detail"])
    for e in reversed(entries(conn, limit=1_000_000)):
        # Emails, titles and file names are typed by people: no cell may become a formula.
        writer.writerow(neutralise_row([e.at.isoformat(timespec="seconds"), e.user_email,
                                        e.action, e.object_type, e.object_id, e.detail]))
    return buffer.getvalue()
