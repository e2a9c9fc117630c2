"""Beyond one machine: pages per second for 1, 2 and 4 `auditor worker`s, and PostgreSQL against SQLite.

1. Workers. Four demo marketplaces (four hosts) that answer each page after --delay seconds (100 ms: a
   marketplace is not on localhost), their server-rendered auction sections only, evidence and images
   off, rates high enough not to bind. The same audit is done by 1, 2 and 4 worker processes (one job
   at a time each, 4 pages in flight per job) against a throwaway PostgreSQL cluster, a fresh schema
   each, the workers started before the clock:

       workers_4_vs_1 = pages/s with 4 workers / pages/s with 1     (aim >= 3)

2. Stores. The same single-process audit of the demo (both sections, evidence off) on a SQLite file and on
   PostgreSQL (synchronous_commit off, as SQLite's WAL with synchronous=NORMAL), in interleaved rounds:

       postgres_vs_sqlite = median PostgreSQL time / median SQLite time   (aim <= 1.5)

Usage: .venv/bin/python bench/workers.py [--listings 1200] [--delay 0.1] [--rounds 3] [--parts workers,stores]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from auditor.config import Target, load_config  # noqa: E402
from auditor.demo import generate, serve_demo  # noqa: E402
from auditor.ops.audit import start_audit  # noqa: E402
from auditor.run.pipeline import AuditOptions  # noqa: E402
from auditor.store import Store  # noqa: E402
from tests import pgserver  # noqa: E402

RESULTS = ROOT / "bench" / "results.json"
QUIET = {"evidence": {"enabled": False}}


def config_file(folder: Path, database: str, **settings) -> Path:
    data = {"database": database, "reports_dir": str(folder / "reports"), "rules_dir": str(ROOT / "rules"),
            "log_file": None, "data_dir": str(folder / "data"),
            "crawl": {"requests_per_second": 1000, "max_per_host": 8, "http_concurrency": 4, "retries": 1,
                      "allow_addresses": ["127.0.0.1"]},
            **QUIET, **settings}
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def workers_round(cluster, servers, n: int, folder: Path) -> float:
    """Pages per second of one audit over these servers by n workers."""
    folder.mkdir(parents=True)
    path = config_file(folder, cluster.schema_url(), workers={"enabled": True, "batch": 20, "concurrency": 1})
    config = load_config(path)
    Store(config.database).close()  # the schema first, so the workers do not race to make it
    procs = [subprocess.Popen([sys.executable, "-m", "auditor", "--config", str(path), "worker"],
                              stdout=subprocess.DEVNULL, stderr=open(folder / f"worker-{i}.log", "w"),
                              start_new_session=True) for i in range(n)]
    try:
        time.sleep(3)  # the workers are up and listening before the clock starts
        targets = [Target(name=f"host{i}", site="demo_auction", start_urls=[s.url + "/auction/search"], images="none")
                   for i, s in enumerate(servers)]
        with Store(config.database) as store:
            began = time.perf_counter()
            summary = start_audit(config, store, AuditOptions(targets=targets, write_report=False))
            seconds = time.perf_counter() - began
        assert summary.status == "completed", summary
        assert summary.listings_seen == expected(servers), (summary.listings_seen, expected(servers))
        return summary.pages_ok / seconds
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(30)


def expected(servers) -> int:
    return sum(1 for s in servers for x in s.catalog.listings if x.key[0] == "demo_auction")


def bench_workers(args, results: dict) -> None:
    catalogs = [generate(seed=5 + i, size=args.listings, first_id=100000 * (i + 1)) for i in range(4)]  # 4 shops
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        cluster = pgserver.start()
        stack.callback(cluster.stop)
        servers = [stack.enter_context(serve_demo(c, delay=args.delay)) for c in catalogs]
        pages = {}
        for n in (1, 2, 4):
            rates = [workers_round(cluster, servers, n, Path(tmp) / f"w{n}-{r}") for r in range(args.rounds)]
            pages[n] = statistics.median(rates)
            print(f"  {n} worker{'s' * (n > 1)}: {pages[n]:6.1f} pages/s   (rounds: {', '.join(f'{x:.1f}' for x in rates)})",
                  flush=True)
    ratio = pages[4] / pages[1]
    print(f"  workers_4_vs_1 = {ratio:.2f} (aim >= 3)")
    results.update({"workers_pages_per_s": {str(k): round(v, 1) for k, v in pages.items()},
                    "workers_4_vs_1": round(ratio, 2), "workers_delay_s": args.delay,
                    "workers_listings": sum(1 for c in catalogs for x in c.listings if x.key[0] == "demo_auction")})


def store_round(database: str, catalog, folder: Path) -> float:
    folder.mkdir(parents=True)
    config = load_config(config_file(folder, database))
    with serve_demo(catalog) as server, Store(config.database) as store:
        targets = [Target(name="auction", site="demo_auction", start_urls=[server.url + "/auction/search"]),
                   Target(name="flea", site="demo_fleamarket", start_urls=[server.url + "/flea/search"])]
        began = time.perf_counter()
        summary = start_audit(config, store, AuditOptions(targets=targets))
        seconds = time.perf_counter() - began
    assert summary.status == "completed", summary
    return seconds


def bench_stores(args, results: dict) -> None:
    catalog = generate(seed=7, size=args.store_listings)
    times = {"sqlite": [], "postgresql": []}
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        cluster = pgserver.start(durable=True)
        stack.callback(cluster.stop)
        for r in range(args.rounds):
            for kind in ("sqlite", "postgresql"):
                db = str(Path(tmp) / f"s{r}" / "auditor.db") if kind == "sqlite" else cluster.schema_url()
                times[kind].append(store_round(db, catalog, Path(tmp) / f"{kind}-{r}"))
                print(f"  round {r + 1} {kind:10s} {times[kind][-1]:6.1f} s", flush=True)
    ratio = statistics.median(times["postgresql"]) / statistics.median(times["sqlite"])
    print(f"  postgres_vs_sqlite = {ratio:.2f} (aim <= 1.5)")
    results.update({"postgres_vs_sqlite": round(ratio, 2), "stores_listings": args.store_listings,
                    "stores_sqlite_s": round(statistics.median(times["sqlite"]), 1),
                    "stores_postgres_s": round(statistics.median(times["postgresql"]), 1)})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listings", type=int, default=1200, help="catalogue of each demo host (half of it auction)")
    ap.add_argument("--store-listings", type=int, default=600)
    ap.add_argument("--delay", type=float, default=0.1)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--parts", default="workers,stores")
    args = ap.parse_args()
    print(f"beyond one machine; {platform.machine()}, {os.cpu_count()} cores")
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    parts = set(args.parts.split(","))
    if "workers" in parts:
        bench_workers(args, results)
    if "stores" in parts:
        bench_stores(args, results)
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
