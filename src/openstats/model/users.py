"""People who publish: their accounts and roles, and who may do what.

Roles: admin (everything), publisher (drafts and uploads on their own publications),
approver (approve and schedule their own publications). `allowed` is the one place that
says who may do what; every publishing service asks it, for every object it touches.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    PUBLISHER = "publisher"
    APPROVER = "approver"


ROLES: tuple[str, ...] = tuple(r.value for r in Role)

# action -> roles that may do it (on publications they are assigned to, unless admin)
PERMISSIONS: dict[str, frozenset[Role]] = {
    "manage_users": frozenset({Role.ADMIN}),
    "view_audit": frozenset({Role.ADMIN}),
    "manage_webhooks": frozenset({Role.ADMIN}),
    "create_theme": frozenset({Role.ADMIN}),
    "create_publication": frozenset({Role.ADMIN}),
    "create_release": frozenset({Role.ADMIN, Role.PUBLISHER}),
    "upload": frozenset({Role.ADMIN, Role.PUBLISHER}),
    "edit_release": frozenset({Role.ADMIN, Role.PUBLISHER}),
    "grant_pre_release": frozenset({Role.ADMIN, Role.PUBLISHER}),
    "preview": frozenset({Role.ADMIN, Role.PUBLISHER, Role.APPROVER}),
    "approve": frozenset({Role.ADMIN, Role.APPROVER}),
    "unschedule": frozenset({Role.ADMIN, Role.APPROVER}),
}


@dataclass(frozen=True)
class User:
    id: str
    email: str
    name: str
    role: Role
    publication_ids: frozenset[str]  # the publications they work on (admins: all)


def allowed(user: User | None, action: str, publication_id: str | None = None) -> bool:
    """May `user` do `action` (on this publication)? The one permission check."""
    if user is None or user.role not in PERMISSIONS[action]:
        return False
    if user.role is Role.ADMIN:
        return True
    # Publishers and approvers act only on their own publications.
    return publication_id is not None and publication_id in user.publication_ids
