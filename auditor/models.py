"""Plain typed values that flow between the parts: no I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import Enum


class PageKind(str, Enum):
    SEARCH = "search"
    ITEM = "item"


# What a venue itself marks a listing with, the same word whatever the venue: `adult` (BOOTH's R-18 badge,
# DLsite's works without the 全年齢 mark, FANBOX's hasAdultContent, FANZA), `ai_generated` (DLsite's AI生成,
# Mercari's AI情報), `shop` (a business seller: Mercari Shops, BOOTH shops), `auction`.
LABELS = ("adult", "ai_generated", "shop", "auction")


# The words of the daily picture (auditor.run.states moves a listing from one to another)
STATES = ("evaded", "new", "escalated", "active", "gone", "cleared", "unchecked")  # the report's order
OPEN_STATES = ("new", "escalated", "active", "evaded")  # followed until they come down
NEEDS_DECISION = ("new", "escalated", "evaded")
DOWN = ("sold", "ended", "removed")
SOLD_OR_ENDED = ("sold", "ended")  # flagged and sold or ended: a case for the seller, in a queue of its own
SEVERITY_RANK = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}
DAILY_KINDS = ("scheduled", "manual", "demo")  # the kinds of run that move the picture on
FOLLOWUP = "followup"  # reads only the followed listings between daily runs: moves their states on, nothing else


def needs_decision(verdict: str | None, judged_run: int | None, review_run: int | None) -> bool:
    """Whether an open case needs a decision: never decided, sent back (reopen), or decided on a reading older
    than the run that last moved it into a state needing one (run ids, never clocks). An escalated case is
    with a lead. The one rule behind every count: the report, the queues, the alerts, `auditor run`."""
    if verdict in (None, "reopen"):
        return True
    return verdict != "escalate" and (judged_run or 0) < (review_run or 0)


@dataclass(frozen=True)
class Listing:
    """One marketplace listing as a site profile read it from its item page."""

    site: str
    item_id: str
    url: str
    title: str
    description: str = ""
    price: Decimal | None = None
    currency: str | None = None
    buy_now_price: Decimal | None = None
    bids: int | None = None
    seller_id: str | None = None
    seller_name: str | None = None
    category: str | None = None
    tags: tuple[str, ...] = ()
    image_urls: tuple[str, ...] = ()
    end_time: datetime | None = None
    status: str = "active"  # active | ended | sold
    image_meta: tuple[str, ...] = ()  # text found in the listing's images (e.g. PNG 'parameters')
    seller_url: str | None = None  # the seller's page on the marketplace, where the profile knows it
    start_price: Decimal | None = None  # an auction's opening price
    labels: tuple[str, ...] = ()  # what the venue itself marks it with, normalised (LABELS)
    list_price: Decimal | None = None  # the price before a sale, where the venue shows both
    condition: str | None = None  # the item's condition as the venue words it (新品、未使用, ...)
    published_at: datetime | None = None  # when the venue says it was listed or published
    seller_links: tuple[str, ...] = ()  # the seller's accounts elsewhere as the venue shows them (a shop's own links)

    def numeric_fields(self) -> dict[str, Decimal | int | None]:
        return {"price": self.price, "buy_now_price": self.buy_now_price, "bids": self.bids}

    def text_fields(self) -> dict[str, list[str]]:
        """The listing's matchable text, field by field (a list field keeps its values apart)."""
        return {
            "title": [self.title],
            "description": [self.description],
            "tags": list(self.tags),
            "category": [self.category or ""],
            "seller_id": [self.seller_id or ""],
            "seller_name": [self.seller_name or ""],
            "site": [self.site],
            "currency": [self.currency or ""],
            "image_meta": list(self.image_meta),
            "item_id": [self.item_id],
            "url": [self.url],
            "labels": list(self.labels),
        }


@dataclass(frozen=True)
class SearchPage:
    """What a search-results page yields: item links to open, the next page, and what the cards show."""

    item_urls: tuple[str, ...]
    next_url: str | None = None
    listings: tuple[Listing, ...] = ()  # partial listings read from the result cards
    total: int | None = None  # results the site says it has
    unrendered: int = 0  # result cells the page had not drawn yet (skeletons): the search is partial


@dataclass(frozen=True)
class Match:
    """One matched span, in the listing's original text."""

    field: str
    text: str
    start: int
    end: int
    value_index: int = 0


@dataclass(frozen=True)
class Hit:
    """A rule that flagged a listing, with the spans that made it fire."""

    rule_id: str
    title: str
    severity: str
    tags: tuple[str, ...]
    matches: tuple[Match, ...]


@dataclass(frozen=True)
class SellerHit:
    """A seller rule that flagged a seller: how many flagged listings, worth how much, in how many days."""

    rule_id: str
    title: str
    severity: str
    site: str
    seller_id: str
    seller_name: str | None
    listings: int
    total: Decimal
    within_days: int


@dataclass(frozen=True)
class EvidenceFile:
    """One saved evidence file: its path under the evidence folder and its SHA-256."""

    kind: str  # screenshot | html | image | capture
    path: str
    sha256: str
    bytes: int
    source_url: str | None = None


