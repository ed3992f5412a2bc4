"""What a new process loads: libraries that only some requests or commands use wait until
one does. Every `openstats serve` and command the suite (and a real site) starts pays for
what it imports in CPU before it does anything, so this test keeps the big ones out.

The imports run in a fresh interpreter (this one has loaded everything already), one
interpreter for both steps: the test is itself one of the processes the suite starts.
"""

from __future__ import annotations

import subprocess
import sys

# Loading a manifest (load, load-demo) matches data blocks (query/tables.py) but runs no
# query: no query-engine libraries.
NOT_FOR_A_MANIFEST = {"pyarrow", "numpy"}
# Single sign-on's (admin/oidc_provider.py) and a webhook POST's (notify/webhook_post.py)
# libraries: about 150 ms of CPU at each start, for a sign-in or delivery most never make.
NOT_WITH_THE_APP = {"authlib", "joserfc", "cryptography", "httpx"}

SCRIPT = """import sys
def loaded(): print(' '.join({name.partition('.')[0] for name in sys.modules}))
import openstats.cli, openstats.publishing.manifest
loaded()
import openstats.app
loaded()
"""


def test_the_app_and_a_manifest_load_only_the_libraries_they_use() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          check=True)
    for_a_manifest, with_the_app = (set(line.split()) for line in done.stdout.splitlines())
    assert "sqlalchemy" in for_a_manifest  # the catalogue did load
    assert for_a_manifest & NOT_FOR_A_MANIFEST == set()
    assert {"fastapi", "openstats"} <= with_the_app  # the app itself did load
    assert with_the_app & NOT_WITH_THE_APP == set()
