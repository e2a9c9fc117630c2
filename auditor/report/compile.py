"""Compile a report's data from the database: plain values, no rendering.

A run's report shows the states that run gave (auditor.run.states). A day's report tells the day: for
each target, every run of the day that read it (the last that read it completely stands for it), and each
listing once, in the most telling state those runs gave it; decisions are those known before the next
day's run began. Each row quotes and highlights the text version
the rules matched; where the listing reads differently now, the current title is shown apart.
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from auditor.images.networks import seller_networks
from auditor.models import DAILY_KINDS, OPEN_STATES, STATES, needs_decision
from auditor.report.model import (FAR, FLAGGED_NOW, SEVERITY_ORDER, TREND_DAYS, Covered, EvidenceLink, FlaggedListing,
                                  Report, RuleTrend, Segment, SellerRow, ShadowRow)
from auditor.report.site_health import site_health
from auditor.rules.model import SEVERITIES
from auditor.store import Store
from auditor.values import stored_labels

__all__ = ["Covered", "EvidenceLink", "FlaggedListing", "Report", "RuleTrend", "Segment", "SellerRow", "ShadowRow",
           "compile_day_report", "compile_run_report", "highlight", "run_day"]

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


def _act_first(x: FlaggedListing) -> tuple:
    """Severity, then still for sale before sold or ended, then ending soonest."""
    end = datetime.fromisoformat(x.end_time).replace(tzinfo=None) if x.end_time else FAR
    return (STATES.index(x.state), SEVERITY_ORDER.get(x.severity, 9), not x.for_sale, end, x.seller_id or "", x.item_id)


def _listing(store: Store, state: dict, listing: dict, versions: dict[int, dict]) -> FlaggedListing:
    rules_now: dict[str, str] = json.loads(state["rules"] or "{}")
    matched = versions.get(state["matched_version"])
    hits = store.matched_hits(state["site"], state["item_id"], state["matched_version"], state["run_id"])
    by_rule = {h["rule_id"]: h for h in hits}
    rules = [{"id": rid, "title": (by_rule.get(rid) or {}).get("rule_title") or rid, "severity": sev,
              "matches": json.loads((by_rule.get(rid) or {}).get("matches") or "[]")}
             for rid, sev in sorted(rules_now.items(), key=lambda kv: (SEVERITY_ORDER.get(kv[1], 9), kv[0]))]
    title = matched["title"] if matched else (listing["title"] or "")
    current = versions.get(state["current_version"])
    now_title = current["title"] if current else None
    severity = min((r["severity"] for r in rules), key=lambda s: SEVERITY_ORDER.get(s, 9), default="info")
    x = FlaggedListing(
        listing["site"], listing["item_id"], listing["url"], title, [], _price(listing["price"]), listing["currency"],
        _price(listing["buy_now_price"]), listing["bids"], state["status"] or listing["status"] or "active",
        (matched or listing)["seller_id"] or listing["seller_id"], (matched or listing)["seller_name"] or listing["seller_name"],
        listing["seller_url"], listing["first_seen"], listing["last_seen"], severity, rules, state["state"],
        state["reason"], state["target"], state["run_id"], listing["end_time"], json.loads(state["added"] or "[]"),
        now_title if now_title is not None and now_title != title else None, state["source"] or "item")
    x.labels = stored_labels(listing.get("labels"))
    if matched:
        x.description, x.tags = matched["description"] or "", tuple(json.loads(matched["tags"] or "[]"))
    x.title_segments = highlight(title, [(m["start"], m["end"]) for r in rules for m in r["matches"] if m["field"] == "title"])
    return x


def _link(r: dict, evidence_root: Path, folder: Path) -> EvidenceLink:
    """Pictures are copied into the report's media/ (shown blurred in the page, and the folder travels whole);
    the captured page HTML too, byte for byte but named .html.txt, so a browser shows it as text and never
    runs the seller's scripts on a reviewer's machine; capture.json is linked where it lies."""
    name = Path(r["path"]).name
    if r["kind"] in ("screenshot", "listing", "image"):
        return EvidenceLink(r["kind"], name, f"media/{r['sha256'][:32]}{Path(r['path']).suffix.lower()}", r["sha256"],
                            r["bytes"], r["captured_at"], evidence_root / r["path"])
    if r["kind"] == "html":
        return EvidenceLink(r["kind"], name, f"media/{r['sha256'][:32]}.html.txt", r["sha256"], r["bytes"],
                            r["captured_at"], evidence_root / r["path"])
    return EvidenceLink(r["kind"], name, Path(os.path.relpath(evidence_root / r["path"], folder)).as_posix(),
                        r["sha256"], r["bytes"], r["captured_at"])


def _attach_evidence(store: Store, listings: list[FlaggedListing], evidence_root: Path | None, folder: Path,
                     upto_run: int) -> None:
    """The latest capture of each listing taken by a run up to the report's last (a past day shows its own)."""
    if evidence_root is None:
        return
    found = store.evidence_for(x.key for x in listings)
    for x in listings:
        rows = [r for r in found.get(x.key) or [] if (r.get("run_id") or 0) <= upto_run]
        if not rows:
            continue
        latest = rows[0]["folder"]
        x.captures = len({r["folder"] for r in rows})
        x.evidence = [_link(r, evidence_root, folder) for r in rows if r["folder"] == latest]
        picture = next((r for r in rows if r["folder"] == latest and r["kind"] == "image"), None) or \
            next((r for r in rows if r["folder"] == latest and r["kind"] == "screenshot"), None)
        if picture:
            x.thumb = f"thumbs/{picture['sha256'][:24]}{Path(picture['path']).suffix.lower()}"
            x.thumb_source = evidence_root / picture["path"]


