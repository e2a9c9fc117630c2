"""Matching speed: the compiled matcher against a naive per-rule `re` loop and a bare multi-pattern scan.

Generates N rules and M listings (seeded), then measures in this one run, on this machine:
  ours   auditor's Matcher: normalise, one automaton pass + RE2 set per text, rule logic, spans
  naive  per rule, a Python `re` alternation of its keywords searched over the normalised text
         (the loop a first version would write), on a sample of the listings
  floor  one Aho-Corasick automaton of every keyword over the same normalised text, with no rule
         logic: normalising each text (which every matcher must do) plus one scan
  scan   the same automaton over text normalised beforehand: the scan alone
and prints listings/s with the ratios; writes them into bench/results.json.

    .venv/bin/python bench/match.py [--rules 1000] [--listings 100000] [--naive-sample 2000]
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import re
import sys
import tempfile
import time
from pathlib import Path

import ahocorasick

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from auditor.models import Listing  # noqa: E402
from auditor.rules import Matcher, load_rules  # noqa: E402
from auditor.rules.normalize import compact  # noqa: E402

RESULTS = Path(__file__).with_name("results.json")
SYLLABLES = list("アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン")
LATIN = ["poster", "print", "art", "beauty", "vintage", "card", "shoes", "model", "photo", "glossy", "limited",
         "original", "set", "lot", "rare", "new", "used", "figure", "anime", "retro"]


def word(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(4, 6)))
    return rng.choice(LATIN) + rng.choice(LATIN) + str(rng.randint(0, 999))


def make_rules(rng: random.Random, n: int) -> tuple[str, list[list[str]]]:
    """YAML for n rules (a tenth of them combining two selections, a twentieth with a regex)."""
    lines, keyword_sets = ["rules:"], []
    for i in range(n):
        kws = [word(rng) for _ in range(rng.randint(3, 6))]
        keyword_sets.append(kws)
        lines += [f"  - id: bench.r{i}", f"    title: Rule {i}", "    severity: medium", "    selections:",
                  f"      a: {{keywords: [{', '.join(kws)}]}}"]
        if i % 10 == 0:
            extra = [word(rng) for _ in range(3)]
            keyword_sets[-1] = kws + extra
            lines += [f"      b: {{keywords: [{', '.join(extra)}]}}", "    condition: a and b"]
        elif i % 20 == 1:
            lines += [f"      c: {{regex: ['{rng.choice(LATIN)}[0-9]{{2}}x']}}", "    condition: a or c"]
    return "\n".join(lines) + "\n", keyword_sets


def make_listings(rng: random.Random, m: int, keyword_sets: list[list[str]]) -> list[Listing]:
    out = []
    for i in range(m):
        title = " ".join(word(rng) for _ in range(6))
        description = " ".join(word(rng) for _ in range(40))
        if rng.random() < 0.05:  # a few listings carry a rule's keyword
            title += " " + rng.choice(rng.choice(keyword_sets))
        out.append(Listing("bench", str(i), f"http://bench/{i}", title, description, tags=(word(rng),)))
    return out


def timed(fn, items) -> tuple[float, int]:
    started = time.perf_counter()
    hits = sum(fn(x) for x in items)
    return time.perf_counter() - started, hits


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rules", type=int, default=1000)
    ap.add_argument("--listings", type=int, default=100_000)
    ap.add_argument("--naive-sample", type=int, default=2000, help="listings the slow naive loop is timed on")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    yaml_text, keyword_sets = make_rules(rng, args.rules)
    listings = make_listings(rng, args.listings, keyword_sets)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.yaml"
        path.write_text(yaml_text, encoding="utf-8")
        t0 = time.perf_counter()
        ruleset = load_rules(path)
        matcher = Matcher(ruleset)
        compile_s = time.perf_counter() - t0

    ours_s, ours_hits = timed(lambda x: len(matcher.match_listing(x)), listings)

    naive_rules = [re.compile("|".join(re.escape(compact(k)) for k in kws)) for kws in keyword_sets]

    def naive(x: Listing) -> int:
        texts = [compact(x.title), compact(x.description)] + [compact(t) for t in x.tags]
        return sum(1 for rx in naive_rules if any(rx.search(t) for t in texts))

    sample = listings[: args.naive_sample]
    naive_s, _ = timed(naive, sample)

    auto = ahocorasick.Automaton()
    for kws in keyword_sets:
        for k in kws:
            auto.add_word(compact(k), 1)
    auto.make_automaton()
    def floor_scan(x: Listing) -> int:
        return sum(1 for t in (x.title, x.description, *x.tags) for _ in auto.iter(compact(t)))

    floor_s, _ = timed(floor_scan, listings)
    normalised = [[compact(x.title), compact(x.description)] + [compact(t) for t in x.tags] for x in listings]
    scan_s, _ = timed(lambda texts: sum(1 for t in texts for _ in auto.iter(t)), normalised)

    ours, naive_rate = len(listings) / ours_s, len(sample) / naive_s
    floor, scan = len(listings) / floor_s, len(listings) / scan_s
    figures = {
        "match_vs_naive": round(ours / naive_rate, 1),
        "floor_vs_match": round(floor / ours, 2),
        "match_listings_per_s": round(ours),
        "naive_listings_per_s": round(naive_rate),
        "floor_listings_per_s": round(floor),
        "scan_only_listings_per_s": round(scan),
        "scan_only_vs_match": round(scan / ours, 2),
        "match_rules": len(ruleset),
        "match_listings": len(listings),
        "match_compile_s": round(compile_s, 2),
        "match_machine": f"{platform.machine()}, Python {platform.python_version()}",
    }
    print(f"{len(ruleset)} rules, {len(listings):,} listings ({ours_hits:,} rule hits); rule set compiled in {compile_s:.2f} s")
    print(f"  ours   {ours:>10,.0f} listings/s")
    print(f"  naive  {naive_rate:>10,.0f} listings/s  (per-rule re loop, {len(sample):,} listings)")
    print(f"  floor  {floor:>10,.0f} listings/s  (normalise + bare automaton scan, no rule logic)")
    print(f"  scan   {scan:>10,.0f} listings/s  (bare automaton scan of text normalised beforehand)")
    print(f"  match_vs_naive = {figures['match_vs_naive']}x (aim >= 20)   floor_vs_match = {figures['floor_vs_match']}x "
          f"(aim <= 3)   scan_only_vs_match = {figures['scan_only_vs_match']}x")
    data = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    data.update(figures)
    RESULTS.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
