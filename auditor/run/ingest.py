"""The crawl's results into the store as they arrive: each listing matched, stored, and its evidence owed."""

from __future__ import annotations

import logging
from contextlib import aclosing
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from auditor import failpoints
from auditor.crawl import ItemLink, SearchPageRead, Spent, crawl
from auditor.crawl.addresses import AddressPolicy
from auditor.crawl.robots import RobotsCache
from auditor.crawl.routes import Routes
from auditor.evidence.capture import EvidenceTaker
from auditor.images.taker import ImageTaker
from auditor.models import ListingFound, PageFailure, PageKind, RunSummary, TargetNote
from auditor.rules import Matcher
from auditor.rules.normalize import compact
from auditor.sites import linked_sellers
from auditor.store import DATABASE_ERRORS, Store

log = logging.getLogger("auditor.run.pipeline")
Clock = Callable[[], datetime]


@dataclass
class Progress:
    """Live counters a terminal (or a log) can show while a run goes."""

    summary: RunSummary
    discovered: int = 0
    done: int = 0
    on_change: Callable[["Progress"], None] | None = None

    def tick(self) -> None:
        if self.on_change:
            self.on_change(self)


def search_text(x) -> str:
    """A listing's text as the rules fold it (title, description, tags, seller, item id), for searches in SQL."""
    return compact(" ".join([x.title, x.description, *x.tags, x.seller_id or "", x.seller_name or "", x.item_id]))


@dataclass
class Tally:
    """Per-target counts of one run, and why a target was not read completely."""

    ok: Counter = field(default_factory=Counter)
    failed: Counter = field(default_factory=Counter)
    listings: Counter = field(default_factory=Counter)
    incomplete: dict[str, str] = field(default_factory=dict)
    spent: dict[str, Counter] = field(default_factory=dict)  # target -> requests by kind, pages spared, pace waited


async def crawl_into_store(jobs, fetcher, policy, store: Store, matcher: Matcher, progress: Progress, clock: Clock,
                            evidence: EvidenceTaker | None, followed: dict[str, tuple[str, str]], tally: Tally,
                            addresses: AddressPolicy, images: ImageTaker | None = None,
                            routes: Routes | None = None, links: list[ItemLink] | None = None,
                            once: bool = False, limiter=None, robots: RobotsCache | None = None) -> None:
    """Store what the crawl reads as it comes. A discover-only crawl's item links go into `links`; with `once`
    (workers, whose jobs a queue may deliver twice) a listing this run already stored is not stored again."""
    s = progress.summary
    ready = {j.target: j.reader.ready_selector for j in jobs}
    watched = set(followed.values())
    gone: set[str] = set()  # followed listings whose own page said they are gone: a stale search card does not undo it
    robots = robots or RobotsCache(policy.user_agent, policy=addresses, routes=routes)  # a worker keeps one per run
    async with aclosing(crawl(jobs, fetcher, policy, robots, limiter)) as events:
        async for event in events:
            if isinstance(event, ListingFound):
                x = event.listing
                if event.source == "card" and x.url in gone:
                    continue
                try:
                    hits, shadow = matcher.split(matcher.match_listing(x))
                    recorded = store.record_listing(s.run_id, event.target, x, hits, clock(), source=event.source,
                                                    search_text=search_text(x), once=once, linked=linked_sellers(x),
                                                    card=event.card, validators=_validators(event))
                    if recorded is None:  # stored by an earlier delivery of the same job
                        continue
                    store.record_shadow_hits(s.run_id, x.site, x.item_id, shadow, clock())
                except DATABASE_ERRORS:
                    raise  # the database itself: the run cannot go on (a worker's job is given again)
                except Exception as e:  # noqa: BLE001 - one listing must never end the run: recorded, and on
                    log.exception("listing %s/%s could not be matched or stored", x.site, x.item_id)
                    failure = PageFailure(event.target, x.url, "error", f"not stored: {type(e).__name__}: {e}"[:500], 1,
                                          PageKind.ITEM)
                    store.record_failure(s.run_id, failure, clock())
                    s.pages_failed += 1
                    tally.failed[event.target] += 1
                    s.failures.append(failure)
                    continue
                # a page read, or a card spared as unchanged whose stored listing today's rules flag (a rule added
                # today): captured as evidence either way; a card standing in for a page that failed is not
                if evidence and (event.source == "item" or event.unchanged) and (hits or (x.site, x.item_id) in watched) \
                        and evidence.wanted(x, recorded):
                    evidence.take(event.target, x, ready[event.target])
                if images and event.source == "item" and images.wants(event.target, hits):
                    images.take(event.target, x, hits, recorded.version_id, ready[event.target])
                if event.source == "item":
                    failpoints.reached("item-page")
                    s.pages_ok += 1
                    tally.ok[event.target] += 1
                s.listings_seen += 1
                s.pages_spared += event.unchanged
                tally.listings[event.target] += 1
                s.listings_new += recorded.new
                s.listings_changed += bool(recorded.changes)
                s.flagged += bool(hits)
                s.hits += len(hits)
            elif isinstance(event, PageFailure):
                store.record_failure(s.run_id, event, clock())
                if event.kind == "removed":
                    if event.url in followed:
                        store.mark_removed(s.run_id, *followed[event.url], clock())
                        gone.add(event.url)
                    s.pages_ok += 1
                    tally.ok[event.target] += 1
                else:
                    s.pages_failed += 1
                    tally.failed[event.target] += 1
                    s.failures.append(event)
                    if event.page_kind is PageKind.SEARCH:
                        tally.incomplete.setdefault(event.target, f"a search page failed ({event.kind}: {event.url})")
            elif isinstance(event, SearchPageRead):
                s.pages_ok += 1
                tally.ok[event.target] += 1
                progress.discovered += event.items + event.has_next
                failpoints.reached("search-page")
            elif isinstance(event, Spent):
                tally.spent.setdefault(event.target, Counter()).update(event.counts)
                continue
            elif isinstance(event, ItemLink):
                if links is not None:
                    links.append(event)
                continue
            elif isinstance(event, TargetNote):
                tally.incomplete.setdefault(event.target, event.detail)
            progress.done += 1
            progress.tick()


def _validators(event: ListingFound) -> tuple[str | None, str | None] | None:
    """The item page's ETag and Last-Modified to keep; None keeps the stored ones (a card, a 304 without new ones)."""
    if event.source != "item" or (event.not_modified and not (event.etag or event.last_modified)):
        return None
    return event.etag, event.last_modified