def _trends(store: Store, run: dict, zone: ZoneInfo, day: date, titles: dict[str, str]) -> tuple[list[date], list[RuleTrend]]:
    """Flagged listings per rule per day over TREND_DAYS, from the last daily run of each day up to this one."""
    days = [day - timedelta(days=n) for n in range(TREND_DAYS - 1, -1, -1)]
    since = datetime.fromisoformat(run["started_at"]) - timedelta(days=TREND_DAYS)
    last_run_of_day: dict[date, int] = {}
    per_run: dict[int, dict[str, int]] = defaultdict(dict)
    for row in store.rule_counts_since(since, DAILY_KINDS):
        if row["run_id"] > run["id"]:
            continue
        d = datetime.fromisoformat(row["started_at"]).astimezone(zone).date()
        last_run_of_day[d] = max(last_run_of_day.get(d, 0), row["run_id"])
        per_run[row["run_id"]][row["rule_id"]] = row["listings"]
    rules = sorted({r for counts in per_run.values() for r in counts})
    today = per_run.get(last_run_of_day.get(day, -1), {})
    trends = []
    for rule_id in rules:
        counts = [per_run.get(last_run_of_day.get(d, -1), {}).get(rule_id, 0) for d in days]
        trends.append(RuleTrend(rule_id, titles.get(rule_id, rule_id), today.get(rule_id, 0), counts))
    trends.sort(key=lambda t: (-t.today, -sum(t.counts), t.rule_id))
    return days, trends


def _hit_rows(day: date, listings: list[FlaggedListing]) -> list[dict]:
    rows = []
    for x in listings:
        for rule in x.rules:
            rows.append({
                "day": day.isoformat(), "state": x.state, "reason": x.reason, "rule_id": rule["id"],
                "rule_title": rule["title"], "severity": rule["severity"], "site": x.site, "item_id": x.item_id,
                "url": x.url, "title": x.title, "current_title": x.current_title, "labels": list(x.labels),
                "price": None if x.price is None else str(x.price),
                "currency": x.currency, "buy_now_price": None if x.buy_now_price is None else str(x.buy_now_price),
                "bids": x.bids, "status": x.status, "end_time": x.end_time, "seller_id": x.seller_id,
                "seller_name": x.seller_name, "seller_url": x.seller_url, "target": x.target, "run_id": x.run_id,
                "read_from": x.source, "matched": [m["text"] for m in rule["matches"]],
                "matches": rule["matches"], "matched_fields": sorted({m["field"] for m in rule["matches"]}),
                "escalated_by": rule["id"] in x.added, "first_seen": x.first_seen, "last_seen": x.last_seen,
                "needs_decision": x.needs_decision, "decision": x.decision["verdict"] if x.decision else None,
                "decided_by": x.decision["user_name"] if x.decision else None,
                "decided_at": x.decision["decided_at"] if x.decision else None,
                "ticket": x.decision["ticket"] if x.decision else None,
                "thumbnail": x.thumb,
                "evidence": [{"kind": e.kind, "path": e.href, "sha256": e.sha256, "bytes": e.bytes,
                              "captured_at": e.captured_at} for e in x.evidence],
            })
    return rows


