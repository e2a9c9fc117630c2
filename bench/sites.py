"""Parser speed: each venue profile on its saved real pages, against the page's bare lxml parse.

For every profile with saved pages in ../shared/fixtures/real-pages, measures in this one run, on this machine:
  profile  pages/s of `profile.parse(html, url)` (what the page is, then its listings), over its own pages
  lxml     pages/s of `lxml.html.fromstring(html)` over the same pages: a parse with no reading at all
and prints the ratio profile / lxml (the aim: at least 0.5) per profile; writes `sites_<profile>_vs_lxml`
and the pages/s into bench/results.json. API JSON pages are measured against `json.loads` instead.
The pages are read in place and never copied; without ../shared the bench says so and measures nothing.

    .venv/bin/python bench/sites.py [--rounds 15]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import lxml.html
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from auditor.crawl.charset import decode_html  # noqa: E402
from auditor.errors import CrawlError  # noqa: E402
from auditor.sites import get_profile  # noqa: E402

RESULTS = Path(__file__).with_name("results.json")
PAGES = ROOT.parent / "shared" / "fixtures" / "real-pages"
VENUES = {"mercari": "mercari", "paypay_fleamarket": "paypay-fleamarket", "booth": "booth", "rakuma": "rakuma",
          "dlsite": "dlsite", "fanza": "fanza", "fanbox": "fanbox", "surugaya": "surugaya", "ebay": "ebay",
          "yahoo_auctions": "yahoo-auctions", "buyee": "buyee"}


def pages_of(folder: str) -> list[tuple[str, str, bool]]:
    """(text, url, is_json) of a venue's saved pages, cassettes unwrapped."""
    out = []
    for path in sorted((PAGES / folder).rglob("*")):
        if path.suffix in (".html", ".json"):
            out.append((decode_html(path.read_bytes()), path.resolve().as_uri(), path.suffix == ".json"))
        elif path.suffix == ".yml":
            answer = yaml.safe_load(path.read_text(encoding="utf-8"))["interactions"][0]
            out.append((answer["response"]["content"], answer["request"]["uri"], True))
    return out


def fresh() -> None:
    """Forget the pages the profiles' caches keep (a tree, its JSON-LD, __NEXT_DATA__, its visible text, FANBOX's
    parsed JSON): every cache keyed by a page's text. Compiled selectors and patterns are kept, as a crawl keeps them."""
    from auditor.sites import base, extract, fanbox, tree

    for cached in (tree.tree, extract._json_ld_of, extract.next_data_of, base.visible_text, fanbox._parsed):
        cached.cache_clear()


def rates(ours, bare, pages, rounds: int) -> tuple[float, float]:
    """Pages per second of ours and of bare over the same pages. The two are timed in turn on each page, round
    after round, and each page counts at its median time: a machine whose speed drifts (a loaded CI host, a VM's
    stolen time) moves both alike, so the ratio holds where two runs one after the other would not."""
    times: list[tuple[list[float], list[float]]] = [([], []) for _ in pages]
    clock = time.perf_counter
    for _ in range(rounds):
        for (text, url, is_json), (mine, floor) in zip(pages, times):
            started = clock()
            bare(text, url, is_json)
            middle = clock()
            ours(text, url, is_json)
            floor.append(middle - started)
            mine.append(clock() - middle)
    return (len(pages) / sum(statistics.median(m) for m, _ in times),
            len(pages) / sum(statistics.median(f) for _, f in times))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=15)
    args = ap.parse_args()
    if not PAGES.is_dir():
        print(f"no saved real pages at {PAGES}: nothing measured")
        return
    results = {}

    def bare(text, url, is_json):
        return json.loads(text) if is_json else lxml.html.fromstring(text)

    for name, folder in VENUES.items():
        pages = pages_of(folder)
        if not pages:
            continue
        profile = get_profile(name)

        def read(text, url, is_json, profile=profile):
            fresh()  # each read parses its page anew, as a crawl meets each page once
            try:
                profile.parse(text, url)
            except CrawlError:
                pass  # a page state (removed, blocked, unrendered) is an answer too

        ours, floor = rates(read, bare, pages, args.rounds)
        ratio = ours / floor
        results[f"sites_{name}_pages_per_s"] = round(ours, 1)
        results[f"sites_{name}_lxml_pages_per_s"] = round(floor, 1)
        results[f"sites_{name}_vs_lxml"] = round(ratio, 2)
        print(f"{name:<18} {len(pages):>2} pages  {ours:8.1f} pages/s  lxml {floor:8.1f}  ratio {ratio:5.2f}"
              f"  {'ok' if ratio >= 0.5 else 'under the aim of 0.5'}")
    data = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    data.update(results, sites_machine=platform.platform())
    RESULTS.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
