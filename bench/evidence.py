"""Evidence capture over a long run: does Chromium's memory stay flat over thousands of captures?

Captures N item pages of the demo marketplace (full-page screenshot and rendered HTML each, written
to disk as a run writes them) through the same BrowserFetcher a run uses, and samples the memory
(PSS) of this process's whole tree after every capture. The baseline is the same run's first 10 %
of captures; the figure is how much the last 10 % grew over it:

    evidence_mem_growth = mean PSS of the last 10 % / mean PSS of the first 10 % - 1   (aim < 0.20)

Usage: .venv/bin/python bench/evidence.py [--captures 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from crawl import tree_rss  # noqa: E402

from auditor.crawl.addresses import AddressPolicy  # noqa: E402
from auditor.crawl.browser import BrowserFetcher  # noqa: E402
from auditor.demo import generate, serve_demo  # noqa: E402
from auditor.evidence.files import save_snapshot  # noqa: E402

RESULTS = ROOT / "bench" / "results.json"


async def capture_all(urls: list[str], root: Path, allow: str, tabs: int) -> tuple[list[int], float]:
    samples: list[int] = []
    async with BrowserFetcher(concurrency=1, policy=AddressPolicy.allowing(allow)) as browser:
        slots = asyncio.Semaphore(tabs)
        began = time.perf_counter()

        async def one(i: int, url: str) -> None:
            async with slots:
                snap = await browser.snapshot(url, ready_selector=None, timeout=30, tabs=tabs)
                await asyncio.to_thread(save_snapshot, root, "demo_auction", f"x{i}", snap, datetime.now(timezone.utc))
                samples.append(tree_rss(os.getpid()))
                if len(samples) % 200 == 0:
                    print(f"  {len(samples):>5} captures  {samples[-1] / 1e6:7.0f} MB", flush=True)

        await asyncio.gather(*(one(i, u) for i, u in enumerate(urls)))
        return samples, time.perf_counter() - began


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--captures", type=int, default=2000)
    ap.add_argument("--tabs", type=int, default=2, help="captures at once (evidence.concurrency)")
    args = ap.parse_args()
    catalog = generate(7, 600)
    items = [f"/auction/item/{x.item_id}" for x in catalog.section("auction")]
    with serve_demo(catalog) as server, tempfile.TemporaryDirectory() as tmp:
        allow = server.url.split("//", 1)[1]
        urls = [server.url + items[i % len(items)] for i in range(args.captures)]
        print(f"{args.captures:,} captures, {args.tabs} at once; {platform.machine()}, {os.cpu_count()} cores")
        samples, seconds = asyncio.run(capture_all(urls, Path(tmp), allow, args.tabs))
    tenth = max(1, len(samples) // 10)
    first, last = sum(samples[:tenth]) / tenth, sum(samples[-tenth:]) / tenth
    growth = last / first - 1
    print(f"  first 10 %: {first / 1e6:.0f} MB   last 10 %: {last / 1e6:.0f} MB   growth {growth:+.1%} (aim < 20 %)"
          f"   {len(samples) / seconds:.1f} captures/s")
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results.update({"evidence_captures": len(samples), "evidence_first_tenth_mb": round(first / 1e6),
                    "evidence_last_tenth_mb": round(last / 1e6), "evidence_mem_growth": round(growth, 3),
                    "evidence_captures_per_s": round(len(samples) / seconds, 1)})
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
