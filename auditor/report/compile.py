"""Compile a run's report data from the database: plain values, no rendering."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from auditor.rules.model import SEVERITIES
from auditor.store import Store

SEVERITY_ORDER = {s: i for i, s in enumerate(reversed(SEVERITIES))}  # critical first


@dataclass(frozen=True)
class Segment:
    text: str
    matched: bool


@dataclass
class FlaggedListing:
    site: str
    item_id: str
    url: str
    title: str
    title_segments: list[Segment]
    price: Decimal | None
    currency: str | None
    bids: int | None
    status: str
    seller_id: str | None
    seller_name: str | None
    first_seen: str
    last_seen: str
    severity: str
    rules: list[dict]  # {"id", "title", "severity", "matches": [{"field", "text", "start", "end"}]}


@dataclass
class SellerRow:
    site: str
    seller_id: str
    seller_name: str | None
    flagged: int
    asking_total: Decimal
    sold_total: Decimal
    flags: list[dict] = field(default_factory=list)  # seller rules that fired: id, severity, listings, total, days


@dataclass
class Report:
    day: date
    run: dict
    hits: list[dict]  # one per (listing, rule): the rows of hits.csv / hits.json
    listings: list[FlaggedListing]
    sellers: list[SellerRow]
    by_severity: dict[str, int]
    by_rule: list[tuple[str, str, int]]
    failures: list[dict]
    targets: list[str] = field(default_factory=list)


def highlight(text: str, spans: list[tuple[int, int]]) -> list[Segment]:
    """Split text into plain and matched segments (spans may overlap)."""
    marks = [False] * len(text)
    for start, end in spans:
        for i in range(max(0, start), min(len(text), end)):
            marks[i] = True
    out: list[Segment] = []
    for i, ch in enumerate(text):
        if out and out[-1].matched == marks[i]:
            out[-1] = Segment(out[-1].text + ch, marks[i])
        else:
            out.append(Segment(ch, marks[i]))
    return out


def _price(v: str | None) -> Decimal | None:
    return Decimal(v) if v not in (None, "") else None


def compile_report(store: Store, run_id: int, zone: ZoneInfo) -> Report:
    run = store.run(run_id)
    rows = store.hits_for_run(run_id)
    hits = []
    grouped: dict[tuple[str, str], FlaggedListing] = {}
    for r in rows:
        matches = json.loads(r["matches"])
        hits.append({
            "day": None, "rule_id": r["rule_id"], "rule_title": r["rule_title"], "severity": r["severity"],
            "site": r["site"], "item_id": r["item_id"], "url": r["url"], "title": r["title"],
            "price": r["price"], "currency": r["currency"], "buy_now_price": r["buy_now_price"], "bids": r["bids"],
            "status": r["status"], "seller_id": r["seller_id"], "seller_name": r["seller_name"],
            "category": r["category"], "end_time": r["end_time"],
            "matched": [m["text"] for m in matches], "matched_fields": sorted({m["field"] for m in matches}),
            "first_seen": r["first_seen"], "last_seen": r["last_seen"],
        })
        key = (r["site"], r["item_id"])
        item = grouped.get(key)
        if item is None:
            item = grouped[key] = FlaggedListing(
                r["site"], r["item_id"], r["url"], r["title"], [], _price(r["price"]), r["currency"], r["bids"],
                r["status"], r["seller_id"], r["seller_name"], r["first_seen"], r["last_seen"], r["severity"], [])
        item.rules.append({"id": r["rule_id"], "title": r["rule_title"], "severity": r["severity"], "matches": matches})
        if SEVERITY_ORDER[r["severity"]] < SEVERITY_ORDER[item.severity]:
            item.severity = r["severity"]
    day = datetime.fromisoformat(run["started_at"]).astimezone(zone).date()
    for h in hits:
        h["day"] = day.isoformat()
    for item in grouped.values():
        spans = [(m["start"], m["end"]) for rule in item.rules for m in rule["matches"] if m["field"] == "title"]
        item.title_segments = highlight(item.title, spans)
    listings = sorted(grouped.values(), key=lambda x: (SEVERITY_ORDER[x.severity], x.seller_id or "", x.item_id))
    return Report(
        day=day, run=run, hits=hits, listings=listings, sellers=_sellers(listings, store.seller_hits_for_run(run_id)),
        by_severity={s: sum(1 for x in listings if x.severity == s) for s in reversed(SEVERITIES)},
        by_rule=sorted(((r["id"], r["title"], n) for r, n in _rule_counts(listings)), key=lambda t: -t[2]),
        failures=store.failures_for_run(run_id), targets=json.loads(run["targets"] or "[]"),
    )


def _rule_counts(listings: list[FlaggedListing]):
    counts: Counter = Counter()
    titles: dict[str, dict] = {}
    for x in listings:
        for r in x.rules:
            counts[r["id"]] += 1
            titles[r["id"]] = r
    return [(titles[k], n) for k, n in counts.items()]


def _sellers(listings: list[FlaggedListing], seller_hits: list[dict]) -> list[SellerRow]:
    acc: dict[tuple[str, str], SellerRow] = {}
    for h in seller_hits:
        row = acc.setdefault((h["site"], h["seller_id"]),
                             SellerRow(h["site"], h["seller_id"], h["seller_name"], 0, Decimal(0), Decimal(0)))
        row.flags.append({"id": h["rule_id"], "severity": h["severity"], "listings": h["listings"],
                          "total": Decimal(h["total"]), "days": h["within_days"]})
    for x in listings:
        if not x.seller_id:
            continue
        row = acc.setdefault((x.site, x.seller_id), SellerRow(x.site, x.seller_id, x.seller_name, 0, Decimal(0), Decimal(0)))
        row.flagged += 1
        price = x.price or Decimal(0)
        if x.status == "sold" or (x.status == "ended" and (x.bids or 0) > 0):
            row.sold_total += price
        else:
            row.asking_total += price
    return sorted(acc.values(), key=lambda s: (-len(s.flags), -s.flagged, -(s.sold_total + s.asking_total), s.seller_id))
