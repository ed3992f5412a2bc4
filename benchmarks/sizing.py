"""Sizing: how the catalogue side behaves with many data sets (docs/deployment.md).

Builds two catalogues in one run with the same code and the same small data set (the
demo's E1 pair): a peer of 50 data sets and a large one of --data-sets (default 5,000),
loaded through release manifests of --per-release data sets each, exactly as a publisher
would. Then, for each catalogue, it starts `openstats serve` in a child process and
measures over HTTP:

- load:     seconds per data set to screen, import and record it (the manifest loads)
- start:    seconds from starting the server to its first answer
- pages:    median latency of the data catalogue (first page, and a search), the home
            page, a data-set page and a release page
- api:      median latency of /publications, one publication's data sets, a data set's
            meta and a query
- memory:   the server's peak resident memory after every data-set page was asked for
            once (every version's metadata in the in-process cache)
- disk:     bytes of the data folder and of the catalogue database

Every figure is reported with its ratio to the 50-data-set peer, which says how it grows.
The result table is printed and written into benchmarks/README.md between the sizing
markers (unless --no-readme).

With --generate, the large catalogue is not loaded release by release (hours at 50,000
data sets) but generated: one release of --per-release data sets is loaded for real, and
its rows are copied into as many publications as needed (each version's folder hard-linked
to a real one's files), which is what loading the same files again and again would store.
--database-url puts the catalogue in PostgreSQL instead of SQLite.

Usage: python benchmarks/sizing.py [--data-sets 5000] [--per-release 50] [--samples 20]
       python benchmarks/sizing.py --data-sets 50000 --generate [--database-url URL]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OUT = HERE / "out" / "sizing"
README = HERE / "README.md"
START, END = "<!-- sizing-results -->", "<!-- /sizing-results -->"
DEMO = REPO / "src" / "openstats" / "demo"
OPENSTATS = str(Path(sys.executable).with_name("openstats"))
STOP_WAIT = 120.0  # seconds a server may take to stop before it is killed (and reported)


@dataclass
class Measured:
    data_sets: int
    load_seconds: float = 0.0
    start_seconds: float = 0.0
    latency_ms: dict[str, float] = field(default_factory=dict)
    peak_rss_mb: float = 0.0
    stop_seconds: float = 0.0  # from SIGTERM to the server's exit (killed after STOP_WAIT)
    data_mb: float = 0.0
    database_mb: float = 0.0


def manifest(publication: int, data_sets: range) -> str:
    parts = [f"""
[theme]
title = "Theme {publication % 10}"

[publication]
title = "Publication {publication:05d}"
slug = "publication-{publication:05d}"
summary = "Sizing publication {publication}."

[publication.contact]
team_name = "Sizing team"
team_email = "sizing@example.org"

[release]
title = "Reporting year 2024"
slug = "2024"
type = "Official statistics"
published = 2024-06-13T09:30:00Z
"""]
    for n in data_sets:
        parts.append(f"""
