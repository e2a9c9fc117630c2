"""The queue of cases that need a decision, claims on them, a case's whole story, and what decisions tell
about the rules and the reviewers."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from auditor.errors import AuditorError
from auditor.i18n import tr
from auditor.models import SEVERITY_RANK, needs_decision
from auditor.review.users import User
from auditor.rules.normalize import compact
from auditor.store import Store
from auditor.values import stored_labels

CLAIM_FOR = timedelta(minutes=15)  # the default; serve.claim_minutes sets it
FAR = "9999"


@dataclass
class Case:
    site: str
    item_id: str
    title: str
    state: str
    severity: str
    rules: dict[str, str]
    price: str | None
    currency: str | None
    status: str
    seller_id: str | None
    seller_name: str | None
    end_time: str | None
    verdict: str | None
    decided_by: str | None
    decided_at: str | None
    needs_decision: bool
    claimed_by: str | None = None
    labels: tuple[str, ...] = ()  # the venue's own marks (adult, ai_generated, shop, auction)

    @property
    def key(self) -> tuple[str, str]:
        return (self.site, self.item_id)


@dataclass(frozen=True)
class Filters:
    site: str = ""
    rule: str = ""
    severity: str = ""
    seller: str = ""
    state: str = ""
    text: str = ""
    queue: str = "needs_decision"  # needs_decision | sold_ended | escalated | followed | all
    seller_rule: str = ""  # only the listings of sellers this seller rule flagged in its latest judgement


def _case(r: dict) -> Case:
    rules = json.loads(r["rules"] or "{}")
    severity = max(rules.values(), key=lambda s: SEVERITY_RANK.get(s, 0), default="info")
    verdict = r["verdict"]
    needs = needs_decision(verdict, r.get("judged_run"), r.get("review_run"))
    return Case(r["site"], r["item_id"], r["title"] or "", r["state"], severity, rules, r["price"], r["currency"],
                r["status"] or "active", r["seller_id"], r["seller_name"], r["end_time"], verdict, r["decided_by"],
                r["decided_at"], needs, labels=stored_labels(r.get("labels")))


def _words(store: Store, text: str) -> list[str]:
    """The filter's words folded as the rules fold text; listings stored before their folded text was kept get it."""
    words = [w for w in (compact(w) for w in text.split()) if w]
    if words:
        store.fill_search_text(compact)
    return words


def act_first(c: Case) -> tuple:
    """Evaded first, then severity, still for sale before sold or ended, ending soonest."""
    return (c.state != "evaded", -SEVERITY_RANK.get(c.severity, 0), c.status != "active", c.end_time or FAR, c.site, c.item_id)


def queue(store: Store, filters: Filters, now: datetime) -> list[Case]:
    """The cases of a queue, act first, with who holds a claim on each."""
    claims = store.claims(now)
    flagged_sellers = store.sellers_flagged_by(filters.seller_rule) if filters.seller_rule else None
    out = []
    for r in store.open_cases(_words(store, filters.text), sold=filters.queue == "sold_ended"):
        c = _case(r)
        if filters.queue in ("needs_decision", "sold_ended") and not c.needs_decision:
            continue
        if filters.queue == "escalated" and c.verdict != "escalate":
            continue
        if filters.queue == "followed" and c.verdict not in ("confirmed", "takedown_requested"):
            continue
        if (filters.site and c.site != filters.site) or (filters.rule and filters.rule not in c.rules) or \
                (filters.state and c.state != filters.state) or (filters.seller and c.seller_id != filters.seller) or \
                (filters.severity and SEVERITY_RANK.get(c.severity, 0) < SEVERITY_RANK.get(filters.severity, 0)):
            continue
        if flagged_sellers is not None and (c.site, c.seller_id) not in flagged_sellers:
            continue
        claim = claims.get(c.key)
        c.claimed_by = claim["user_name"] if claim else None
        out.append(c)
    out.sort(key=act_first)
    return out


