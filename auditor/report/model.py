"""What a report holds: its listings, their evidence, the sellers, the trends, the runs it covers. Plain values
(compile.py fills them from the database, render.py writes them out)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from auditor.models import DOWN, SOLD_OR_ENDED, STATES
from auditor.rules.model import SEVERITIES

SEVERITY_ORDER = {s: i for i, s in enumerate(reversed(SEVERITIES))}  # critical first
TREND_DAYS = 30
FLAGGED_NOW = ("new", "escalated", "active")
FAR = datetime.max.replace(tzinfo=None)


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
    source: Path | None = None  # a picture copied into the report's media/ (the page shows it blurred)


@dataclass
class FlaggedListing:
    site: str
    item_id: str
    url: str
    title: str  # as matched
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
    reason: str | None = None
    target: str = ""
    run_id: int = 0
    end_time: str | None = None
    added: list[str] = field(default_factory=list)  # escalated: the new or more severe rules
    current_title: str | None = None  # the title read now, where it differs from the matched one
    source: str = "item"  # item | card | removed | unread
    description: str = ""  # as matched
    tags: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()  # what the venue itself marks the listing with (adult, ai_generated, shop, auction)
    decision: dict | None = None  # the latest decision on the listing when the report was written
    needs_decision: bool = False
    evidence: list[EvidenceLink] = field(default_factory=list)  # the latest capture's files
    captures: int = 0
    thumb: str | None = None  # relative to the report's folder (copied into thumbs/)
    thumb_source: Path | None = None
    evaded_at: str | None = None  # flagged again after it was edited to evade: when it was seen evading

    @property
    def key(self) -> tuple[str, str]:
        return (self.site, self.item_id)

    @property
    def for_sale(self) -> bool:
        return self.status not in DOWN


@dataclass(frozen=True)
class Covered:
    target: str
    run: dict  # the run that stands for the target: the day's last that read it completely, else its last
    complete: bool
    reason: str | None
    runs: tuple[dict, ...] = ()  # every run of the day that read the target, oldest first (a run report: its own)

    @property
    def all_runs(self) -> tuple[dict, ...]:
        return self.runs or (self.run,)


@dataclass
class SellerRow:
    site: str
    seller_id: str
    seller_name: str | None
    flagged: int
    asking_total: Decimal
    sold_total: Decimal
    seller_url: str | None = None
    flags: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class RuleTrend:
    rule_id: str
    title: str
    today: int
    counts: list[int]  # one per day, oldest first, TREND_DAYS long


@dataclass(frozen=True)
class ShadowRow:
    """A hit of a rule in shadow mode: shown apart, decided on by nobody, alerting nobody."""

    rule_id: str
    rule_title: str
    severity: str
    site: str
    item_id: str
    url: str
    title: str
    seller_id: str | None
    matched: tuple[str, ...]


@dataclass
class Report:
    scope: str  # run | day
    day: date
    zone: ZoneInfo
    run: dict  # the run this report is about (a day: the latest run it covers)
    covered: list[Covered]
    hits: list[dict]  # one per (listing, rule): the rows of hits.csv / hits.json
    listings: list[FlaggedListing]
    sellers: list[SellerRow]
    by_severity: dict[str, int]
    trends: list[RuleTrend]
    failures: list[dict]
    failures_by_target: dict[str, Counter]
    trend_days: list[date] = field(default_factory=list)
    manifest_href: str | None = None
    language: str = "en"
    shadow: list[ShadowRow] = field(default_factory=list)
    networks: list = field(default_factory=list)  # images.networks.Network: sellers linked by shared pictures
    health: list = field(default_factory=list)  # site_health.TargetHealth: per target, read and blocked, 7-day trend
    removals: list = field(default_factory=list)  # notices whose listings these runs saw gone, with the hours
    notices_due: list = field(default_factory=list)  # notices still out renotice_days after they were sent

    @property
    def runs(self) -> list[dict]:
        seen: dict[int, dict] = {}
        for c in self.covered:
            for r in c.all_runs:
                seen.setdefault(r["id"], r)
        return [seen[k] for k in sorted(seen)]

    @property
    def targets(self) -> list[str]:
        return [c.target for c in self.covered]

    @property
    def incomplete(self) -> list[Covered]:
        return [c for c in self.covered if not c.complete]

    @property
    def notes(self) -> list[str]:
        return [n for r in self.runs for n in json.loads(r.get("notes") or "[]")]

    def in_state(self, state: str) -> list[FlaggedListing]:
        return [x for x in self.listings if x.state == state]

    @property
    def flagged_now(self) -> list[FlaggedListing]:
        return [x for x in self.listings if x.state in FLAGGED_NOW]

    sold_waiting: int = 0  # sold or ended cases of earlier days still waiting for a decision (not read again since)

    @property
    def needs_decision(self) -> int:
        """Cases needing a decision, as the console counts them (models.needs_decision): for sale and sold/ended."""
        return self.needs_for_sale + self.needs_sold

    @property
    def needs_for_sale(self) -> int:
        """Of those, the ones in the console's queue (for sale)."""
        return sum(1 for x in self.listings if x.needs_decision and x.status not in SOLD_OR_ENDED)

    @property
    def needs_sold(self) -> int:
        """Of those, the ones sold or ended: the queue "sold / ended: for the seller"."""
        return sum(1 for x in self.listings if x.needs_decision and x.status in SOLD_OR_ENDED) + self.sold_waiting

    @property
    def counts(self) -> dict[str, int]:
        return {s: len(self.in_state(s)) for s in STATES}

    @property
    def totals(self) -> dict[str, int]:
        """Pages and listings over the runs the report covers."""
        keys = ("pages_ok", "pages_failed", "listings_seen", "listings_new", "listings_changed")
        return {k: sum(r.get(k) or 0 for r in self.runs) for k in keys}

    @property
    def duration_seconds(self) -> float | None:
        if not self.run.get("finished_at"):
            return None
        return (datetime.fromisoformat(self.run["finished_at"]) - datetime.fromisoformat(self.run["started_at"])).total_seconds()