@dataclass(frozen=True)
class Evidence:
    """What was captured of a flagged listing's page at one moment, never overwritten."""

    site: str
    item_id: str
    url: str
    final_url: str
    captured_at: datetime
    folder: str  # relative to the evidence folder
    files: tuple[EvidenceFile, ...]


@dataclass(frozen=True)
class PageFailure:
    """A page that could not be fetched or parsed; recorded, and the run goes on."""

    target: str
    url: str
    kind: str
    error: str
    attempts: int
    page_kind: PageKind
    proof: str | None = None  # a removed page's text as the venue served it: kept, with its SHA-256


@dataclass(frozen=True)
class ListingFound:
    """An item page that parsed into a listing (or, when the item page failed, its search card)."""

    target: str
    listing: Listing
    source: str = "item"  # item | card: only what the search result card showed
    card: str | None = None  # the digest of the listing's search card this run (auditor.values.card_digest)
    etag: str | None = None  # the item page's validators, for the next run's conditional request
    last_modified: str | None = None
    not_modified: bool = False  # the venue answered 304: the listing is the one stored, no page was parsed
    unchanged: bool = False  # a card with nothing new: its item page was not requested (the stored listing)


@dataclass(frozen=True)
class TargetNote:
    """Something the crawl must report about a target: it was capped, or its search was cut short."""

    target: str
    kind: str  # capped | unrendered
    detail: str


@dataclass
class RunSummary:
    """Counts a run reports at its end."""

    run_id: int
    status: str  # running | completed | partial | failed | interrupted
    started_at: datetime
    finished_at: datetime | None = None
    targets: list[str] = field(default_factory=list)
    pages_ok: int = 0
    pages_failed: int = 0
    listings_seen: int = 0
    listings_new: int = 0
    listings_changed: int = 0
    flagged: int = 0
    hits: int = 0
    seller_flags: int = 0
    evidence_captured: int = 0
    evidence_failed: int = 0  # captures owed and not taken: the run is partial, and says so
    pages_spared: int = 0  # item pages not requested: their search cards showed nothing new (the crawl budget)
    failures: list[PageFailure] = field(default_factory=list)
    target_pages: dict[str, int] = field(default_factory=dict)  # pages read per target (this process)
    report_dir: str | None = None
    kind: str = "manual"  # scheduled | manual | adhoc | demo
    states: dict[str, int] = field(default_factory=dict)  # listings per state, as the report counts them
    incomplete: dict[str, str] = field(default_factory=dict)  # target -> why it was not read completely
    day_report_dir: str | None = None
    reports_only: bool = False  # a resume that found the run finished, its reports owed: it wrote them, nothing else

    @property
    def flagged_now(self) -> int:
        """Listings flagged and still up: new, escalated and still active (the report's count)."""
        return sum(self.states.get(s, 0) for s in ("new", "escalated", "active"))


@dataclass(frozen=True)
class BankMatch:
    """A listing image near a bank entry."""

    bank: str
    entry_id: int
    distance: int
    pdq: str  # the bank entry's hash
    source: str
    ref: str | None
    image_sha256: str = ""  # the listing image that matched
    image_url: str = ""
    signal_type: str = "pdq"  # or an exact digest of the file: video_md5, video_sha256 (ThreatExchange's names)
    source_id: str = ""  # the entry's id at its source (an imported entry)
    tags: tuple[str, ...] = ()
    fetched_at: str = ""  # when we took it in from its source
    held: bool = False  # the entry is held for a flood: its matches flag nothing until a lead releases it

    def describe(self) -> str:
        """The match as a hit names it: the entry and where it came from (its source, its id there, its tags)."""
        where = f"{self.source}{': ' + self.ref if self.ref else ''}" if self.source else ""
        if self.source_id:
            where += f" #{self.source_id}"
        if self.tags:
            where += f" [{', '.join(self.tags[:5])}]"
        how = f"distance {self.distance}" if self.signal_type == "pdq" else f"exact {self.signal_type}"
        return f"bank {self.bank} #{self.entry_id}{f' ({where})' if where else ''}, {how}"


@dataclass(frozen=True)
class ImageSignals:
    """What a listing's images showed, for the rules' image tests."""

    banks: tuple[BankMatch, ...] = ()  # its images near bank entries
    nudity: tuple[tuple[str, float], ...] = ()  # (label, score) from the opt-in detector, best score per label

    def __bool__(self) -> bool:
        return bool(self.banks or self.nudity)


@dataclass(frozen=True)
class Exchange:
    """One request of a captured page and the response the browser received (the body as delivered, decoded)."""

    method: str
    url: str
    request_headers: tuple[tuple[str, str], ...]
    status: int
    status_text: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    at: datetime


@dataclass(frozen=True)
class Snapshot:
    """What the browser saw of a page: the screenshot, the rendered HTML and the listing's images."""

    url: str
    final_url: str
    png: bytes
    html: str
    images: tuple[tuple[str, str, bytes], ...] = ()  # (url, content type, body)
    notes: tuple[str, ...] = ()  # what the capture stopped or refused (navigations, popups, addresses)
    partial: str | None = None  # why the capture is not the whole page, when it is not
    block_png: bytes | None = None  # the listing's main block alone (the profile's listing_block), when found
    exchanges: tuple["Exchange", ...] = ()  # what the browser received for the page, for its web archive
