"""What a finished run should tell people: the alert events, worked out from the store.

Events (the names `notify.on` takes):
- run_failed / run_partial: the run's status;
- target_empty: a target read no page at all;
- new_critical: listings newly flagged (or escalated, or evaded) at or above min_severity, as one digest;
- seller_rule: a seller crossing a seller rule for the first time;
- network_grew: sellers linked by shared pictures: a network formed or gained a seller in this run;
- rule_flood: a rule's hits far above its own 30-day baseline; sent when the flood starts, not again
  while it lasts, and as one message for every flooding rule (no page per hit);
- bank_held: bank entries held in this run for a flood of matches (images.flood): a lead releases them;
- drift: a target that read no listing, or under half its 7-day median (site_health);
- unreviewed: critical listings with no decision for longer than `unreviewed_hours`;
- no_run: no finished scheduled run for longer than the schedule allows (`auditor health --notify`).

Messages are text only (rule, matched text, seller, price, a link): never an image. They are written in the
destination's language (`notify[].language`, else the reports'), times in the team's zone.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from zoneinfo import ZoneInfo

from auditor.i18n import problem, text, word
from auditor.images.networks import seller_networks
from auditor.models import RunSummary
from auditor.report.site_health import site_health
from auditor.run.states import SEVERITY_RANK
from auditor.store import Store
from auditor.times import local_time

MAX_LISTED = 20
FLOOD_FACTOR, FLOOD_FLOOR, FLOOD_WINDOW, FLOOD_MIN_RUNS = 3.0, 10, timedelta(days=30), 3


@dataclass(frozen=True)
class Alert:
    event: str
    title: str
    body: str


def _worst(rules_json: str | None) -> int:
    """The highest severity rank among a state row's rules ({rule: severity})."""
    return max((SEVERITY_RANK.get(v, 0) for v in json.loads(rules_json or "{}").values()), default=0)


def _listed(lines: list[str], lang: str) -> str:
    more = "\n" + text(lang, "alert.more", n=len(lines) - MAX_LISTED) if len(lines) > MAX_LISTED else ""
    return "\n".join(lines[:MAX_LISTED]) + more


def run_alerts(store: Store, summary: RunSummary, min_rank: int, now: datetime, unreviewed_hours: float = 24,
               lang: str = "en", zone: ZoneInfo = ZoneInfo("UTC")) -> list[Alert]:
    """Every alert a finished run gives, for a destination that takes hits at or above min_rank, in its language."""
    run = text(lang, "alert.run", id=summary.run_id, kind=word(lang, "kind", summary.kind))
    out = []
    if summary.status == "failed":
        out.append(Alert("run_failed", text(lang, "alert.run_failed.title", run=run),
                         problem(lang, store.run(summary.run_id)["error"]) or text(lang, "alert.run_failed.body")))
    elif summary.status == "partial":
        out.append(Alert("run_partial", text(lang, "alert.run_partial.title", run=run),
                         problem(lang, store.run(summary.run_id)["error"]) or "–"))
    causes = {h.target: h.cause_in(lang) for h in site_health(store, summary.run_id)}
    for target in summary.targets:
        if not summary.target_pages.get(target) and summary.status != "failed":
            why = causes.get(target)
            out.append(Alert("target_empty", text(lang, "alert.target_empty.title", target=target, run=run),
                             text(lang, "alert.cause", why=why) if why else text(lang, "alert.target_empty.unknown")))
    out += _drift(store, summary, run, lang)  # a failed run included: a redesigned site fails its search pages
    if summary.status == "failed":
        return out
    out += _new_critical(store, summary, min_rank, run, lang)
    out += _seller_rules(store, summary, min_rank, run, lang)
    out += _networks(store, summary, run, now, lang)
    out += _floods(store, summary, run, lang)
    out += _held(store, summary, run, lang)
    previous = store.db.execute("select started_at from runs where id < ? order by id desc limit 1",
                                [summary.run_id]).fetchone()
    out += _unreviewed(store, min_rank, now, unreviewed_hours, datetime.fromisoformat(previous[0]) if previous else None,
                       lang, zone)
    return out


