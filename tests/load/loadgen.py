"""A bounded load generator that checks every answer it samples.

Many concurrent clients (asyncio + httpx, one process) send a seeded mix of requests —
pages, catalogue search, API queries and downloads — for a fixed time, and check what
comes back: status codes, page text, the numbers in API answers (against DuckDB reading
the original CSV) and the bytes of downloads (against the uploaded file's SHA-256).

`run()` is used by tests/load/test_load.py; the figures it returns (requests, errors,
wrong answers, p50/p99 by kind) go in docs/reliability.md.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import random
import statistics
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from tests.api.decode import Decoder, expected

# A check gets the answer and returns a problem (a string) or None.
Check = Callable[[httpx.Response], str | None]


@dataclass(frozen=True)
class Probe:
    """One kind of request in the mix: what to ask, how often, and how to check it."""

    kind: str
    method: str
    path: str
    weight: int
    check: Check
    params: dict[str, Any] | None = None
    body: dict[str, Any] | None = None


@dataclass
class Results:
    seconds: float = 0.0
    clients: int = 0
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # transport errors and 5xx
    wrong: list[str] = field(default_factory=list)  # an answer that failed its check

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values())

    def table(self) -> list[dict[str, Any]]:
        rows = []
        everything = [x for v in self.latencies.values() for x in v]
        for kind, values in sorted(self.latencies.items()) + [("all", everything)]:
            if not values:
                continue
            ordered = sorted(values)
            rows.append({"kind": kind, "requests": len(values),
                         "p50_ms": round(statistics.median(ordered) * 1000, 1),
                         "p99_ms": round(ordered[min(len(ordered) - 1,
                                                     int(len(ordered) * 0.99))] * 1000, 1)})
        return rows

    def markdown(self) -> str:
        lines = [f"{self.requests:,} requests in {self.seconds:.0f} s from {self.clients} "
                 f"clients ({self.requests / max(self.seconds, 1e-9):.0f}/s); "
                 f"{len(self.errors)} errors, {len(self.wrong)} wrong answers", "",
                 "| kind | requests | p50 ms | p99 ms |", "|---|---:|---:|---:|"]
        for r in self.table():
            lines.append(f"| {r['kind']} | {r['requests']:,} | {r['p50_ms']} | {r['p99_ms']} |")
        return "\n".join(lines)


async def _client(http: httpx.AsyncClient, probes: list[Probe], rng: random.Random,
                  deadline: float, limit: int, results: Results) -> None:
    weights = [p.weight for p in probes]
    while time.monotonic() < deadline and results.requests < limit:
        probe = rng.choices(probes, weights)[0]
        started = time.perf_counter()
        try:
            answer = await http.request(probe.method, probe.path, params=probe.params,
                                        json=probe.body)
        except httpx.HTTPError as e:
            results.errors.append(f"{probe.kind} {probe.path}: {type(e).__name__}: {e}")
            continue
        results.latencies.setdefault(probe.kind, []).append(time.perf_counter() - started)
        if answer.status_code >= 500:
            results.errors.append(f"{probe.kind} {probe.path}: HTTP {answer.status_code}")
            continue
        problem = probe.check(answer)
        if problem:
            results.wrong.append(f"{probe.kind} {probe.path}: {problem}")


async def _run(base: str, probes: list[Probe], *, clients: int, seconds: float, limit: int,
               seed: int) -> Results:
    results = Results(clients=clients)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as http:
        started = time.monotonic()
        deadline = started + seconds
        await asyncio.gather(*(
            _client(http, probes, random.Random(seed * 1000 + i), deadline, limit, results)
            for i in range(clients)))
        results.seconds = time.monotonic() - started
    return results


def run(base: str, probes: list[Probe], *, clients: int = 50, seconds: float = 60.0,
        limit: int = 200_000, seed: int = 7) -> Results:
    """Send the mix for `seconds` (or `limit` requests) from `clients` concurrent clients."""
    return asyncio.run(_run(base, probes, clients=clients, seconds=seconds, limit=limit,
                            seed=seed))


# Checks ------------------------------------------------------------------------------

def status(code: int, *texts: str) -> Check:
    """The answer has this status and contains each text."""
    def check(answer: httpx.Response) -> str | None:
        if answer.status_code != code:
            return f"HTTP {answer.status_code}, expected {code}"
        missing = [t for t in texts if t not in answer.text]
        return f"missing {missing}" if missing else None
    return check


def same_bytes(source: Path) -> Check:
    """A download is byte for byte the uploaded file."""
    digest = hashlib.sha256(source.read_bytes()).hexdigest()

    def check(answer: httpx.Response) -> str | None:
        if answer.status_code != 200:
            return f"HTTP {answer.status_code}"
        got = hashlib.sha256(answer.content).hexdigest()
        return None if got == digest else f"SHA-256 {got[:12]}, expected {digest[:12]}"
    return check


def zip_holding(source: Path) -> Check:
    """A ZIP download holds the uploaded data file, byte for byte."""
    want = source.read_bytes()

    def check(answer: httpx.Response) -> str | None:
        if answer.status_code != 200:
            return f"HTTP {answer.status_code}"
        try:
            with zipfile.ZipFile(io.BytesIO(answer.content)) as z:
                if not any(z.read(n) == want for n in z.namelist() if n.endswith(".csv")):
                    return f"no member equals {source.name}"
        except zipfile.BadZipFile as e:
            return f"not a ZIP: {e}"
        return None
    return check


def query_rows(meta: dict[str, Any], source: Path,
               keep: Callable[[dict[str, str]], bool] = lambda r: True,
               page_of_many: bool = False) -> Check:
    """A query answer holds exactly the CSV's rows that `keep` selects; for one page of
    many (`page_of_many`), every row on it is one of them and the total is right."""
    decoder = Decoder(meta)
    want = expected(source, decoder, keep)
    wanted = set(want)

    def check(answer: httpx.Response) -> str | None:
        if answer.status_code != 200:
            return f"HTTP {answer.status_code}"
        data = answer.json()
        if data["paging"]["totalResults"] != len(want):
            return f"totalResults {data['paging']['totalResults']}, expected {len(want)}"
        got = sorted(decoder.row(r) for r in data["results"])
        if page_of_many:
            return None if got and set(got) <= wanted else "rows not in the CSV"
        return None if got == want else "rows differ from the CSV"
    return check


class Embargoed:
    """404 before `moment` (never a byte early); after it, `then` decides.

    A request sent just before the moment may be answered just after it, so a 404 is
    only wrong well after the moment. Counts what it saw on each side, so a test can
    show that the moment fell inside the run.
    """

    def __init__(self, moment: datetime, then: Check) -> None:
        self.moment = moment
        self.then = then
        self.before = 0  # 404s
        self.after = 0  # 200s

    def __call__(self, answer: httpx.Response) -> str | None:
        now = datetime.now(UTC)
        if answer.status_code == 200 and now < self.moment:
            return f"published early: 200 at {now.isoformat()} before {self.moment.isoformat()}"
        if answer.status_code == 404:
            self.before += 1
            late = (now - self.moment).total_seconds()
            return f"still 404 {late:.1f} s after publication" if late > 5 else None
        self.after += 1
        return self.then(answer)
