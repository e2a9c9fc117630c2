"""Compile a run's report data from the database: plain values, no rendering.

Each flagged listing gets a state against the previous run that read pages:
- new: flagged now, not flagged then;
- active: flagged then and now, still up;
- gone: flagged then, and now ended, sold, no longer listed, or no longer matching (the takedowns);
- unchecked: flagged then, but its page failed in this run (neither up nor down is known).
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from auditor.rules.model import SEVERITIES
from auditor.store import Store

SEVERITY_ORDER = {s: i for i, s in enumerate(reversed(SEVERITIES))}  # critical first
STATES = ("new", "active", "gone", "unchecked")
TREND_DAYS = 30
DOWN = ("ended", "sold")


@dataclass(frozen=True)
class Segment:
    text: str
    matched: bool


@dataclass(frozen=True)
class EvidenceLink:
    kind: str  # screenshot | html | image | capture
    name: str
    href: str  # relative to the report's folder
    sha256: str
    bytes: int
    captured_at: str


@dataclass
class FlaggedListing:
    site: str
    item_id: str
    url: str
    title: str
    title_segments: list[Segment]
    price: Decimal | None
    currency: str | None
    buy_now_price: Decimal | None
    bids: int | None
    status: str
    seller_id: str | None
    seller_name: str | None
    seller_url: str | None
    first_seen: str
    last_seen: str
    severity: str
    rules: list[dict]  # {"id", "title", "severity", "matches": [{"field", "text", "start", "end"}]}
    state: str = "new"
    reason: str | None = None  # why a gone / unchecked listing is so
    evidence: list[EvidenceLink] = field(default_factory=list)  # the latest capture's files
    captures: int = 0  # how many captures exist in all
    thumb: str | None = None  # relative to the report's folder (copied into thumbs/)
    thumb_source: Path | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.site, self.item_id)


@dataclass
class SellerRow:
    site: str
    seller_id: str
    seller_name: str | None
    flagged: int
    asking_total: Decimal
    sold_total: Decimal
    seller_url: str | None = None
    flags: list[dict] = field(default_factory=list)  # seller rules that fired: id, severity, listings, total, days


@dataclass(frozen=True)
class RuleTrend:
    rule_id: str
    title: str
    today: int
    counts: list[int]  # one per day, oldest first, TREND_DAYS long


@dataclass
class Report:
    day: date
    run: dict
    previous_run: dict | None
    hits: list[dict]  # one per (listing, rule): the rows of hits.csv / hits.json
    listings: list[FlaggedListing]  # every listing in the report, whatever its state
    sellers: list[SellerRow]
    by_severity: dict[str, int]
    trends: list[RuleTrend]
    failures: list[dict]
    failures_by_target: dict[str, Counter]
    targets: list[str] = field(default_factory=list)
    trend_days: list[date] = field(default_factory=list)
    manifest_href: str | None = None  # the day's evidence manifest, relative to the report's folder

    @property
    def notes(self) -> list[str]:
        return json.loads(self.run.get("notes") or "[]")

    def in_state(self, state: str) -> list[FlaggedListing]:
        return [x for x in self.listings if x.state == state]

    @property
    def flagged_now(self) -> list[FlaggedListing]:
        return [x for x in self.listings if x.state in ("new", "active")]

    @property
    def counts(self) -> dict[str, int]:
        return {s: len(self.in_state(s)) for s in STATES}

    @property
    def duration_seconds(self) -> float | None:
        if not self.run.get("finished_at"):
            return None
        return (datetime.fromisoformat(self.run["finished_at"]) - datetime.fromisoformat(self.run["started_at"])).total_seconds()


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


def _group(rows: list[dict]) -> dict[tuple[str, str], FlaggedListing]:
    grouped: dict[tuple[str, str], FlaggedListing] = {}
    for r in rows:
        key = (r["site"], r["item_id"])
        item = grouped.get(key)
        if item is None:
            item = grouped[key] = FlaggedListing(
                r["site"], r["item_id"], r["url"], r["title"] or "", [], _price(r["price"]), r["currency"],
                _price(r["buy_now_price"]), r["bids"], r["status"] or "active", r["seller_id"], r["seller_name"],
                r["seller_url"], r["first_seen"], r["last_seen"], r["severity"], [])
        item.rules.append({"id": r["rule_id"], "title": r["rule_title"], "severity": r["severity"],
                           "matches": json.loads(r["matches"])})
        if SEVERITY_ORDER[r["severity"]] < SEVERITY_ORDER[item.severity]:
            item.severity = r["severity"]
    for item in grouped.values():
        spans = [(m["start"], m["end"]) for rule in item.rules for m in rule["matches"] if m["field"] == "title"]
        item.title_segments = highlight(item.title, spans)
    return grouped


def _states(store: Store, run: dict, current: dict, previous_run: dict | None) -> dict:
    """Set each current listing's state, and add the previous run's flagged listings that are gone."""
    if previous_run is None:
        return current
    before = _group(store.hits_for_run(previous_run["id"]))
    was = store.statuses_in_run(previous_run["id"])
    for key, item in current.items():
        if key not in before:
            item.state = "new"
        elif item.status in DOWN and was.get(key) not in DOWN:
            item.state, item.reason = "gone", item.status  # it came down since the last run
        else:
            item.state = "active"
    targets = set(json.loads(run["targets"] or "[]"))
    failed_urls = {f["url"] for f in store.failures_for_run(run["id"]) if f["kind"] != "evidence"}
    rows = store.listings_by_key(k for k in before if k not in current)
    out = dict(current)
    for key, row in rows.items():
        if row["target"] not in targets:
            continue  # not audited in this run: nothing is known
        item = before[key]
        if row["last_run_id"] == run["id"]:
            item.state, item.reason = "gone", (row["status"] if row["status"] in DOWN else "no longer matches the rules")
        elif row["url"] in failed_urls:
            item.state, item.reason = "unchecked", "its page failed in this run"
        else:
            item.state, item.reason = "gone", "no longer listed"
        item.status = row["status"] or item.status
        out[key] = item
    return out


def _attach_evidence(store: Store, listings: list[FlaggedListing], evidence_root: Path | None, folder: Path) -> None:
    if evidence_root is None:
        return
    found = store.evidence_for(x.key for x in listings)
    for x in listings:
        rows = found.get(x.key) or []
        if not rows:
            continue
        latest = rows[0]["folder"]
        x.captures = len({r["folder"] for r in rows})
        x.evidence = [EvidenceLink(r["kind"], Path(r["path"]).name,
                                   Path(os.path.relpath(evidence_root / r["path"], folder)).as_posix(),
                                   r["sha256"], r["bytes"], r["captured_at"]) for r in rows if r["folder"] == latest]
        picture = next((r for r in rows if r["folder"] == latest and r["kind"] == "image"), None) or \
            next((r for r in rows if r["folder"] == latest and r["kind"] == "screenshot"), None)
        if picture:
            x.thumb = f"thumbs/{picture['sha256'][:24]}{Path(picture['path']).suffix.lower()}"
            x.thumb_source = evidence_root / picture["path"]


def _trends(store: Store, run: dict, zone: ZoneInfo, day: date, titles: dict[str, str]) -> tuple[list[date], list[RuleTrend]]:
    """Flagged listings per rule per day over TREND_DAYS, from the last run of each day up to this one."""
    days = [day - timedelta(days=n) for n in range(TREND_DAYS - 1, -1, -1)]
    since = datetime.fromisoformat(run["started_at"]) - timedelta(days=TREND_DAYS)
    last_run_of_day: dict[date, int] = {}
    per_run: dict[int, dict[str, int]] = defaultdict(dict)
    for row in store.rule_counts_since(since):
        if row["run_id"] > run["id"]:
            continue
        d = datetime.fromisoformat(row["started_at"]).astimezone(zone).date()
        last_run_of_day[d] = max(last_run_of_day.get(d, 0), row["run_id"])
        per_run[row["run_id"]][row["rule_id"]] = row["listings"]
    rules = sorted({r for counts in per_run.values() for r in counts})
    trends = []
    for rule_id in rules:
        counts = [per_run.get(last_run_of_day.get(d, -1), {}).get(rule_id, 0) for d in days]
        trends.append(RuleTrend(rule_id, titles.get(rule_id, rule_id), per_run.get(run["id"], {}).get(rule_id, 0), counts))
    trends.sort(key=lambda t: (-t.today, -sum(t.counts), t.rule_id))
    return days, trends


def _hit_rows(day: date, listings: list[FlaggedListing]) -> list[dict]:
    rows = []
    for x in listings:
        for rule in x.rules:
            rows.append({
                "day": day.isoformat(), "state": x.state, "reason": x.reason, "rule_id": rule["id"],
                "rule_title": rule["title"], "severity": rule["severity"], "site": x.site, "item_id": x.item_id,
                "url": x.url, "title": x.title, "price": None if x.price is None else str(x.price),
                "currency": x.currency, "buy_now_price": None if x.buy_now_price is None else str(x.buy_now_price),
                "bids": x.bids, "status": x.status, "seller_id": x.seller_id, "seller_name": x.seller_name,
                "seller_url": x.seller_url, "matched": [m["text"] for m in rule["matches"]],
                "matches": rule["matches"], "matched_fields": sorted({m["field"] for m in rule["matches"]}),
                "first_seen": x.first_seen, "last_seen": x.last_seen, "thumbnail": x.thumb,
                "evidence": [{"kind": e.kind, "path": e.href, "sha256": e.sha256, "bytes": e.bytes,
                              "captured_at": e.captured_at} for e in x.evidence],
            })
    return rows


def compile_report(store: Store, run_id: int, zone: ZoneInfo, reports_dir: Path | None = None,
                   evidence_root: Path | None = None) -> Report:
    run = store.run(run_id)
    day = datetime.fromisoformat(run["started_at"]).astimezone(zone).date()
    folder = Path(reports_dir or ".") / day.isoformat()
    previous = store.previous_run(run_id)
    rows = store.hits_for_run(run_id)
    grouped = _states(store, run, _group(rows), previous)
    listings = sorted(grouped.values(),
                      key=lambda x: (STATES.index(x.state), SEVERITY_ORDER[x.severity], x.seller_id or "", x.item_id))
    _attach_evidence(store, listings, evidence_root, folder)
    titles = {r["id"]: r["title"] for x in listings for r in x.rules}
    trend_days, trends = _trends(store, run, zone, day, titles)
    failures = store.failures_for_run(run_id)
    by_target: dict[str, Counter] = defaultdict(Counter)
    for f in failures:
        by_target[f["target"]][f["kind"]] += 1
    now = [x for x in listings if x.state in ("new", "active")]
    earned = [x for x in listings if x.state in ("new", "active") or (x.state == "gone" and x.status in DOWN)]
    return Report(
        day=day, run=run, previous_run=previous, hits=_hit_rows(day, listings), listings=listings,
        sellers=_sellers(earned, store.seller_hits_for_run(run_id)),
        by_severity={s: sum(1 for x in now if x.severity == s) for s in reversed(SEVERITIES)},
        trends=trends, trend_days=trend_days, failures=failures, failures_by_target=dict(by_target),
        targets=json.loads(run["targets"] or "[]"),
        manifest_href=Path(os.path.relpath(evidence_root / "manifests" / f"{day.isoformat()}.sha256", folder)).as_posix()
        if evidence_root else None,
    )


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
        row.seller_url = row.seller_url or x.seller_url
        price = x.price or Decimal(0)
        if x.status == "sold" or (x.status == "ended" and (x.bids or 0) > 0):
            row.sold_total += price
        else:
            row.asking_total += price
    return sorted(acc.values(), key=lambda s: (-len(s.flags), -s.flagged, -(s.sold_total + s.asking_total), s.seller_id))
