"""Image signals: PDQ speed, the bank index against a linear scan, and what fetching images costs a crawl.

Each figure has its baseline measured in the same run:

    pdq_per_s           PDQ hashes per second on the demo's poster images, decode included
    pdq_vs_decode       time to hash / time to decode alone (the same bytes)
    bank_lookups_per_s  lookups at distance <= 31 in a bank of 1,000,000 random hashes (multi-index)
    bank_vs_linear      multi-index lookups per second / a numpy linear scan's, same bank, same queries
    bank_mb             memory the loaded bank holds: its hashes and index arrays (aim < 400); bank_load_s the time
                        to index it; images_peak_rss_mb the whole bench process's peak
    images_all_vs_none  demo crawl pages per second with `images: all` / with `images: none`, same run,
                        interleaved rounds (aim >= 0.9: image work must not slow the crawl); the demo
                        marketplace answers from a process of its own, as a marketplace is not in ours

Usage: .venv/bin/python bench/images.py [--bank 1000000] [--listings 600] [--rounds 2]
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import os
import random
import resource
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from auditor.demo.posters import VARIANTS, poster  # noqa: E402
from auditor.images.index import HashIndex  # noqa: E402
from auditor.images.pdq import hash_image  # noqa: E402

RESULTS = ROOT / "bench" / "results.json"


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def bench_pdq(n: int = 200) -> dict:
    images = [poster(f"x{100000 + i}", VARIANTS[i % len(VARIANTS)])[1] for i in range(n)]
    began = time.perf_counter()
    for data in images:
        Image.open(io.BytesIO(data)).convert("RGB").load()
    decode = time.perf_counter() - began
    began = time.perf_counter()
    for data in images:
        hash_image(data)
    pdq = time.perf_counter() - began
    print(f"PDQ: {n / pdq:,.0f} images/s (decode alone {n / decode:,.0f}/s)")
    return {"pdq_per_s": round(n / pdq), "pdq_vs_decode": round(pdq / decode, 2)}


def bench_bank(size: int, queries: int = 2000) -> dict:
    rng = np.random.default_rng(1)
    words = rng.integers(0, 2**64 - 1, size=(size, 4), dtype=np.uint64)
    before = rss_mb()
    began = time.perf_counter()
    index = HashIndex(words)
    load = time.perf_counter() - began
    del words
    held = index.nbytes / 1e6  # what the loaded bank holds
    building = rss_mb() - before
    pick = random.Random(2)
    hexes = []
    for i in range(queries):  # half near a banked hash (0-31 bits off), half anywhere
        w = index.words[pick.randrange(size)].copy() if i % 2 == 0 else rng.integers(0, 2**64 - 1, size=4, dtype=np.uint64)
        for bit in pick.sample(range(256), pick.randrange(0, 32)):
            w[bit // 64] ^= np.uint64(1) << np.uint64(63 - bit % 64)
        hexes.append(b"".join(int(x).to_bytes(8, "big") for x in w).hex())
    began = time.perf_counter()
    found = [index.query(h) for h in hexes]
    mih = queries / (time.perf_counter() - began)
    sample = hexes[:100]
    began = time.perf_counter()
    linear = [index.linear(h) for h in sample]
    scan = len(sample) / (time.perf_counter() - began)
    assert found[:100] == linear, "the index and the scan disagree"
    print(f"bank of {size:,}: indexed in {load:.1f} s, {held:.0f} MB held (the process grew {building:.0f} MB); {mih:,.0f} lookups/s against a linear scan's "
          f"{scan:,.1f}/s ({mih / scan:,.0f}x); {sum(1 for f in found if f)} of {queries} queries matched")
    return {"bank_size": size, "bank_load_s": round(load, 2), "bank_mb": round(held), "bank_lookups_per_s": round(mih),
            "bank_linear_lookups_per_s": round(scan, 1), "bank_vs_linear": round(mih / scan)}


def _serve(listings: int, seed: int, url, stop) -> None:
    from auditor.demo.posters import poster
    from auditor.demo.server import serve_demo
    from auditor.demo.world import DemoWorld

    catalog = DemoWorld(seed, listings).catalog(1)
    for x in catalog.listings:  # drawn before the clock starts: a marketplace serves stored files
        poster(x.design or x.item_id, x.variant, x.sd_metadata)
        for k in range(2, x.images + 1):
            poster(f"{x.item_id}-{k}", "", x.sd_metadata)
    with serve_demo(catalog) as server:
        url.send(server.url)
        stop.recv()


@contextmanager
def demo_elsewhere(listings: int, seed: int):
    """The demo marketplace in a process of its own, as a marketplace is on a machine of its own: its answering
    images must not count as the auditor's work (it still shares the machine's cores)."""
    ctx = multiprocessing.get_context("spawn")
    (url_r, url_w), (stop_r, stop_w) = ctx.Pipe(False), ctx.Pipe(False)
    proc = ctx.Process(target=_serve, args=(listings, seed, url_w, stop_r), daemon=True)
    proc.start()
    try:
        url = url_r.recv()

        @contextmanager
        def hosts(targets):
            yield {"demo:": url}

        yield hosts
    finally:
        stop_w.send(True)
        proc.join(10)


def bench_crawl(listings: int, rounds: int) -> dict:
    from auditor.config import Config, CrawlSettings, DemoSettings, EvidenceSettings
    from auditor.demo.hosting import demo_targets
    from auditor.ops.audit import start_audit
    from auditor.run.pipeline import AuditOptions
    from auditor.store import Store

    speeds: dict[str, list[float]] = {"none": [], "all": []}
    for r in range(rounds):
        for mode in ("none", "all") if r % 2 == 0 else ("all", "none"):
            with tempfile.TemporaryDirectory() as tmp:
                config = Config(database=Path(tmp) / "a.db", reports_dir=Path(tmp) / "reports", rules_dir=ROOT / "rules",
                                log_file=None, crawl=CrawlSettings(requests_per_second=500, retries=1),
                                evidence=EvidenceSettings(enabled=False), demo=DemoSettings(listings=listings))
                targets = [t.model_copy(update={"images": mode}) for t in demo_targets()]
                with Store(config.database) as store, demo_elsewhere(listings, config.demo.seed) as hosts:
                    began = time.perf_counter()
                    s = start_audit(config, store, AuditOptions(targets=targets, hosts=hosts, write_report=False))
                    seconds = time.perf_counter() - began
                    images = store.count("listing_images")
            speeds[mode].append(s.pages_ok / seconds)
            print(f"  images: {mode:<4}  {s.pages_ok} pages in {seconds:.1f} s = {s.pages_ok / seconds:.1f} pages/s, "
                  f"{images} listing images", flush=True)
    none, every = max(speeds["none"]), max(speeds["all"])
    print(f"crawl with images: all at {every / none:.2f} of images: none")
    return {"images_crawl_listings": listings, "images_none_pages_per_s": round(none, 1),
            "images_all_pages_per_s": round(every, 1), "images_all_vs_none": round(every / none, 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bank", type=int, default=1_000_000)
    ap.add_argument("--listings", type=int, default=600)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--parts", default="pdq,bank,crawl", help="which figures to measure (comma-separated)")
    args = ap.parse_args()
    parts = set(args.parts.split(","))
    figures = {**(bench_pdq() if "pdq" in parts else {}), **(bench_bank(args.bank) if "bank" in parts else {}),
               **(bench_crawl(args.listings, args.rounds) if "crawl" in parts else {})}
    figures["images_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results.update(figures)
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
