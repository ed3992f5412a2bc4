"""The Prometheus metrics openstats keeps, defined once for every part that counts things.

A module of its own, depending on nothing of ours, so that low layers (the query engine)
can count without importing the web layer. With several server workers,
`PROMETHEUS_MULTIPROC_DIR` (set by `openstats serve --workers N`) must be in the
environment before this module is first imported: prometheus_client then keeps each
value in a file per process, and `/metrics` adds them up across the workers.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

# Seconds; from a cached answer (well under a millisecond) to a slow export.
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

HTTP_REQUESTS = Counter(
    "openstats_http_requests", "HTTP requests answered, by route template and status.",
    ["method", "route", "status"])
HTTP_SECONDS = Histogram(
    "openstats_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer (streamed bodies included).",
    ["method", "route"], buckets=_BUCKETS)
QUERY_SECONDS = Histogram(
    "openstats_query_duration_seconds",
    "Time DuckDB takes to answer a data-set query (answers not found in the cache).",
    buckets=_BUCKETS)
ANSWER_CACHE = Counter(
    "openstats_query_answer_cache", "Query answer cache look-ups, by result (hit or miss).",
    ["result"])
SERVING_COPY = Counter(
    "openstats_query_source", "Query answers by where they read their rows: a version's "
    "serving copy (query/serving.py) or its published file.", ["source"])
PUBLISHED = Counter(
    "openstats_releases_published", "Releases this process recorded as published.")