def _new_critical(store: Store, summary: RunSummary, min_rank: int, run: str, lang: str) -> list[Alert]:
    fresh = [s for s in store.states_of_run(summary.run_id) if s["state"] in ("new", "escalated", "evaded")]
    rows = store.listings_by_key([(s["site"], s["item_id"]) for s in fresh])
    lines = []
    for s in fresh:
        rules = json.loads(s["rules"] or "{}")
        x = rows.get((s["site"], s["item_id"]))
        if _worst(s["rules"]) < min_rank or x is None:
            continue
        lines.append(text(lang, "alert.new_critical.line", state=text(lang, f"state.{s['state']}.short"),
                          rules=", ".join(sorted(rules)), title=x["title"], seller=x["seller_id"] or "–",
                          price=x["price"] or "–", currency=x["currency"] or "", url=x["url"]))
    if not lines:
        return []
    n = store.needs_decision_counts()
    total = text(lang, "alert.new_critical.total", n=n["for_sale"] + n["sold_ended"],
                 split=text(lang, "alert.needs_split", sale=n["for_sale"], sold=n["sold_ended"]))
    return [Alert("new_critical", text(lang, "alert.new_critical.title", n=len(lines), run=run),
                  total + "\n" + _listed(lines, lang))]


def _seller_rules(store: Store, summary: RunSummary, min_rank: int, run: str, lang: str) -> list[Alert]:
    crossed = [h for h in store.db.query(
        "select * from seller_hits s where run_id = ? and not exists (select 1 from seller_hits p where p.run_id < s.run_id"
        " and p.site = s.site and p.seller_id = s.seller_id and p.rule_id = s.rule_id) order by site, seller_id",
        [summary.run_id]) if SEVERITY_RANK.get(h["severity"], 0) >= min_rank]
    if not crossed:
        return []
    lines = [text(lang, "alert.seller_rule.line", rule=h["rule_id"], severity=word(lang, "severity", h["severity"]),
                  name=h["seller_name"] or h["seller_id"], site=h["site"], seller_id=h["seller_id"],
                  listings=h["listings"], total=h["total"], days=h["within_days"]) for h in crossed]
    return [Alert("seller_rule", text(lang, "alert.seller_rule.title", n=len(crossed), run=run), _listed(lines, lang))]


def _networks(store: Store, summary: RunSummary, run: str, now: datetime, lang: str) -> list[Alert]:
    """Networks with a seller first seen in a network in this run (recorded, so a network is told once per growth)."""
    nets = seller_networks(store)
    joined = store.record_network_members({s for n in nets for s in n.sellers}, summary.run_id, now)
    grown = [n for n in nets if n.sellers & joined]
    if not grown:
        return []
    new = text(lang, "alert.network_grew.new")
    lines = [text(lang, "alert.network_grew.line", n=len(n.sellers), new=len(n.sellers & joined), flagged=n.flagged,
                  members=", ".join(f"{n.names[s]} ({s[0]}/{s[1]}){' ' + new if s in joined else ''}"
                                    for s in sorted(n.sellers)))
             for n in grown]
    return [Alert("network_grew", text(lang, "alert.network_grew.title", n=len(grown), run=run), _listed(lines, lang))]


def _held(store: Store, summary: RunSummary, run: str, lang: str) -> list[Alert]:
    """Bank entries this run held for a flood (told once: an entry held before this run is not told again)."""
    started = store.run(summary.run_id)["started_at"]
    held = [e for e in store.held_entries() if e["held_at"] >= started]
    if not held:
        return []
    lines = [text(lang, "alert.bank_held.line", id=e["id"], bank=e["bank"], kind=e["signal_type"],
                  source=e["ref"] or e["source"], n=e["waiting"]) for e in held]
    return [Alert("bank_held", text(lang, "alert.bank_held.title", n=len(held), run=run),
                  _listed(lines, lang) + "\n" + text(lang, "alert.bank_held.how"))]


def rule_counts(store: Store, run_id: int) -> dict[str, int]:
    return {r["rule_id"]: r["n"] for r in store.db.query(
        "select rule_id, count(*) as n from hits where run_id = ? group by rule_id", [run_id])}


