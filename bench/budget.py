"""Crawl budget: the item requests a week of daily runs costs, read in full and incrementally, on the same days.

A demo auction world of N listings (default 20,000) over D days (default 7) with about 3 % daily churn: new
listings, removals, sales, price and bid changes, two evasions a day, and one rule added on day 4. Each day
the same world is served twice on 127.0.0.1 and audited twice by the real crawler into two databases: once
with `--full` (every item page) and once incrementally (issue 30). Prints and writes to bench/results.json:

  budget_requests_ratio   full / incremental item requests over days 2..D (aim >= 5)
  budget_all_requests_ratio   the same with the search pages, which both read
  budget_state_recall     share of the full run's listing states the incremental run gives too (aim 1.00)
  budget_full_hours_per_day / budget_incremental_hours_per_day   each run's requests (item and search) at 1/s, days 2..D

    .venv/bin/python bench/budget.py [--listings 20000] [--days 7]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from auditor.config import Config, CrawlSettings, EvidenceSettings, Target  # noqa: E402
from auditor.demo import serve_demo  # noqa: E402
from auditor.demo.catalog import Catalog, _make, generate, sellers_of  # noqa: E402
from auditor.demo.hosting import SCHEME  # noqa: E402
from auditor.run.pipeline import AuditOptions, run_audit  # noqa: E402
from auditor.store import Store  # noqa: E402

RESULTS = Path(__file__).with_name("results.json")
ROOT = Path(__file__).resolve().parent.parent
START = datetime(2026, 11, 24, 21, tzinfo=timezone.utc)  # 06:00 JST
TARGET = Target(name="demo-auction", site="demo_auction", start_urls=[f"{SCHEME}/auction/search"],
                requests_per_second=1000, images="none")
ADDED_RULE = ("rules:\n  - id: added.graded\n    title: a rule added on day 4\n    severity: low\n    selections:\n"
              "      term:\n        fields: [description]\n        keywords: [鑑定品]\n")


def auction_only(catalog: Catalog) -> Catalog:
    return Catalog(catalog.seed, [x for x in catalog.listings if x.section == "auction"], catalog.sellers)


def next_day(catalog: Catalog, n: int, churn: float) -> Catalog:
    """The day after: about `churn` of the listings new, removed, sold or repriced, and two evasions."""
    rng = random.Random(1000 + n)
    today = START + timedelta(days=n - 1)
    items = list(catalog.listings)
    up = [i for i, x in enumerate(items) if x.status == "active"]
    rng.shuffle(up)
    k = max(1, int(len(items) * churn / 4))
    removed = set(up[:k])
    for i in up[k:2 * k]:
        items[i] = replace(items[i], status="sold", end_time=today - timedelta(hours=1))
    for i in up[2 * k:3 * k]:
        items[i] = replace(items[i], bids=items[i].bids + 1, price=items[i].price + 100)
    for i in [i for i in up[3 * k:] if items[i].expected_rules][:2]:
        items[i] = replace(items[i], title=f"【生成美人】オリジナル アートポスター No.{rng.randrange(999)}",
                           description="オリジナル作品です。", tags=(), labels=(), expected_rules=frozenset())
    items = [x for i, x in enumerate(items) if i not in removed]
    heavy, ordinary = sellers_of(catalog.seed)
    first = max(int(x.item_id[1:]) for x in catalog.listings) + 1
    for j in range(k):
        kind = "flagged" if j % 10 == 0 else "ordinary"
        x = _make(rng, j, kind, rng.randrange(100), heavy, ordinary, today)
        items.append(replace(x, section="auction", item_id=f"x{first + j}", status="active",
                             end_time=today + timedelta(days=3)))
    return Catalog(catalog.seed, items, catalog.sellers)


def audit(config: Config, catalog: Catalog, at: datetime, full: bool) -> tuple[int, int, dict, float]:
    """(item requests, search requests, the run's listing states, seconds) of one audit of the day's world."""
    with serve_demo(catalog) as server:
        def hosts(_targets):
            from contextlib import nullcontext
            return nullcontext({SCHEME: server.url})

        began = time.perf_counter()
        with Store(config.database) as store:
            s = run_audit(config, store, AuditOptions(targets=[TARGET], kind="scheduled", hosts=hosts, full=full,
                                                      clock=lambda: at, write_report=False))
            states = {(r["site"], r["item_id"]): r["state"] for r in store.states_of_run(s.run_id)}
        seconds = time.perf_counter() - began
        items = sum(1 for p in server.requests if p.startswith("/auction/item/"))
        return items, sum(1 for p in server.requests if p.startswith("/auction/search")), states, seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--listings", type=int, default=20_000)
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--churn", type=float, default=0.03)
    ap.add_argument("--flagged", type=float, default=0.03, help="share of the first day's listings that are flagged "
                    "(the demo's own sixth is a showcase; a real venue's share is far lower)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        rules = tmp / "rules"
        rules.mkdir()
        for f in (ROOT / "rules").glob("*.yaml"):
            (rules / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
        configs = {mode: Config(database=tmp / f"{mode}.db", reports_dir=tmp / f"reports-{mode}", rules_dir=rules,
                                evidence=EvidenceSettings(enabled=False),
                                crawl=CrawlSettings(requests_per_second=1000, max_pages_per_target=10 * args.listings,
                                                    allow_addresses=["127.0.0.1"], retries=0))
                   for mode in ("full", "incremental")}
        catalog = auction_only(generate(7, args.listings * 3 // 2, START, flagged_share=args.flagged))
        spent = {"full": [], "incremental": []}  # item requests per day
        searched = {"full": [], "incremental": []}  # search requests per day (the same pages for both, bar a stop)
        agree = total = 0
        for day in range(1, args.days + 1):
            if day > 1:
                catalog = next_day(catalog, day, args.churn)
            if day == 4:
                (rules / "added.yaml").write_text(ADDED_RULE, encoding="utf-8")
            at = START + timedelta(days=day - 1)
            got = {}
            for mode, config in configs.items():
                items, searches, states, seconds = audit(config, catalog, at, full=mode == "full")
                spent[mode].append(items)
                searched[mode].append(searches)
                got[mode] = states
                print(f"day {day} {mode:>11}: {items:>6} item + {searches} search requests, {len(states)} states, "
                      f"{seconds:.0f} s", flush=True)
            keys = set(got["full"]) | set(got["incremental"])
            differ = sorted(k for k in keys if got["full"].get(k) != got["incremental"].get(k))
            for k in differ[:5]:
                print(f"  {k[1]}: full {got['full'].get(k)}, incremental {got['incremental'].get(k)}", flush=True)
            agree += len(keys) - len(differ)
            total += len(keys)
    later = slice(1, None)
    ratio = sum(spent["full"][later]) / max(1, sum(spent["incremental"][later]))
    recall = agree / total if total else 1.0
    all_ratio = sum(spent["full"][later] + searched["full"][later]) / max(
        1, sum(spent["incremental"][later] + searched["incremental"][later]))
    per_day = {m: (sum(v[later]) + sum(searched[m][later])) / max(1, len(v) - 1) / 3600 for m, v in spent.items()}
    print(f"listings {len(catalog.listings)}, days {args.days}: full / incremental item requests (days 2..) = "
          f"{ratio:.2f} ({all_ratio:.2f} with the search pages); "
          f"states agreeing {recall:.4f}; at 1 request/s a day costs {per_day['full']:.2f} h full, "
          f"{per_day['incremental']:.2f} h incremental")
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results.update({"budget_listings": len(catalog.listings), "budget_days": args.days,
                    "budget_requests_ratio": round(ratio, 2), "budget_all_requests_ratio": round(all_ratio, 2),
                    "budget_state_recall": round(recall, 4),
                    "budget_full_hours_per_day": round(per_day["full"], 2),
                    "budget_incremental_hours_per_day": round(per_day["incremental"], 2)})
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