[[data_sets]]
id = "00000000-0000-4000-8000-{n:012d}"
title = "Data set {n:05d} re-referrals"
summary = "Copy {n} of the E1 re-referrals data set."
data = "{DEMO / 'e1_re_referrals.csv'}"
meta = "{DEMO / 'e1_re_referrals.meta.csv'}"
""")
    return "".join(parts)


def folder_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def median_ms(http: httpx.Client, path: str, samples: int) -> float:
    http.get(path).raise_for_status()  # warm
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        http.get(path).raise_for_status()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def peak_rss_mb(pid: int) -> float:
    """VmHWM of the server and its children (uvicorn may fork workers)."""
    total = 0.0
    pids = [pid] + [int(p) for p in subprocess.run(
        ["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()]
    for p in pids:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1]) / 1024
    return total


def build(count: int, per_release: int, folder: Path, resume: bool = False) -> Measured:
    """Load the catalogue release by release; `resume` carries on after an interruption
    (loads.txt records each loaded release and its seconds)."""
    log = folder / "loads.txt"
    if not resume:
        shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    done = dict(line.split() for line in log.read_text().splitlines()) if log.exists() else {}
    env = {**os.environ, "OPENSTATS_DATA_DIR": str(folder / "data"),
           "OPENSTATS_DATABASE_URL": ""}
    m = Measured(count)
    for publication, first in enumerate(range(0, count, per_release)):
        path = folder / f"release-{publication:05d}.toml"
        if path.name in done:
            continue
        path.write_text(manifest(publication, range(first, min(first + per_release, count))))
        started = time.perf_counter()
        subprocess.run([OPENSTATS, "load", str(path)], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        done[path.name] = f"{time.perf_counter() - started:.3f}"
        with log.open("a") as f:
            f.write(f"{path.name} {done[path.name]}\n")
        if publication % 10 == 9:
            print(f"  {min(first + per_release, count):,} data sets loaded", flush=True)
    m.load_seconds = sum(float(v) for v in done.values()) / count
    m.data_mb = folder_mb(folder / "data")
    m.database_mb = (folder / "data" / "catalogue.sqlite").stat().st_size / 1e6
    return m


def schema_for(database_url: str, count: int) -> str:
    """A new empty PostgreSQL schema for one catalogue: its URL."""
    from sqlalchemy import create_engine, text

    name = f"sizing_{count}"
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    engine.dispose()
    joiner = "&" if "?" in database_url else "?"
    return f"{database_url}{joiner}options=-csearch_path%3D{name}"


def generate(count: int, per_release: int, folder: Path, database_url: str) -> Measured:
    """Load the first release for real, then copy its rows until there are `count` data
    sets (see the module docstring). The copies' SQL is written here, in the benchmark,
    because no part of openstats makes catalogue rows without files."""
    import json
    import uuid
    from datetime import UTC, datetime

    from sqlalchemy import create_engine, insert, select

    from openstats.catalogue import schema as t

    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    env = {**os.environ, "OPENSTATS_DATA_DIR": str(folder / "data"),
           "OPENSTATS_DATABASE_URL": database_url}
    first = folder / "release-00000.toml"
    first.write_text(manifest(0, range(0, min(per_release, count))))
    started = time.perf_counter()
    subprocess.run([OPENSTATS, "load", str(first)], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    m = Measured(count)
    m.load_seconds = (time.perf_counter() - started) / min(per_release, count)
    url = database_url or f"sqlite:///{folder / 'data' / 'catalogue.sqlite'}"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    engine = create_engine(url)
    versions_dir = folder / "data" / "files" / "versions"
    with engine.begin() as conn:
        template = conn.execute(select(t.data_set_versions)).mappings().first()
        rv = conn.execute(select(t.release_versions)).mappings().one()
        themes = {r.slug: r.id for r in conn.execute(select(t.themes))}
        assert template is not None
        source = versions_dir / template["storage_key"]
        now = datetime.now(UTC)
        for publication in range(1, -(-count // per_release)):
            theme_slug = f"theme-{publication % 10}"
            if theme_slug not in themes:
                themes[theme_slug] = str(uuid.uuid4())
                conn.execute(insert(t.themes).values(
                    id=themes[theme_slug], title=f"Theme {publication % 10}", slug=theme_slug,
                    summary=""))
            pub_id, release_id, rv_id = (str(uuid.uuid4()) for _ in range(3))
            title = f"Publication {publication:05d}"
            conn.execute(insert(t.publications).values(
                id=pub_id, theme_id=themes[theme_slug], title=title,
                slug=f"publication-{publication:05d}", summary=f"Sizing publication {publication}.",
                contact_team_name="Sizing team", contact_team_email="sizing@example.org",
                contact_name="", contact_telephone=""))
            conn.execute(insert(t.releases).values(id=release_id, publication_id=pub_id,
                                                   slug="2024", created=now))
            conn.execute(insert(t.release_versions).values(
                {**{k: rv[k] for k in rv.keys()}, "id": rv_id, "release_id": release_id,
                 "theme_id": themes[theme_slug], "publication_title": title,
                 "publication_summary": f"Sizing publication {publication}."}))
            sets, versions, entries = [], [], []
            for n in range(publication * per_release, min((publication + 1) * per_release,
                                                          count)):
                ds_id, key = f"00000000-0000-4000-8000-{n:012d}", str(uuid.uuid4())
                (versions_dir / key).mkdir()
                for f in source.iterdir():
                    os.link(f, versions_dir / key / f.name)
                sets.append({"id": ds_id, "publication_id": pub_id,
                             "title": f"Data set {n:05d} re-referrals", "created": now})
                versions.append({**{k: template[k] for k in template.keys()}, "id": key,
                                 "data_set_id": ds_id, "storage_key": key})
                entries.append({"release_version_id": rv_id, "data_set_id": ds_id,
                                "version_id": key, "title": f"Data set {n:05d} re-referrals",
                                "summary": f"Copy {n} of the E1 re-referrals data set.",
                                "footnotes": json.dumps([]), "position": n % per_release})
            conn.execute(insert(t.data_sets), sets)
            conn.execute(insert(t.data_set_versions), versions)
            conn.execute(insert(t.release_data_sets), entries)
            if publication % 100 == 0:
                print(f"  {publication * per_release:,} data sets generated", flush=True)
        bump = t.catalogue_state.update().values(generation=t.catalogue_state.c.generation + 1)
        conn.execute(bump)
    engine.dispose()
    # The catalogue's listing of data sets is derived from the rows: rebuild it.
    subprocess.run([OPENSTATS, "db", "reindex"], env=env, check=True, stdout=subprocess.DEVNULL)
    m.data_mb = folder_mb(folder / "data")
    sqlite = folder / "data" / "catalogue.sqlite"
    m.database_mb = sqlite.stat().st_size / 1e6 if sqlite.exists() else postgres_mb(url, count)
    return m


def postgres_mb(url: str, count: int) -> float:
    """Tables and indexes of one sizing catalogue's PostgreSQL schema (schema_for), in MB."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        size = conn.execute(text(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = :schema AND c.relkind = 'r'"), {"schema": f"sizing_{count}"})
        mb = float(size.scalar_one()) / 1e6
    engine.dispose()
    return mb