def flooding(store: Store, run: dict) -> dict[str, tuple[int, float]]:
    """Rules whose hits in this run are over FLOOD_FACTOR x their mean over the earlier runs of the same kind in the
    last 30 days (at least FLOOD_MIN_RUNS of them) and at least FLOOD_FLOOR: rule -> (hits, baseline)."""
    since = (datetime.fromisoformat(run["started_at"]) - FLOOD_WINDOW).isoformat()
    earlier = [r["id"] for r in store.db.query(
        "select id from runs where id < ? and kind = ? and started_at >= ? and status in ('completed', 'partial')",
        [run["id"], run["kind"], since])]
    if len(earlier) < FLOOD_MIN_RUNS:
        return {}
    history = [rule_counts(store, r) for r in earlier]
    out = {}
    for rule, n in rule_counts(store, run["id"]).items():
        baseline = statistics.mean(h.get(rule, 0) for h in history)
        if n >= FLOOD_FLOOR and n > FLOOD_FACTOR * baseline:
            out[rule] = (n, baseline)
    return out


def _floods(store: Store, summary: RunSummary, run_name: str, lang: str) -> list[Alert]:
    run = store.run(summary.run_id)
    now = flooding(store, run)
    if not now:
        return []
    before = store.db.execute("select id from runs where id < ? and kind = ? and status in ('completed', 'partial')"
                              " order by id desc limit 1", [run["id"], run["kind"]]).fetchone()
    already = flooding(store, store.run(before[0])) if before else {}
    started = {r: v for r, v in now.items() if r not in already}
    if not started:
        return []
    lines = [text(lang, "alert.rule_flood.line", rule=rule, n=n, base=f"{base:.1f}") for rule, (n, base) in sorted(started.items())]
    return [Alert("rule_flood", text(lang, "alert.rule_flood.title", n=len(started), run=run_name), _listed(lines, lang))]


def _drift(store: Store, summary: RunSummary, run: str, lang: str) -> list[Alert]:
    drifting = [h for h in site_health(store, summary.run_id) if h.drift]
    if not drifting:
        return []
    lines = [text(lang, "alert.drift.line", target=h.target, drift=h.drift_in(lang), ok=h.pages_ok, blocked=h.blocked,
                  parse=h.parse_failures) + ("; " + text(lang, "alert.cause", why=h.cause_in(lang)) if h.cause else "")
             for h in drifting]
    redesign = all(h.cause is None for h in drifting) or any(h.cause and h.redesign for h in drifting)
    advice = text(lang, "alert.drift.redesign" if redesign else "alert.drift.other")
    return [Alert("drift", text(lang, "alert.drift.title", n=len(drifting), run=run), _listed(lines, lang) + "\n" + advice)]


def _unreviewed(store: Store, min_rank: int, now: datetime, hours: float, told_until: datetime | None,
                lang: str = "en", zone: ZoneInfo = ZoneInfo("UTC")) -> list[Alert]:
    """Listings flagged and still up that came to wait longer than `hours` with no decision since the last run (each
    listing is told once, not at every run)."""
    cutoff = (now - timedelta(hours=hours)).isoformat()
    after = (told_until - timedelta(hours=hours)).isoformat() if told_until else ""
    waiting = [r for r in store.db.query(
        "select site, item_id, state, rules, coalesce(review_since, since) as waiting_since from picture"
        " where state in ('new', 'escalated', 'evaded', 'active') and coalesce(review_since, since) <= ?"
        " and coalesce(review_since, since) > ? order by waiting_since", [cutoff, after])
        if _worst(r["rules"]) >= min_rank]
    if waiting:
        decided = store.latest_decisions([(r["site"], r["item_id"]) for r in waiting])
        waiting = [r for r in waiting if (r["site"], r["item_id"]) not in decided  # or decided before it changed
                   or decided[(r["site"], r["item_id"])]["decided_at"] < r["waiting_since"]]
    if not waiting:
        return []
    rows = store.listings_by_key([(r["site"], r["item_id"]) for r in waiting])
    lines = [text(lang, "alert.unreviewed.line", site=r["site"], item_id=r["item_id"],
                  title=(rows.get((r["site"], r["item_id"])) or {}).get("title", ""),
                  since=local_time(r["waiting_since"], zone)) for r in waiting]
    return [Alert("unreviewed", text(lang, "alert.unreviewed.title", n=len(waiting), hours=f"{hours:g}"), _listed(lines, lang))]
