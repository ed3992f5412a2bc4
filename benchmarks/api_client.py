"""The HTTP client of the API benchmark, run as its own process (`run.py --steps api`).

It reads a plan (JSON) on standard input and prints its measurements (JSON) on standard
output, so the servers and the process that started them share nothing with it but the
loopback network. Only the standard library: http.client on persistent HTTP/1.1
connections, threads for the concurrent clients.

Plan: {"servers": {NAME: {"port": P}}, "cases": {CASE: {NAME: [PATH, ...]}},
       "warmup": W, "samples": N, "clients": C, "seconds": S, "throughput": {NAME: [PATH]}}

Latency, per case, on all servers in turn request by request (so that other work on the
machine disturbs them alike): request 0 is timed on its own ("first"; for a case whose
list holds one path it is the only uncached request), then paths 1..W are the warm-up
and the next N requests are timed. Paths are used in turn, wrapping round when the list
is shorter (a one-path list repeats the same request). Throughput, per server: C threads,
each with its own connection, send the throughput paths in turn for S seconds (after a
few untimed requests each, so that every server worker has had its first requests).
"""

from __future__ import annotations

import http.client
import itertools
import json
import statistics
import sys
import threading
import time
from typing import Any


class Client:
    """One persistent connection; `get` returns the status and the whole body."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            self.conn.request("GET", path)
            response = self.conn.getresponse()
            return response.status, response.read()
        except (http.client.HTTPException, OSError):
            # A dropped keep-alive connection: reconnect once and retry.
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            self.conn.request("GET", path)
            response = self.conn.getresponse()
            return response.status, response.read()

    def timed(self, path: str) -> float:
        """Seconds for one request, from sending it to the last byte of the answer."""
        started = time.perf_counter()
        status, body = self.get(path)
        seconds = time.perf_counter() - started
        if status != 200:
            raise SystemExit(f"GET {path}: HTTP {status}: {body[:300]!r}")
        return seconds


def percentile(values: list[float], p: int) -> float:
    """The p-th percentile (inclusive method); the value itself for one value."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def latency(ports: dict[str, int], paths: dict[str, list[str]], warmup: int,
            samples: int) -> dict[str, dict[str, Any]]:
    """One case on every server, interleaved request by request, so that other work on
    the machine disturbs all servers alike."""
    clients = {name: Client(port) for name, port in ports.items()}

    def path(name: str, i: int) -> str:
        return paths[name][i % len(paths[name])]

    first = {name: client.timed(path(name, 0)) for name, client in clients.items()}
    for i in range(1, warmup + 1):
        for name, client in clients.items():
            client.timed(path(name, i))
    times: dict[str, list[float]] = {name: [] for name in clients}
    for i in range(warmup + 1, warmup + 1 + samples):
        for name, client in clients.items():
            times[name].append(client.timed(path(name, i)))
    result = {}
    for name, client in clients.items():
        client.conn.close()
        distinct = len({path(name, i) for i in range(warmup + 1, warmup + 1 + samples)})
        result[name] = {"first_ms": first[name] * 1000,
                        "median_ms": statistics.median(times[name]) * 1000,
                        "p95_ms": percentile(times[name], 95) * 1000,
                        "samples": samples, "distinct": distinct}
    return result


WARMUP_PER_CLIENT = 5  # untimed requests per client thread before the timed window


def throughput(port: int, paths: list[str], clients: int, seconds: float) -> dict[str, Any]:
    """Requests per second of `clients` threads sending `paths` in turn for `seconds`."""
    counter = itertools.count()  # next() on it is atomic under the GIL
    warmed = threading.Barrier(clients + 1)
    start = threading.Barrier(clients + 1)
    lock = threading.Lock()
    times: list[float] = []
    errors: list[str] = []
    deadline = 0.0

    def work() -> None:
        client = Client(port)
        mine: list[float] = []
        for _ in range(WARMUP_PER_CLIENT):  # each worker process has its first requests
            client.get(paths[next(counter) % len(paths)])
        warmed.wait()
        start.wait()
        try:
            while True:
                path = paths[next(counter) % len(paths)]
                sent = time.perf_counter()
                status, _ = client.get(path)
                done = time.perf_counter()
                if done > deadline:
                    break
                if status != 200:
                    with lock:
                        errors.append(f"HTTP {status} for {path}")
                mine.append(done - sent)
        except Exception as e:  # reported, not raised, from a thread
            with lock:
                errors.append(repr(e))
        finally:
            client.conn.close()
            with lock:
                times.extend(mine)

    threads = [threading.Thread(target=work) for _ in range(clients)]
    for t in threads:
        t.start()
    warmed.wait()
    deadline = time.perf_counter() + seconds
    start.wait()
    for t in threads:
        t.join()
    return {"requests": len(times), "seconds": seconds, "rps": len(times) / seconds,
            "median_ms": statistics.median(times) * 1000 if times else None,
            "errors": len(errors), "first_error": errors[0] if errors else None}


def main() -> int:
    plan = json.load(sys.stdin)
    result: dict[str, Any] = {"latency": {}, "throughput": {}}
    ports = {name: server["port"] for name, server in plan["servers"].items()}
    for case, by_server in plan["cases"].items():
        print(f"  latency ({case}) ...", file=sys.stderr, flush=True)
        result["latency"][case] = latency({name: ports[name] for name in by_server},
                                          by_server, plan["warmup"], plan["samples"])
    for name, paths in plan["throughput"].items():
        print(f"  throughput {name}: {plan['clients']} clients, {plan['seconds']:g} s ...",
              file=sys.stderr, flush=True)
        result["throughput"][name] = throughput(
            plan["servers"][name]["port"], paths, plan["clients"], plan["seconds"])
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
