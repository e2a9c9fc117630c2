"""The review console's speed: the queue page over 10,000 open cases, and one case view.

Fills a database with 10,000 flagged listings open in the picture (as runs leave them), serves the app
with uvicorn on 127.0.0.1, signs in, and times requests from a client in the same run. The baseline
is the least any such page needs: the same rows read from SQLite and dumped as JSON.

    .venv/bin/python bench/console.py [--cases 10000]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
import uvicorn  # noqa: E402

from auditor.config import Config  # noqa: E402
from auditor.models import Hit, Listing, Match  # noqa: E402
from auditor.review.users import add_user  # noqa: E402
from auditor.run.settle import settle_run  # noqa: E402
from auditor.serve.app import create_app  # noqa: E402
from auditor.store import Store  # noqa: E402

RESULTS = Path(__file__).with_name("results.json")
T0 = datetime(2026, 11, 24, 21, 0, tzinfo=timezone.utc)
RULES = [("ai_poster.label", "high"), ("ai_poster.sold_as_print", "critical")]


def fill(store: Store, cases: int) -> None:
    run = store.start_run(T0, ["bench"], [], kind="scheduled")
    with store.write():
        for i in range(cases):
            title = f"【AI美女】オリジナル アートポスター A3 光沢紙 No.{i}"
            x = Listing("demo_auction", f"x{i}", f"https://auctions.example/item/x{i}", title,
                        description="AIで生成したオリジナル作品です。A3光沢紙に印刷して発送します。", price=Decimal(2000 + i % 50 * 100),
                        currency="JPY", bids=i % 7, seller_id=f"seller{i % 97}", seller_name=f"出品者{i % 97}",
                        end_time=T0 + timedelta(hours=i % 200), status="active")
            hits = [Hit(rid, rid, sev, (), (Match("title", "AI美女", 1, 5),)) for rid, sev in RULES]
            store.record_listing(run, "bench", x, hits, T0)
    store.record_target(run, "bench", complete=True, reason=None, pages_ok=cases, pages_failed=0, listings=cases)
    settle_run(store, run, ["bench"], "scheduled", T0)


def timed(fn, rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=15)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        config = Config(database=Path(tmp) / "bench.db", reports_dir=Path(tmp) / "reports", log_file=None)
        with Store(config.database) as store:
            t = time.perf_counter()
            fill(store, args.cases)
            print(f"filled {args.cases:,} open cases in {time.perf_counter() - t:.1f} s")
            add_user(store, "bench", "reviewer", "a long bench password", T0)

            def baseline_queue() -> None:
                json.dumps(store.open_cases(), ensure_ascii=False)

            def baseline_case() -> None:
                json.dumps([list(store.listings_by_key([("demo_auction", "x5000")]).values()), store.picture_row("demo_auction", "x5000"),
                            store.observations_of("demo_auction", "x5000"), store.state_history("demo_auction", "x5000"),
                            store.decisions_for("demo_auction", "x5000")], ensure_ascii=False, default=str)

            base_queue = statistics.median(timed(baseline_queue, args.rounds))
            base_case = statistics.median(timed(baseline_case, args.rounds))
        server = uvicorn.Server(uvicorn.Config(create_app(config), host="127.0.0.1", port=0, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
        with httpx.Client(base_url=url, timeout=60) as c:
            c.post("/login", data={"name": "bench", "password": "a long bench password"})
            assert c.get("/queue").status_code == 200
            queue_ms = statistics.median(timed(lambda: c.get("/queue").raise_for_status(), args.rounds))
            case_ms = statistics.median(timed(lambda: c.get("/case?site=demo_auction&item=x5000").raise_for_status(),
                                              args.rounds))
            filtered_ms = statistics.median(timed(lambda: c.get("/queue?text=ＡＩ美女 No.50").raise_for_status(), 5))
        server.should_exit = True
        thread.join(10)
    print(f"queue page over {args.cases:,} open cases: {queue_ms:.0f} ms (baseline: rows read and dumped as JSON "
          f"{base_queue:.0f} ms; {queue_ms / base_queue:.1f}x); with a text filter {filtered_ms:.0f} ms (aim < 300 ms)")
    print(f"case view: {case_ms:.0f} ms (baseline {base_case:.1f} ms; {case_ms / base_case:.1f}x) (aim < 100 ms)")
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results.update({"queue_page_ms": round(queue_ms), "queue_baseline_ms": round(base_queue),
                    "queue_vs_baseline": round(queue_ms / base_queue, 1), "queue_filtered_ms": round(filtered_ms),
                    "case_view_ms": round(case_ms), "case_baseline_ms": round(base_case, 1), "console_cases": args.cases,
                    "console_machine": f"{platform.machine()}, Python {platform.python_version()}"})
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