WAITING = (*OPEN_STATES, "unchecked")  # a case the queues hold: open, or unread today but open before


def _needs(decision: dict | None, review_run: int | None) -> bool:
    """models.needs_decision of a case whose latest decision (a decisions row, or None) is this."""
    return needs_decision(decision["verdict"] if decision else None, decision.get("judged_run") if decision else None,
                          review_run)


TELLING = ("evaded", "escalated", "new", "active", "gone", "cleared", "unchecked")  # a day's story: the most telling


def _day_states(store: Store, covered: list[Covered]) -> list[dict]:
    """Each listing once: over the day's runs of its target, the most telling state it had (evaded > escalated >
    new > active > gone > cleared > unchecked), with what the last of those runs read of it (status, text)."""
    told: dict[tuple[str, str], dict] = {}
    last: dict[tuple[str, str], dict] = {}
    for c in covered:
        for run in c.all_runs:
            for s in store.states_of_run(run["id"], [c.target]):
                key = (s["site"], s["item_id"])
                last[key] = s
                best = told.get(key)
                if best is None or TELLING.index(s["state"]) < TELLING.index(best["state"]):
                    told[key] = s
    return [{**s, "status": last[k]["status"], "current_version": last[k]["current_version"]} for k, s in told.items()]


def _compile(store: Store, scope: str, day: date, zone: ZoneInfo, covered: list[Covered], folder: Path,
             evidence_root: Path | None, language: str, renotice_days: float = 7) -> Report:
    """A day's report knows the decisions made before the next day's run began (a past day rebuilt shows that
    day, not today's record), and the captures of its own runs."""
    states = _day_states(store, covered)
    keys = [(s["site"], s["item_id"]) for s in states]
    last_run = max(r["id"] for c in covered for r in c.all_runs)
    rows = store.listings_by_key(keys)
    versions = store.versions([s["matched_version"] for s in states] + [s["current_version"] for s in states])
    listings = sorted((_listing(store, s, rows[(s["site"], s["item_id"])], versions) for s in states
                       if (s["site"], s["item_id"]) in rows), key=_act_first)
    _attach_evidence(store, listings, evidence_root, folder, last_run)
    cut = store.decisions_known_after(last_run, DAILY_KINDS) if scope == "day" else None
    # sold or ended cases the "for the seller" queue still holds from earlier days (a listing first seen sold is
    # not read again): counted with the day's own, as the queue counts them
    shown = set(keys)
    earlier_sold = {(r["site"], r["item_id"]): r["review_run"] for r in store.sold_cases(last_run)
                    if (r["site"], r["item_id"]) not in shown}
    decided = store.latest_decisions([*keys, *earlier_sold], upto=cut)
    review_runs = store.review_runs(last_run)
    evaded = store.evaded_before(keys, last_run)
    for x in listings:
        x.decision = decided.get(x.key)
        if x.state in FLAGGED_NOW and x.key in evaded:  # caught again, by an updated rule: it was edited to evade
            x.evaded_at = evaded[x.key]
        x.needs_decision = x.state in WAITING and x.status != "removed" and _needs(x.decision, review_runs.get(x.key))
    sold_waiting = sum(1 for key, review_run in earlier_sold.items() if _needs(decided.get(key), review_run))
    run = max((r for c in covered for r in c.all_runs), key=lambda r: r["id"])
    titles = {r["id"]: r["title"] for x in listings for r in x.rules}
    trend_days, trends = _trends(store, run, zone, day, titles) if run.get("kind") in DAILY_KINDS else ([], [])
    failures = [f for c in covered for f in store.failures_for_run(c.run["id"])
                if f["target"] == c.target and f["kind"] != "removed"]
    by_target: dict[str, Counter] = defaultdict(Counter)
    for f in failures:
        by_target[f["target"]][f["kind"]] += 1
    now = [x for x in listings if x.state in FLAGGED_NOW]
    earned = [x for x in listings if x.state in FLAGGED_NOW or (x.state == "gone" and x.status in ("sold", "ended"))]
    seller_hits = [h for r in {r["id"] for c in covered for r in c.all_runs} for h in store.seller_hits_for_run(r)]
    targets = {(r["id"], c.target) for c in covered for r in c.all_runs}
    shadow = [ShadowRow(h["rule_id"], h["rule_title"], h["severity"], h["site"], h["item_id"], h["url"], h["title"],
                        h["seller_id"], tuple(m["text"] for m in json.loads(h["matches"] or "[]")))
              for h in store.shadow_hits_for_runs(r for r, _ in targets)
              if (h["run_id"], h["target"]) in targets]
    return Report(
        sold_waiting=sold_waiting, scope=scope, day=day, zone=zone, run=run, covered=covered, hits=_hit_rows(day, listings), listings=listings,
        sellers=_sellers(earned, seller_hits), by_severity={s: sum(1 for x in now if x.severity == s) for s in reversed(SEVERITIES)},
        trends=trends, trend_days=trend_days, failures=failures, failures_by_target=dict(by_target),
        manifest_href=Path(os.path.relpath(evidence_root / "manifests" / f"{day.isoformat()}.sha256", folder)).as_posix()
        if evidence_root else None, language=language, shadow=shadow, networks=seller_networks(store)[:50],
        health=[h for run_id in sorted({c.run["id"] for c in covered}) for h in site_health(store, run_id)
                if (run_id, h.target) in {(c.run["id"], c.target) for c in covered}],
        removals=store.notice_removals_of_runs(sorted({r["id"] for c in covered for r in c.all_runs})),
        notices_due=store.notices_sent_before(datetime.fromisoformat(run["started_at"]) - timedelta(days=renotice_days)))


