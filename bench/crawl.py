"""Crawl speed and memory: auditor's audit against crawlee's PlaywrightCrawler and a bare httpx loop.

Generates the demo marketplace at a given size, serves it on 127.0.0.1 from this process, and runs
each contender in a process of its own over the same pages (the server-rendered auction section:
its search pages and item pages), sampling the resident memory of that process and every process
it starts (browsers included):

  auditor http      the full audit (crawl + parse + match + store), pages fetched with httpx
  auditor browser   the same, every page through headless Chromium (tabs reused, resources blocked)
  auditor adaptive  the default: HTTP for this section, and, as a second line, both sections
                    (the flea-market section renders in the browser)
  crawlee           crawlee-python's PlaywrightCrawler, in its own virtualenv (bench/.venv-crawlee,
                    installed on first use), same Chromium, extracting the title of each item
  floor             a bare sequential httpx + BeautifulSoup (lxml) loop: the least any crawler does

Then the adaptive audit at 1,000, 10,000 and 50,000 listings for how time and memory grow. The
report is written apart from the crawl and timed apart. Prints pages/s, peak RSS and the ratios;
writes them into bench/results.json.

Then the same side by side (floor, http, browser, crawlee) on a second site of another shape (bench/shop.py:
525 pages, item pages of ~30 KB with 30 related links and inline JSON, read by the schema_org profile).

    .venv/bin/python bench/crawl.py [--size 1000] [--scale 1000,10000,50000] [--no-crawlee] [--no-shop] [--no-demo]

BENCH_TABS=N sets the browser's tabs (default: browser.concurrency 0, from the machine).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import nullcontext
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

RESULTS = Path(__file__).with_name("results.json")
CRAWLEE_VENV = Path(__file__).with_name(".venv-crawlee")

CRAWLEE_SCRIPT = r'''
import asyncio, json, sys, time
from crawlee.crawlers import PlaywrightCrawler, PlaywrightCrawlingContext

start_urls, executable, shape = json.loads(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
pages = {"search": 0, "item": 0, "titles": 0}

async def main():
    crawler = PlaywrightCrawler(headless=True, browser_type="chromium",
                                browser_launch_options={"executable_path": executable, "chromium_sandbox": False,
                                                        "args": ["--disable-gpu", "--disable-dev-shm-usage"]},
                                max_requests_per_crawl=10**7)

    @crawler.router.default_handler
    async def handle(context: PlaywrightCrawlingContext) -> None:
        if shape["item_path"] in context.request.url:
            pages["item"] += 1
            title = await context.page.locator(shape["title"]).text_content()
            pages["titles"] += bool(title)
        else:
            pages["search"] += 1
            await context.enqueue_links(selector=shape["items"])
            if shape.get("next"):
                await context.enqueue_links(selector=shape["next"])

    t = time.perf_counter()
    await crawler.run(start_urls)
    print(json.dumps({"pages": pages["search"] + pages["item"], "seconds": time.perf_counter() - t,
                      "listings": pages["titles"]}))

asyncio.run(main())
'''
SHAPES = {  # what crawlee and the floor look for on each site
    "demo": {"item_path": "/auction/item/", "title": "h1.ProductTitle__text", "items": "a.Product__titleLink",
             "next": "a.Pager__link[rel=next]"},
    "shop": {"item_path": "/shop/item/", "title": "h1.name", "items": "a.item", "next": None},
}


# --- the contenders, each run as `bench/crawl.py --child NAME URL` -----------------------------------------
def child_auditor(mode: str, url: str, both: bool, shape: str = "demo") -> dict:
    from auditor.config import BrowserSettings, Config, CrawlSettings, EvidenceSettings, Target
    from auditor.ops.audit import start_audit
    from auditor.report import write_reports
    from auditor.run.pipeline import AuditOptions
    from auditor.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        config = Config(database=Path(tmp) / "a.db", reports_dir=Path(tmp) / "reports", rules_dir=ROOT / "rules",
                        crawl=CrawlSettings(requests_per_second=100_000, max_per_host=16, retries=1,
                                            page_timeout_seconds=30, max_pages_per_target=10**7,
                                            allow_addresses=[urlsplit(url).netloc]),  # the bench site only
                        evidence=EvidenceSettings(enabled=False), log_file=None,
                        browser=BrowserSettings(concurrency=int(os.environ.get("BENCH_TABS", "0"))))
        # pages only, as the floor and crawlee read them: evidence and pictures have benches of their own
        # (bench/evidence.py; bench/images.py's images_all_vs_none)
        targets = [Target(name="auction", site="demo_auction", start_urls=[url + "/auction/search"], fetch=mode, images="none")]
        if shape == "shop":
            from shop import start_urls

            targets = [Target(name="shop", site="schema_org", start_urls=start_urls(url), fetch=mode, images="none")]
        if both:
            targets.append(Target(name="flea", site="demo_fleamarket", start_urls=[url + "/flea/search"], fetch=mode, images="none"))
        with Store(config.database) as store:
            t = time.perf_counter()
            summary = start_audit(config, store, AuditOptions(targets=targets, write_report=False))
            seconds = time.perf_counter() - t
            if os.environ.get("BENCH_CRAWL_DONE"):  # the parent stops counting memory here: the report is apart
                Path(os.environ["BENCH_CRAWL_DONE"]).touch()
                time.sleep(0.3)
            t = time.perf_counter()
            write_reports(store, summary.run_id, config.reports_dir, config.schedule.zone)
            report_seconds = time.perf_counter() - t
    return {"pages": summary.pages_ok, "seconds": seconds, "listings": summary.listings_seen,
            "failed": summary.pages_failed, "report_seconds": report_seconds}


def child_floor(url: str, shape: str = "demo") -> dict:
    import httpx
    from bs4 import BeautifulSoup

    if shape == "shop":
        return child_floor_shop(url)
    pages = titles = 0
    t = time.perf_counter()
    with httpx.Client() as client:
        next_url = url + "/auction/search"
        while next_url:
            doc = BeautifulSoup(client.get(next_url).text, "lxml")
            pages += 1
            for a in doc.select("a.Product__titleLink"):
                item = BeautifulSoup(client.get(url + a["href"]).text, "lxml")
                pages += 1
                titles += bool(item.select_one("h1.ProductTitle__text").get_text(strip=True))
            nxt = doc.select_one("a.Pager__link[rel=next]")
            next_url = url + nxt["href"] if nxt else None
    return {"pages": pages, "seconds": time.perf_counter() - t, "listings": titles}


def child_floor_shop(url: str) -> dict:
    """The shop's floor: its list pages' JSON-LD ItemList, each item page's JSON-LD Product name."""
    import httpx
    from bs4 import BeautifulSoup
    from shop import start_urls

    def ld(html: str) -> dict:
        return json.loads(BeautifulSoup(html, "lxml").select_one('script[type="application/ld+json"]').string)

    pages = titles = 0
    t = time.perf_counter()
    with httpx.Client() as client:
        for list_url in start_urls(url):
            items = ld(client.get(list_url).text)["itemListElement"]
            pages += 1
            for entry in items:
                pages += 1
                titles += bool(ld(client.get(url + entry["url"]).text).get("name"))
    return {"pages": pages, "seconds": time.perf_counter() - t, "listings": titles}