def queue_page(store: Store, filters: Filters, now: datetime, page: int = 1, per_page: int = 100) -> tuple[int, list[Case]]:
    """One page of a queue and its size: ordered, filtered (text too, as the rules fold it) and paged in SQL."""
    total, rows = store.queue_rows(queue=filters.queue, site=filters.site, rule=filters.rule, seller=filters.seller,
                                   state=filters.state, min_rank=SEVERITY_RANK.get(filters.severity, 0),
                                   seller_rule=filters.seller_rule, words=_words(store, filters.text),
                                   limit=per_page, offset=(page - 1) * per_page)
    claims = store.claims(now)
    cases = [_case(r) for r in rows]
    for c in cases:
        claim_row = claims.get(c.key)
        c.claimed_by = claim_row["user_name"] if claim_row else None
    return total, cases


def claim(store: Store, user: User, site: str, item_id: str, now: datetime, claim_for: timedelta = CLAIM_FOR) -> str | None:
    """Claim a case for a while (15 minutes by default); returns who else holds it, or None when it is this user's now."""
    holder = store.claim(site, item_id, user.id, now, now + claim_for)
    if holder == user.id:
        return None
    other = store.user(holder)
    return other["name"] if other else "someone"


def next_case(store: Store, user: User, filters: Filters, now: datetime, after: tuple[str, str] | None = None
              ) -> Case | None:
    """The first case of the queue (after `after`, round the end) that nobody else holds. Looking is not working:
    it is not claimed here; starting to decide claims it (`claim`)."""
    cases = queue(store, filters, now)
    if after is not None:
        keys = [c.key for c in cases]
        if after in keys:
            i = keys.index(after)
            cases = cases[i + 1:] + cases[:i]
        cases = [c for c in cases if c.key != after]
    return next((c for c in cases if c.claimed_by in (None, user.name)), None)


def release(store: Store, user: User, site: str, item_id: str, now: datetime) -> str | None:
    """Give a claim back: one's own, or (a lead) anyone's. Returns whose claim was released, or None."""
    holder = store.claims(now).get((site, item_id))
    if holder is None or (holder["user_id"] != user.id and not user.can("lead")):
        return None
    store.release([(site, item_id)], holder["user_id"])
    return holder["user_name"]


def case_detail(store: Store, site: str, item_id: str) -> dict:
    """Everything known about a listing, for the case view and the case file."""
    rows = store.listings_by_key([(site, item_id)])
    if (site, item_id) not in rows:
        raise AuditorError(tr("no listing {site}/{item_id}", site=site, item_id=item_id))
    listing = rows[(site, item_id)]
    picture = store.picture_row(site, item_id)
    version_id = picture["version_id"] if picture else None
    latest = store.db.execute("select max(run_id) from hits where site = ? and item_id = ?", [site, item_id]).fetchone()[0] or 0
    hits = store.matched_hits(site, item_id, version_id, latest) if latest else []
    version = store.versions([version_id]).get(version_id) if version_id else None
    evidence = store.evidence_for([(site, item_id)])[(site, item_id)]
    seller = store.seller_listings(site, listing["seller_id"]) if listing["seller_id"] else []
    decided = store.latest_decisions([(s["site"], s["item_id"]) for s in seller])
    return {
        "listing": listing, "picture": picture, "version": version,
        "rules": [{"id": h["rule_id"], "title": h["rule_title"], "severity": h["severity"],
                   "matches": json.loads(h["matches"] or "[]")} for h in hits],
        "history": store.state_history(site, item_id), "observations": store.observations_of(site, item_id),
        "evidence": evidence, "decisions": store.decisions_for(site, item_id),
        "seller_listings": [{**s, "decision": decided.get((s["site"], s["item_id"]))} for s in seller
                            if s["item_id"] != item_id],
        "seller_flags": store.seller_flags(site, listing["seller_id"]) if listing["seller_id"] else [],
        "same_picture": store.same_picture(site, item_id),
        "bank_matches": [{**m, "tag_list": json.loads(m["tags"] or "[]")} for m in store.bank_matches_of(site, item_id)],
    }