def serve_and_measure(m: Measured, folder: Path, samples: int, per_release: int,
                      database_url: str = "") -> None:
    env = {**os.environ, "OPENSTATS_DATA_DIR": str(folder / "data"),
           "OPENSTATS_DATABASE_URL": database_url,
           "OPENSTATS_RATE_LIMIT": "0"}  # one fast client
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen([OPENSTATS, "serve", "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                if httpx.get(base + "/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.02)
        m.start_seconds = time.perf_counter() - started
        last = m.data_sets - 1
        data_set = f"00000000-0000-4000-8000-{last:012d}"
        with httpx.Client(base_url=base, timeout=600) as http:
            cases = {
                "data catalogue, first page": "/data-catalogue",
                "data catalogue, search": "/data-catalogue?search=re-referrals",
                "data catalogue, a question": "/data-catalogue?search=referrals+of+CINO+"
                                              "in+England+in+2017",
                "home page": "/",
                "data-set page": f"/data-catalogue/data-set/{data_set}",
                "release page": f"/find-statistics/publication-{last // per_release:05d}/2024",
                "API /publications": "/api/v1/publications?pageSize=20",
                "API data set meta": f"/api/v1/data-sets/{data_set}/meta",
                "API query": f"/api/v1/data-sets/{data_set}/query",
            }
            # The catalogue's first answer reads every version's metadata: time it cold.
            cold = time.perf_counter()
            http.get("/data-catalogue").raise_for_status()
            m.latency_ms["data catalogue, cold"] = (time.perf_counter() - cold) * 1000
            for name, path in cases.items():
                m.latency_ms[name] = median_ms(http, path, samples)
            # Answers are shared by everyone asking the same at the same moment, so the
            # medians above are mostly served from the listing's cache: these ask
            # something new each time (a search for one data set's number; a search
            # matching every data set, after a new release has moved the moment).
            times = []
            for n in range(samples):
                started = time.perf_counter()
                http.get(f"/data-catalogue?search={n * 7 % m.data_sets:05d}").raise_for_status()
                times.append(time.perf_counter() - started)
            m.latency_ms["data catalogue, a new search each time"] = statistics.median(
                times) * 1000
            times = []
            for n in range(samples):  # a question read afresh each time (a new year)
                started = time.perf_counter()
                http.get(f"/data-catalogue?search=referrals+of+CINO+in+England+in+"
                         f"{2000 + n}").raise_for_status()
                times.append(time.perf_counter() - started)
            m.latency_ms["data catalogue, a new question each time"] = statistics.median(
                times) * 1000
            publications = http.get("/api/v1/publications?pageSize=1").json()
            total = publications["paging"]["totalResults"]
            m.latency_ms["API one publication's data sets"] = median_ms(
                http, f"/api/v1/publications/{publications['results'][0]['id']}/data-sets",
                samples)
            if total != -(-m.data_sets // per_release):
                raise SystemExit(f"{total} publications listed, expected "
                                 f"{-(-m.data_sets // per_release)}")
            for n in range(0, m.data_sets, max(1, m.data_sets // 200)):
                http.get(f"/data-catalogue/data-set/00000000-0000-4000-8000-{n:012d}")
        m.peak_rss_mb = peak_rss_mb(process.pid)
    finally:
        # How long a graceful stop takes is a figure too (at 50,000 data sets on a loaded
        # machine it once took over 30 s): timed, and the server killed if it never ends.
        stopping = time.perf_counter()
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_WAIT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        m.stop_seconds = time.perf_counter() - stopping


def ratio(big: float, small: float) -> str:
    return f"{big / small:.2f}x" if small else "-"


def report(peer: Measured, big: Measured, database: str) -> str:
    lines = [f"Catalogues of {peer.data_sets:,} and {big.data_sets:,} data sets "
             f"(the demo's E1 pair each, in releases of up to 50), {database} + local "
             "folder, one server process; medians of repeated requests over loopback.", "",
             f"| figure | {peer.data_sets:,} data sets | {big.data_sets:,} data sets | ratio |",
             "|---|---:|---:|---:|",
             f"| load, s per data set | {peer.load_seconds:.3f} | {big.load_seconds:.3f} | "
             f"{ratio(big.load_seconds, peer.load_seconds)} |",
             f"| server start, s | {peer.start_seconds:.2f} | {big.start_seconds:.2f} | "
             f"{ratio(big.start_seconds, peer.start_seconds)} |",
             f"| server stop (SIGTERM to exit), s | {peer.stop_seconds:.2f} | "
             f"{big.stop_seconds:.2f} | {ratio(big.stop_seconds, peer.stop_seconds)} |"]
    for name in big.latency_ms:
        a, b = peer.latency_ms[name], big.latency_ms[name]
        lines.append(f"| {name}, ms | {a:.1f} | {b:.1f} | {ratio(b, a)} |")
    lines += [f"| server peak memory, MB | {peer.peak_rss_mb:.0f} | {big.peak_rss_mb:.0f} | "
              f"{ratio(big.peak_rss_mb, peer.peak_rss_mb)} |",
              f"| data folder, MB | {peer.data_mb:.1f} | {big.data_mb:.1f} | "
              f"{ratio(big.data_mb, peer.data_mb)} |",
              f"| catalogue database, MB | {peer.database_mb:.2f} | {big.database_mb:.2f} | "
              f"{ratio(big.database_mb, peer.database_mb)} |"]
    return "\n".join(lines)


def write_readme(section: str) -> None:
    text = README.read_text()
    block = f"{START}\n{section}\n{END}"
    if START in text:
        head, rest = text.split(START, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip() + "\n\n## Sizing: many data sets\n\n" + block + "\n"
    README.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-sets", type=int, default=5000)
    parser.add_argument("--per-release", type=int, default=50)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--no-readme", action="store_true")
    parser.add_argument("--resume", action="store_true",
                        help="carry on loading catalogues left by an interrupted run")
    parser.add_argument("--generate", action="store_true",
                        help="generate the large catalogue's rows instead of loading them")
    parser.add_argument("--database-url", default="",
                        help="PostgreSQL URL (one empty schema each run); default SQLite")
    args = parser.parse_args(argv)
    results = []
    for count in (50, args.data_sets):
        print(f"Building a catalogue of {count:,} data sets ...", flush=True)
        folder = OUT / str(count)
        url = schema_for(args.database_url, count) if args.database_url else ""
        if args.generate:
            m = generate(count, args.per_release, folder, url)
        else:
            m = build(count, args.per_release, folder, args.resume)
        serve_and_measure(m, folder, args.samples, args.per_release, url)
        results.append(m)
    section = report(*results, "PostgreSQL" if args.database_url else "SQLite")
    print(section)
    if not args.no_readme:
        write_readme(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
