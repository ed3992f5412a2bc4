"""What a new process loads: libraries that only some requests or commands use wait until
one does. Every `openstats serve` and command the suite (and a real site) starts pays for
what it imports in CPU before it does anything, so these tests keep the big ones out.

Each imports in a fresh interpreter (this one has loaded everything already).
"""

from __future__ import annotations

import subprocess
import sys

# Single sign-on's (admin/oidc_provider.py) and a webhook POST's (notify/webhook_post.py)
# libraries: about 150 ms of CPU at each start, for a sign-in or delivery most never make.
NOT_WITH_THE_APP = {"authlib", "joserfc", "cryptography", "httpx"}
# Loading a manifest matches data blocks (query/tables.py) but runs no query.
NOT_FOR_A_MANIFEST = {"pyarrow", "numpy"}


def loaded_by(*modules: str) -> set[str]:
    """The top-level packages in sys.modules once a fresh interpreter imported `modules`."""
    script = (f"import sys, {', '.join(modules)}; "
              "print(' '.join({name.partition('.')[0] for name in sys.modules}))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True)
    return set(done.stdout.split())


def test_the_app_loads_without_the_single_sign_on_and_webhook_libraries() -> None:
    loaded = loaded_by("openstats.app")
    assert {"fastapi", "openstats"} <= loaded  # the app itself did load
    assert loaded & NOT_WITH_THE_APP == set()


def test_loading_a_manifest_loads_no_query_engine_libraries() -> None:
    loaded = loaded_by("openstats.cli", "openstats.publishing.manifest")
    assert "sqlalchemy" in loaded  # the catalogue did load
    assert loaded & NOT_FOR_A_MANIFEST == set()
