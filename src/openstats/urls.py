"""Which link and redirect targets stay on this site: the one home of that rule.

Publishers' markdown may link to other sites only with an explicit http(s) or mailto
address (web/markdown.py); everything else must be a same-site reference. Redirects
after a form (`back=`) or after sign-in (`next=`) may only go to a page of the
publishing side (`admin_target`).

A browser does not read a reference character by character as we might. Before it
resolves one it drops leading and trailing spaces and control characters and every tab
and newline inside, and in http(s) URLs it reads a backslash as a slash. So `//host`,
`/\\host`, `\\\\host` and ` //host` all name another site ("scheme-relative"), as does
`/<TAB>/host`. We also percent-decode before judging (`%2F%2Fhost`, `/%5Chost`):
a browser would keep those on this site, but a proxy or framework on the way may
decode them, and no honest link needs them.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

ADMIN = "/admin"
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_EDGES = "".join(chr(c) for c in range(0x21))  # C0 controls and space
_TAB_OR_NEWLINE = re.compile(r"[\t\n\r]")
# A page of the publishing side: /admin alone, or followed by a path, query or fragment.
_ADMIN_PAGE = re.compile(r"/admin(?:[/?#].*)?", re.DOTALL)


def _as_a_browser_reads(target: str) -> str:
    text = _TAB_OR_NEWLINE.sub("", target.strip(_EDGES))
    return unquote(text).replace("\\", "/")


def is_same_site(target: str) -> bool:
    """True for a reference that a browser resolves on this site: a path (`/x`), a
    relative path (`x`, `../x`), a query (`?x`) or a fragment (`#x`). False for anything
    with a scheme (`https:`, `javascript:`, ...) and for every scheme-relative form."""
    read = _as_a_browser_reads(target)
    return not _SCHEME.match(read) and not read.startswith("//")


def admin_target(target: str | None) -> str:
    """`target` when it is a page of the publishing side on this site, else `/admin`.

    For every redirect whose target comes from a form or a query string. Anything a
    browser or a proxy might read differently from how it is written (spaces, control
    characters, backslashes, any percent-encoding) is refused outright rather than
    interpreted, as are dot segments (`/admin/../x`). Our own pages need none of these.
    """
    if not target or not is_same_site(target):
        return ADMIN
    read = _as_a_browser_reads(target)
    path = re.split(r"[?#]", read, maxsplit=1)[0]
    if (read != target or not _ADMIN_PAGE.fullmatch(read)
            or any(c.isspace() or not c.isprintable() for c in target)
            or any(segment in (".", "..") for segment in path.split("/"))):
        return ADMIN
    return target