@dataclass(frozen=True)
class RuleStats:
    rule_id: str
    title: str
    flagged: int
    decided: int
    confirmed: int
    false_positive: int
    shadow: bool = False  # status: experimental: its hits are kept apart, in no queue
    severity: str = ""  # as the rule file says now ("" for a rule no longer loaded)
    loaded: bool = True  # in the rules folder now (a rule with hits may have been removed since)

    @property
    def precision(self) -> float | None:
        judged = self.confirmed + self.false_positive
        return self.confirmed / judged if judged else None


CONFIRMING = ("confirmed", "takedown_requested", "removal_confirmed")


def rule_stats(store: Store, now: datetime, days: int = 30, loaded: list[tuple[str, str, str, bool]] | None = None
               ) -> list[RuleStats]:
    """Per rule over the last days: listings flagged, decisions, and precision (confirmed over decided). `loaded`
    (id, title, severity, shadow) are the rules in the folder now: each is listed, those with no hit yet too."""
    since = now - timedelta(days=days)
    flagged = store.flagged_by_rule_since(since)
    titles = store.rule_titles()
    latest: dict[tuple[str, str], dict] = {}
    for d in store.decisions_since(since):
        if d["verdict"] in CONFIRMING + ("false_positive",):
            latest[(d["site"], d["item_id"])] = d  # the latest verdict on each listing counts
    counts: dict[str, Counter] = defaultdict(Counter)
    for d in latest.values():
        for rule in json.loads(d["rules"] or "{}"):
            counts[rule]["decided"] += 1
            counts[rule]["confirmed" if d["verdict"] in CONFIRMING else "false_positive"] += 1
    now_loaded = {rule_id: (title, severity, trial) for rule_id, title, severity, trial in loaded or ()}

    def stats(rule_id: str, title: str, n: int, shadow: bool = False) -> RuleStats:
        title, severity, _ = now_loaded.get(rule_id, (title, "", shadow))  # the rule file's words, where loaded
        c = counts[rule_id]
        return RuleStats(rule_id, title, n, c["decided"], c["confirmed"], c["false_positive"], shadow=shadow,
                         severity=severity, loaded=loaded is None or rule_id in now_loaded)

    in_production = set(flagged) | set(counts) | {r for r, (_, _, trial) in now_loaded.items() if not trial}
    shadow = store.shadow_counts_since(since)  # rule -> (title, listings flagged)
    on_trial = {r: n for r, (_, n) in shadow.items() if r not in flagged}
    on_trial.update({r: on_trial.get(r, 0) for r, (_, _, trial) in now_loaded.items() if trial and r not in flagged})
    return [stats(r, titles.get(r, r), flagged.get(r, 0)) for r in sorted(in_production)] + \
        [stats(r, shadow.get(r, (r, 0))[0], n, shadow=True) for r, n in sorted(on_trial.items())]


def reviewer_stats(store: Store, now: datetime, zone: ZoneInfo, days: int = 14) -> dict[str, dict[str, Counter]]:
    """Decisions per reviewer per day (in the configured zone), for leads."""
    out: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    for d in store.decisions_since(now - timedelta(days=days)):
        when = stored_time(d["decided_at"])
        day = when.astimezone(zone).date().isoformat() if when else f"unreadable time in decision #{d['id']}"
        out[d["user_name"]][day][d["verdict"]] += 1  # a bad stored value is named, never a page's 500
    return out


def stored_time(value) -> datetime | None:
    """A time as the record holds it, or None for a value an older import stored unchecked."""
    try:
        when = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def takedown_hours(store: Store, site: str, item_id: str) -> float | None:
    """Hours from the first confirmation to the run that first saw the listing gone."""
    confirmed = [d for d in store.decisions_for(site, item_id) if d["verdict"] in CONFIRMING]
    if not confirmed:
        return None
    since = stored_time(confirmed[0]["decided_at"])
    gone = store.first_gone_after(site, item_id, confirmed[0]["decided_at"]) if since else None
    if gone is None:
        return None
    return (datetime.fromisoformat(gone) - since).total_seconds() / 3600
