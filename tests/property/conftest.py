"""Hypothesis settings of the property tests: bounded examples, no deadline, no database.

`max_examples` stays in the low hundreds so the whole folder runs in seconds; the
`OPENSTATS_HYPOTHESIS_EXAMPLES` variable raises it for a longer hunt on a quiet machine.
Found failures are not stored in a .hypothesis folder: each one is printed with the
`@example` to add, which is how a found case is kept.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "openstats", max_examples=int(os.environ.get("OPENSTATS_HYPOTHESIS_EXAMPLES", "150")),
    deadline=None, database=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("openstats")
