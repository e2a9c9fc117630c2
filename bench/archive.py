"""What the signed web archive costs a capture: capture time with and without `archive.wacz`, as a ratio.

Captures the demo marketplace's item pages through the same BrowserFetcher and save_snapshot a run uses, each page
twice in turn (once without the archive, once with it: recorded, packaged by the `wacz` library, signed), so the
machine's drift falls on both alike; the figure is the ratio of the medians:

    archive_capture_ratio = median capture time with the WACZ / median without   (aim <= 1.3)

No time-stamping authority is asked (its round trip is the authority's, not ours). Results go to bench/results.json.

Usage: .venv/bin/python bench/archive.py [--captures 120]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from auditor.crawl.addresses import AddressPolicy  # noqa: E402
from auditor.crawl.browser import BrowserFetcher  # noqa: E402
from auditor.demo import generate, serve_demo  # noqa: E402
from auditor.evidence.files import save_snapshot  # noqa: E402

RESULTS = ROOT / "bench" / "results.json"


async def timed(urls: list[str], root: Path, allow: str) -> dict[bool, list[float]]:
    took: dict[bool, list[float]] = {False: [], True: []}
    key = root / "key.pem"
    async with BrowserFetcher(concurrency=1, policy=AddressPolicy.allowing(allow)) as browser:
        for i, url in enumerate(urls):
            for archive in ((False, True) if i % 2 else (True, False)):
                began = time.perf_counter()
                snap = await browser.snapshot(url, ready_selector=None, timeout=30, block="main.ProductDetail",
                                              archive=archive)
                await asyncio.to_thread(save_snapshot, root, "demo_auction", f"x{i}", snap, datetime.now(timezone.utc),
                                        title="listing", key_path=key)
                took[archive].append(time.perf_counter() - began)
    return took


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--captures", type=int, default=120)
    args = ap.parse_args()
    catalog = generate(7, 300)
    items = [f"/auction/item/{x.item_id}" for x in catalog.section("auction")]
    with serve_demo(catalog) as server, tempfile.TemporaryDirectory() as tmp:
        urls = [server.url + items[i % len(items)] for i in range(args.captures)]
        took = asyncio.run(timed(urls, Path(tmp), server.url.split("//", 1)[1]))
    without, with_ = statistics.median(took[False]), statistics.median(took[True])
    ratio = with_ / without
    print(f"{args.captures} pages, each captured with and without the archive")
    print(f"  without: {without * 1000:6.1f} ms   with archive.wacz: {with_ * 1000:6.1f} ms   "
          f"archive_capture_ratio = {ratio:.2f} (aim <= 1.3)")
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results.update({"archive_capture_ms": round(with_ * 1000, 1), "plain_capture_ms": round(without * 1000, 1),
                    "archive_capture_ratio": round(ratio, 3)})
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