def run_day(run: dict, zone: ZoneInfo) -> date:
    return datetime.fromisoformat(run["started_at"]).astimezone(zone).date()


def compile_run_report(store: Store, run_id: int, zone: ZoneInfo, folder: Path, evidence_root: Path | None = None,
                       language: str = "en", renotice_days: float = 7) -> Report:
    """The report of one run, whatever its kind: the states it gave, its failures."""
    run = store.run(run_id)
    done = store.run_targets(run_id)
    covered = [Covered(t, run, bool(done.get(t, {}).get("complete")) and run["status"] != "failed",
                       (done.get(t) or {}).get("reason") or (run["error"] if run["status"] == "failed" else None))
               for t in json.loads(run["targets"] or "[]")]
    return _compile(store, "run", run_day(run, zone), zone, covered, folder, evidence_root, language, renotice_days)


def compile_day_report(store: Store, day: date, zone: ZoneInfo, folder: Path, evidence_root: Path | None = None,
                       language: str = "en", renotice_days: float = 7) -> Report | None:
    """The day's report: per target, the run of the day that stands for it (None: no such run that day)."""
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = start + timedelta(days=1)
    covered = [Covered(c["target"], c["run"], c["complete"], c["reason"], tuple(c["runs"]))
               for c in store.day_coverage(start, end, DAILY_KINDS)]
    if not covered:
        return None
    return _compile(store, "day", day, zone, covered, folder, evidence_root, language, renotice_days)


def _sellers(listings: list[FlaggedListing], seller_hits: list[dict]) -> list[SellerRow]:
    acc: dict[tuple[str, str], SellerRow] = {}
    for h in seller_hits:
        row = acc.setdefault((h["site"], h["seller_id"]),
                             SellerRow(h["site"], h["seller_id"], h["seller_name"], 0, Decimal(0), Decimal(0)))
        if not any(f["id"] == h["rule_id"] for f in row.flags):
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