# --- measuring --------------------------------------------------------------------------------------------
def _pss(pid: int) -> int:
    """Proportional set size: a process's own memory plus its share of what it shares (so browser
    processes sharing pages are not counted several times over); RSS where smaps_rollup is missing."""
    try:
        for line in open(f"/proc/{pid}/smaps_rollup"):
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return int(open(f"/proc/{pid}/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def tree_rss(pid: int) -> int:
    """Memory (PSS) of a process and all its descendants, in bytes."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parents[int(entry)] = int(open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    family, grew = {pid}, True
    while grew:
        grew = False
        for p, parent in parents.items():
            if parent in family and p not in family:
                family.add(p)
                grew = True
    return sum(_pss(p) for p in family)


def measure(cmd: list[str], env: dict | None = None) -> dict:
    done = Path(tempfile.mkdtemp()) / "crawl-done"
    env = {**(env or os.environ), "BENCH_CRAWL_DONE": str(done)}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    peak = [0]

    def sample():
        while proc.poll() is None and not done.exists():
            peak[0] = max(peak[0], tree_rss(proc.pid))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} failed:\n{err[-2000:]}")
    result = json.loads(out.strip().splitlines()[-1])
    if not result["pages"]:
        raise SystemExit(f"{' '.join(cmd[:4])} read no page:\n{err[-2000:]}")
    result["peak_rss_mb"] = round(peak[0] / 1e6)
    result["pages_per_s"] = result["pages"] / result["seconds"]
    return result


def versions(chromium: str, crawlee: bool) -> str:
    from importlib.metadata import version

    browser = subprocess.run([chromium, "--version"], capture_output=True, text=True).stdout.strip().splitlines()
    out = [browser[-1] if browser else "Chromium ?", f"playwright {version('playwright')}", f"httpx {version('httpx')}",
           f"beautifulsoup4 {version('beautifulsoup4')}", f"lxml {version('lxml')}"]
    if crawlee:
        got = subprocess.run([str(CRAWLEE_VENV / "bin" / "python"), "-c", "import crawlee, importlib.metadata as m; "
                              "print(m.version('crawlee'))"], capture_output=True, text=True).stdout.strip()
        out.append(f"crawlee {got or '?'}")
    return ", ".join(out)


def ensure_crawlee() -> Path:
    python = CRAWLEE_VENV / "bin" / "python"
    if not python.exists():
        print("installing crawlee[playwright] into bench/.venv-crawlee (once) ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(CRAWLEE_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "crawlee[playwright]"],
                       check=True)
    return python


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=1000, help="auction listings for the side-by-side runs")
    ap.add_argument("--scale", default="1000,10000,50000", help="auction listings for the growth runs")
    ap.add_argument("--no-crawlee", action="store_true", help="skip crawlee (no install)")
    ap.add_argument("--no-shop", action="store_true", help="skip the second site (the shop)")
    ap.add_argument("--no-demo", action="store_true", help="skip the demo's side-by-side runs")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        name, url = args.child[0], args.child[1]
        shape = args.child[2] if len(args.child) > 2 else "demo"
        mode = {"adaptive": "auto"}.get(name.split("-")[0], name.split("-")[0])
        result = child_floor(url, shape) if name == "floor" else child_auditor(mode, url, name.endswith("-both"), shape)
        print(json.dumps(result))
        return

    from auditor.crawl.install import choose_executable, system_chromium
    from auditor.demo import generate, serve_demo

    me = [sys.executable, str(Path(__file__).resolve()), "--child"]
    chromium = choose_executable(None) or str(system_chromium())

    def catalog_for(auction_listings: int):
        return generate(7, auction_listings * 3 // 2)  # a third of the demo is the flea-market section

    rows: dict[str, dict] = {}
    python = script = env = None
    if not args.no_crawlee:
        python = ensure_crawlee()
        script = Path(tempfile.mkdtemp()) / "crawlee_bench.py"
        script.write_text(CRAWLEE_SCRIPT)
        env = {**os.environ, "CRAWLEE_STORAGE_DIR": str(script.parent / "storage"), "CRAWLEE_PURGE_ON_START": "1"}
    with serve_demo(catalog_for(args.size)) if not args.no_demo else nullcontext() as server:
        if server is not None:
            n = len(server.catalog.section("auction"))
            print(f"{n:,} auction listings; {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
            for name in ("floor", "http", "browser", "adaptive", "adaptive-both"):
                rows[name] = measure(me + [name, server.url])
                print(f"  {name:<14} {rows[name]['pages_per_s']:7.1f} pages/s  {rows[name]['pages']:>6} pages  "
                      f"peak {rows[name]['peak_rss_mb']:>5} MB PSS", flush=True)
            if not args.no_crawlee:
                rows["crawlee"] = measure([str(python), str(script), json.dumps([server.url + "/auction/search"]),
                                           chromium, json.dumps(SHAPES["demo"])], env)
                print(f"  {'crawlee':<14} {rows['crawlee']['pages_per_s']:7.1f} pages/s  {rows['crawlee']['pages']:>6} "
                      f"pages  peak {rows['crawlee']['peak_rss_mb']:>5} MB", flush=True)

    shop: dict[str, dict] = {}
    if not args.no_shop:
        from shop import serve_shop, start_urls

        with serve_shop() as base:
            print("the shop (another shape): 525 pages, item pages of ~30 KB with 30 related links and inline JSON")
            for name in ("floor", "http", "browser"):
                shop[name] = measure(me + [name, base, "shop"])
                print(f"  {name:<14} {shop[name]['pages_per_s']:7.1f} pages/s  {shop[name]['pages']:>6} pages  "
                      f"peak {shop[name]['peak_rss_mb']:>5} MB PSS", flush=True)
            if not args.no_crawlee:
                shop["crawlee"] = measure([str(python), str(script), json.dumps(start_urls(base)), chromium,
                                           json.dumps(SHAPES["shop"])], env)
                print(f"  {'crawlee':<14} {shop['crawlee']['pages_per_s']:7.1f} pages/s  {shop['crawlee']['pages']:>6} "
                      f"pages  peak {shop['crawlee']['peak_rss_mb']:>5} MB", flush=True)

    growth = {}
    for size in [int(s) for s in args.scale.split(",") if s]:
        with serve_demo(catalog_for(size)) as server:
            growth[size] = measure(me + ["adaptive", server.url])
        print(f"  adaptive at {size:>6,} listings: {growth[size]['seconds']:7.1f} s  "
              f"{growth[size]['pages_per_s']:6.1f} pages/s  peak {growth[size]['peak_rss_mb']:>5} MB  "
              f"(report {growth[size]['report_seconds']:.1f} s apart)", flush=True)

    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results.update({
        "crawl_machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "crawl_versions": versions(chromium, not args.no_crawlee),
        **{f"scale_{k}_seconds": round(v["seconds"], 1) for k, v in growth.items()},
        **{f"scale_{k}_peak_rss_mb": v["peak_rss_mb"] for k, v in growth.items()},
    })
    if rows:  # else the demo's last measured figures stay
        results.update({
            "crawl_listings": args.size,
            **{f"crawl_{k.replace('-', '_')}_pages_per_s": round(v["pages_per_s"], 1) for k, v in rows.items()},
            **{f"crawl_{k.replace('-', '_')}_peak_rss_mb": v["peak_rss_mb"] for k, v in rows.items()},
            "http_vs_floor": round(rows["http"]["pages_per_s"] / rows["floor"]["pages_per_s"], 2),
        })
    if shop:
        results.update({f"shop_{k}_pages_per_s": round(v["pages_per_s"], 1) for k, v in shop.items()})
        results["shop_http_vs_floor"] = round(shop["http"]["pages_per_s"] / shop["floor"]["pages_per_s"], 2)
        if "crawlee" in shop:
            results["shop_browser_vs_crawlee"] = round(shop["browser"]["pages_per_s"] / shop["crawlee"]["pages_per_s"], 2)
        print(f"  the shop: http_vs_floor = {results['shop_http_vs_floor']}x (aim >= 0.9)   browser_vs_crawlee = "
              f"{results.get('shop_browser_vs_crawlee')}x (aim >= 6)")
    if "crawlee" in rows:  # else the last measured figure stays
        results["browser_vs_crawlee"] = round(rows["browser"]["pages_per_s"] / rows["crawlee"]["pages_per_s"], 2)
    if 1000 in growth and 50000 in growth:
        results["mem_50k_vs_1k"] = round(growth[50000]["peak_rss_mb"] / growth[1000]["peak_rss_mb"], 2)
    print("  http_vs_floor = {http_vs_floor}x (aim >= 0.9)   browser_vs_crawlee = {browser_vs_crawlee}x (aim >= 6)"
          "   mem_50k_vs_1k = {mem}x (aim <= 1.5)".format(mem=results.get("mem_50k_vs_1k"), **results))
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
