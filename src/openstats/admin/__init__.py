"""The publishing side at /admin: sign in, draft, upload, screen, approve, audit.

Every page needs a signed-in user; every form that changes something needs the session's
CSRF token; every action is a publishing service (publishing/), which checks rights on
every object it touches and writes the audit log.
"""

from fastapi import APIRouter, Depends

from openstats.admin import (
    auth,
    content,
    data_blocks,
    methodologies,
    oidc,
    pages,
    publications,
    releases,
    uploads,
    users,
    webhooks,
)

router = APIRouter(dependencies=[Depends(pages.closes_its_form)])
for part in (auth, publications, releases, uploads, users, oidc, content, data_blocks,
             methodologies, webhooks):
    router.include_router(part.router)
