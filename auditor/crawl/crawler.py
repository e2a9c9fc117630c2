"""The crawl loop: follows search pages to item pages, N pages at once, politely, with retries.

Results stream out as they come (an async iterator), so the pipeline stores and matches each page
while the others load. A page that fails is yielded as a PageFailure and the crawl goes on.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import Counter
from dataclasses import dataclass, replace
from typing import AsyncIterator, Protocol
from urllib.parse import urlsplit

from auditor.crawl.blocked import block_reason, retry_after_seconds
from auditor.errors import (BadStatus, Blocked, BrowserCrashed, CrawlError, FetchTimeout, NetworkError, ParseError, Removed,
                            Unrendered)
from auditor.models import Listing, ListingFound, PageFailure, PageKind, SearchPage, TargetNote
from auditor.crawl.politeness import HostLimiter
from auditor.crawl.robots import RobotsCache
from auditor.values import card_digest, clean_listing, web_url

log = logging.getLogger(__name__)


class PageReader(Protocol):
    """What the crawl needs from a site profile."""

    name: str
    ready_selector: str | None

    def page_kind(self, url: str) -> PageKind: ...
    def parse_search(self, html: str, url: str) -> SearchPage: ...
    def parse_item(self, html: str, url: str) -> Listing: ...
    def parse(self, html: str, url: str, kind: PageKind | None = None, *,
              hint: PageKind | None = None) -> SearchPage | Listing: ...


class Fetcher(Protocol):
    async def fetch(self, url: str, *, ready_selector: str | None, timeout: float): ...


class Memory(Protocol):
    """What the store knows of a target's listings, so that a run asks only for pages that can tell something new
    (auditor.run.budget keeps it)."""

    def unchanged(self, card: Listing) -> Listing | None:
        """The stored listing, when this search card shows nothing new and its item page is not due: not read."""

    def known(self, card: Listing) -> bool:
        """Whether this card is of a stored listing and shows what its last card showed (no news, read or not)."""

    def validators(self, url: str) -> dict[str, str]:
        """If-None-Match / If-Modified-Since for an item page read before (empty: none known)."""

    def stored(self, url: str) -> Listing | None:
        """The listing stored for an item page (what a 304 confirms)."""


@dataclass(frozen=True)
class CrawlJob:
    target: str
    reader: PageReader
    start_urls: tuple[str, ...]
    max_pages: int
    requests_per_second: float
    skip_urls: frozenset[str] = frozenset()  # item pages already done (a resumed run)
    obey_robots: bool = True
    mode: str = "auto"  # auto | http | browser (with an AdaptiveFetcher)
    follow_urls: tuple[str, ...] = ()  # item pages of listings already followed: checked on every run
    discover_only: bool = False  # search pages only: each item page found is yielded as an ItemLink (workers)
    memory: Memory | None = None  # with it, unchanged cards and 304s spare item pages (None: read everything)
    known_stop: int = 0  # a newest-first search stops paging after this many pages of only known, unchanged cards
    card_digests: tuple[tuple[str, str], ...] = ()  # item URL -> its search card's digest, read by another job


@dataclass(frozen=True)
class ItemLink:
    """An item page a discover-only crawl found and did not read (a worker's batch of them reads it)."""

    target: str
    url: str
    card: str | None = None  # the digest of its search card (values.card_digest), for the crawl budget


@dataclass(frozen=True)
class SearchPageRead:
    target: str
    url: str
    items: int
    has_next: bool


@dataclass(frozen=True)
class Spent:
    """What a target cost the venue in this crawl: requests by kind, pages spared, seconds waited for the pace."""

    target: str
    counts: dict[str, float]  # search, item, not_modified (304s among the item requests), unchanged, waited_s


@dataclass(frozen=True)
class CrawlPolicy:
    retries: int = 2
    backoff_seconds: float = 1.0
    page_timeout: float = 30.0
    max_per_host: int = 4
    concurrency: int = 4
    max_retry_after: float = 120.0  # a longer Retry-After gives the page up for this run
    user_agent: str = "auditor"  # the name robots.txt rules are matched against

    @property
    def hard_deadline(self) -> float:
        """Holds even when the browser's own timeout does not fire."""
        return self.page_timeout * 2 + 5


CrawlEvent = ListingFound | PageFailure | SearchPageRead | TargetNote | ItemLink | Spent
MAX_BARREN_PAGES = 5  # then "next" is not followed: endless pagination
MAX_LINKS = 1_000  # item links and cards taken from one search page
# pages the venue would not show us (a bot wall, a skeleton, an age gate): the listing stays unchecked, its
# search card standing in for nothing
REFUSED = ("blocked", "unrendered", "age_gate")


def _check_response(url: str, page, kind: PageKind | None) -> None:
    """Block and captcha pages are `blocked`; an item page's 404 / 410 is `removed`; other 4xx / 5xx are
    `http_status` (429 / 503 with Retry-After)."""
    reason = block_reason(page.status, page.html)
    if reason:
        raise Blocked(url, reason)
    if kind is PageKind.ITEM and page.status in (404, 410):
        gone = Removed(url, f"HTTP {page.status}: the listing is no longer there")
        gone.page = page.html[:2_000_000]
        raise gone
    if page.status >= 400:
        raise BadStatus(url, page.status, retry_after_seconds(page.retry_after))


def _retryable(err: CrawlError) -> bool:
    if isinstance(err, BadStatus):
        return err.retryable
    return isinstance(err, (FetchTimeout, NetworkError))


class _Crawl:
    def __init__(self, fetcher: Fetcher, policy: CrawlPolicy, robots: RobotsCache | None, limiter=None):
        self.fetcher = fetcher
        self.policy = policy
        self.robots = robots
        self.limiter = limiter or HostLimiter(policy.max_per_host)  # or the fleet's (crawl/fleet.py)
        self.rates: dict[str, float] = {}  # host -> the slowest rate of the jobs starting there
        if robots is not None:
            robots.pace = lambda url: self.limiter.slot(url, self.rates.get(urlsplit(url).netloc, 1.0))
        self.queue: asyncio.Queue = asyncio.Queue()
        self.out: asyncio.Queue = asyncio.Queue()
        self.seen: set[str] = set()
        self.pages = Counter()
        self.capped: set[str] = set()
        self.barren = Counter()  # search pages in a row with no new listing, per target
        self.known = Counter()  # per newest-first search (its first page's URL): pages in a row of known listings only
        self.chain: dict[str, str] = {}  # a next page's URL -> its search's first page
        self.cards: dict[str, Listing] = {}  # item URL -> what its search result card showed
        self.spent: dict[str, Counter] = {}  # target -> requests by kind, pages spared, time waited for the pace

    def enqueue(self, job: CrawlJob, url: str, kind: PageKind | None) -> bool:
        """Queue a page (kind None: read it as what its content shows); False when the target's cap refused it."""
        if url in self.seen or (kind is PageKind.ITEM and url in job.skip_urls):
            return True
        if self.pages[job.target] >= job.max_pages:
            if job.target not in self.capped:
                self.capped.add(job.target)
                log.warning("target %s reached max_pages_per_target (%d); the rest is not crawled", job.target, job.max_pages)
                self.out.put_nowait(TargetNote(job.target, "capped", f"stopped at max_pages_per_target ({job.max_pages})"))
            return False
        self.seen.add(url)
        self.pages[job.target] += 1
        if kind is PageKind.ITEM and job.discover_only:
            card = self.cards.pop(url, None)
            self.out.put_nowait(ItemLink(job.target, url, card_digest(card) if card else None))
        else:
            self.queue.put_nowait((job, url, kind))
        return True

    async def worker(self) -> None:
        while True:
            job, url, kind = await self.queue.get()
            try:
                await self.process(job, url, kind)
            except Exception as e:  # a bug in a profile must not stop the crawl
                log.exception("unexpected error on %s", url)
                await self.out.put(PageFailure(job.target, url, "error", f"{type(e).__name__}: {e}", 1,
                                               kind or job.reader.page_kind(url)))
            finally:
                self.queue.task_done()
            if asyncio.current_task().cancelling():  # a cancellation swallowed below (3.11's wait_for can): honoured
                raise asyncio.CancelledError

    async def process(self, job: CrawlJob, url: str, kind: PageKind) -> None:
        attempt, crash_forgiven, ask_if_changed = 0, False, True
        spent = self.spent.setdefault(job.target, Counter())
        while True:
            attempt += 1
            try:
                rate = job.requests_per_second
                if self.robots is not None and job.obey_robots:
                    await self.robots.check(url)
                    delay = await self.robots.crawl_delay(url)
                    rate = min(rate, 1 / delay) if delay else rate
                fetcher = await self._fetcher_for(job)
                headers = self._validators(job, url, kind, fetcher) if ask_if_changed else {}
                waiting = time.monotonic()
                async with self.limiter.slot(url, rate):
                    spent["waited_s"] += time.monotonic() - waiting
                    spent["item" if (kind or job.reader.page_kind(url)) is PageKind.ITEM else "search"] += 1
                    page = await asyncio.wait_for(
                        fetcher.fetch(url, ready_selector=job.reader.ready_selector, timeout=self.policy.page_timeout,
                                      **({"headers": headers} if headers else {})),
                        self.policy.hard_deadline)
                if page.status == 304 and headers:
                    stored = job.memory.stored(url)
                    if stored is not None:  # unchanged since it was stored: no body, no parse, the stored listing
                        spent["not_modified"] += 1
                        self.cards.pop(url, None)
                        await self.out.put(ListingFound(job.target, replace(stored, url=url), "item", etag=page.etag,
                                                        last_modified=page.last_modified, not_modified=True))
                        return
                    ask_if_changed, attempt = False, attempt - 1  # nothing stored to stand for it: asked again in full
                    continue
                _check_response(url, page, kind)
                try:
                    parsed = self._parse(job, page.html, page.final_url or url, kind)
                except (ParseError, Unrendered) as e:
                    if not self._fall_back(job, fetcher, page.html, unrendered=isinstance(e, Unrendered)):
                        raise
                    attempt -= 1  # the same page again, in the browser: not a failed attempt
                    continue
            except asyncio.TimeoutError:
                err: CrawlError = FetchTimeout(url, f"hard deadline of {self.policy.hard_deadline:g} s passed")
                if hasattr(self.fetcher, "unresponsive"):
                    await self.fetcher.unresponsive()  # the browser's own timeout did not fire: it may be stuck
            except CrawlError as e:
                err = e
            else:
                await self._emit(job, url, parsed, page)
                return
            if isinstance(err, BrowserCrashed) and not crash_forgiven:
                crash_forgiven = True  # the browser, not the page, failed: once, the attempt is given back
                attempt -= 1
            if _retryable(err) and attempt <= self.policy.retries:
                delay = self.policy.backoff_seconds * (2 ** (attempt - 1)) * random.uniform(0.5, 1.5)
                asked = getattr(err, "retry_after", None)
                if asked is not None:
                    if asked > self.policy.max_retry_after:
                        log.warning("%s asks us to wait %g s, more than crawl.max_retry_after_seconds", url, asked)
                        await self._fail(job, url, kind, err, attempt)
                        return
                    delay = max(delay, asked)
                    self.limiter.pause(url, delay)  # the whole host waits, not just this page
                log.info("retrying %s in %.1f s after %s", url, delay, err.detail)
                await asyncio.sleep(delay)
                continue
            await self._fail(job, url, kind, err, attempt)
            return

    async def _fail(self, job: CrawlJob, url: str, kind: PageKind | None, err: CrawlError, attempt: int) -> None:
        """Record the failure; an item page whose search card was read still gives what the card showed."""
        page_kind = kind or job.reader.page_kind(url)
        if err.kind != "removed":  # the run's summary and report list them; the log keeps each one
            log.info("page failed: %s (%s after %d attempt%s)", url, err.detail, attempt, "s" * (attempt > 1))
        await self.out.put(PageFailure(job.target, url, err.kind, err.detail, attempt, page_kind,
                                       getattr(err, "page", None)))
        card = self.cards.pop(url, None)
        if card is not None and page_kind is PageKind.ITEM and err.kind not in REFUSED:
            await self.out.put(ListingFound(job.target, card, "card"))

    @staticmethod
    def _validators(job: CrawlJob, url: str, kind: PageKind | None, fetcher) -> dict[str, str]:
        """Conditional-request headers for an item page read before, where the fetcher can send them (plain HTTP)."""
        if kind is not PageKind.ITEM or job.memory is None or not getattr(fetcher, "conditional", False):
            return {}
        return job.memory.validators(url)

    async def _fetcher_for(self, job: CrawlJob):
        if hasattr(self.fetcher, "fetcher_for"):
            return await self.fetcher.fetcher_for(job.target, job.mode, getattr(job.reader, "needs_browser", False))
        return self.fetcher

    def _fall_back(self, job: CrawlJob, used, html: str, unrendered: bool = False) -> bool:
        """An HTTP page the profile cannot read because it needs JavaScript (or that the profile says JavaScript had
        not drawn yet): the target moves to the browser, which waits for the profile's ready state."""
        adaptive = self.fetcher if hasattr(self.fetcher, "move_to_browser") else None
        if adaptive is None or job.mode != "auto" or used is not adaptive.http:
            return False
        needs_js = getattr(job.reader, "needs_javascript", None)
        if not unrendered and (needs_js is None or not needs_js(html)):
            return False
        adaptive.move_to_browser(job.target)
        return True

    def _parse(self, job: CrawlJob, html: str, url: str, kind: PageKind | None):
        """What the page is, as its content shows first (a removed, blocked or unrendered page raises its own
        error); the kind the crawl expected (`kind`: an item link, a next page) is only a hint."""
        try:
            parsed = job.reader.parse(html, url, hint=kind)
        except CrawlError:  # ParseError, or the page's state: Removed, Blocked, Unrendered, AgeGate
            raise
        except Exception as e:  # markup the profile did not expect
            raise ParseError(url, f"{job.reader.name} could not read the page: {type(e).__name__}: {e}") from None
        return checked(parsed, url)

    async def _emit(self, job: CrawlJob, url: str, parsed, page) -> None:
        if isinstance(parsed, SearchPage):
            fresh = [u for u in parsed.item_urls if u not in self.seen]
            cards = {c.url: c for c in parsed.listings if c.url}
            self.cards.update(cards)
            known = job.memory is not None and bool(parsed.item_urls) and all(
                item_url in cards and job.memory.known(cards[item_url]) for item_url in parsed.item_urls)
            for item_url in parsed.item_urls:
                if await self._spared(job, item_url, cards.get(item_url)):
                    continue
                if not self.enqueue(job, item_url, PageKind.ITEM) and item_url in cards:
                    await self.out.put(ListingFound(job.target, cards[item_url], "card"))  # capped: the card is all we have
            self.barren[job.target] = 0 if fresh else self.barren[job.target] + 1
            search = self.chain.pop(url, url)
            if job.known_stop:  # newest first: a page of only known, unchanged listings says the news has run out
                self.known[search] = self.known[search] + 1 if known else 0
            if parsed.next_url and self.barren[job.target] >= MAX_BARREN_PAGES:
                log.warning("target %s: %d search pages in a row without a new listing; not following 'next' "
                            "further (endless pagination?)", job.target, MAX_BARREN_PAGES)
            elif parsed.next_url and job.known_stop and self.known[search] >= job.known_stop:
                self.spent.setdefault(job.target, Counter())["paging_stopped"] += 1
                log.info("target %s: %d pages in a row of %s held only known, unchanged listings (newest first): "
                         "not paging further", job.target, self.known[search], search)
            elif parsed.next_url:
                self.chain[parsed.next_url] = search
                self.enqueue(job, parsed.next_url, PageKind.SEARCH)
            if parsed.unrendered:
                await self.out.put(TargetNote(job.target, "unrendered", f"{parsed.unrendered} result cells of {url} had "
                                              "not rendered: the search was read in part"))
            await self.out.put(SearchPageRead(job.target, url, len(parsed.item_urls), parsed.next_url is not None))
        else:
            card = self.cards.pop(url, None)  # read from its own page: its card is no longer needed (memory stays flat)
            digest = card_digest(card) if card else dict(job.card_digests).get(url) if job.card_digests else None
            await self.out.put(ListingFound(job.target, parsed, card=digest,
                                            etag=getattr(page, "etag", None),
                                            last_modified=getattr(page, "last_modified", None)))

    async def _spared(self, job: CrawlJob, url: str, card: Listing | None) -> bool:
        """A card that shows nothing new of a listing not due for a read: recorded from what is stored, no request."""
        if card is None or job.memory is None or url in self.seen or url in job.skip_urls:
            return False
        stored = job.memory.unchanged(card)
        if stored is None:
            return False
        self.seen.add(url)
        self.cards.pop(url, None)
        self.spent.setdefault(job.target, Counter())["unchanged"] += 1
        await self.out.put(ListingFound(job.target, replace(stored, url=url), "card", card=card_digest(card),
                                        unchanged=True))
        return True


def checked(parsed: SearchPage | Listing, url: str) -> SearchPage | Listing:
    """What a profile read, with every value made safe (see auditor.values). An item page's listing
    keeps the address that was crawled, never one the page declares about itself."""
    if isinstance(parsed, Listing):
        return replace(clean_listing(parsed, url), url=url)
    cards = []
    for card in parsed.listings[:MAX_LINKS]:
        if web_url(card.url):
            try:
                cards.append(clean_listing(card, card.url))
            except ParseError:
                continue
    return SearchPage(tuple(dict.fromkeys(u for u in parsed.item_urls if web_url(u)))[:MAX_LINKS],
                      parsed.next_url if web_url(parsed.next_url) else None, tuple(cards),
                      parsed.total if isinstance(parsed.total, int) and 0 <= parsed.total < 2 ** 63 else None,
                      parsed.unrendered if isinstance(parsed.unrendered, int) and 0 <= parsed.unrendered < 10 ** 6 else 0)


async def crawl(jobs: list[CrawlJob], fetcher: Fetcher, policy: CrawlPolicy,
                robots: RobotsCache | None = None, limiter=None) -> AsyncIterator[CrawlEvent]:
    """Crawl every job's start URLs and what they lead to; yield each page's result as it comes.

    With a RobotsCache, pages robots.txt disallows are never requested (recorded as `robots`). A limiter
    (HostLimiter's interface) paces the requests per host: by default this crawl's own."""
    c = _Crawl(fetcher, policy, robots, limiter)
    for job in jobs:
        for url in (*job.start_urls, *job.follow_urls):
            host = urlsplit(url).netloc
            c.rates[host] = min(c.rates.get(host, job.requests_per_second), job.requests_per_second)
    for job in jobs:
        for url in job.start_urls:
            c.enqueue(job, url, None)
    for job in jobs:
        for url in job.follow_urls:
            c.enqueue(job, url, PageKind.ITEM)
    workers = [asyncio.create_task(c.worker(), name=f"crawl-{i}") for i in range(policy.concurrency)]
    all_done = asyncio.create_task(c.queue.join())
    try:
        while True:
            if not c.out.empty():
                yield c.out.get_nowait()
                continue
            if all_done.done():
                for target, counts in c.spent.items():
                    yield Spent(target, dict(counts))
                break
            getter = asyncio.create_task(c.out.get())
            await asyncio.wait({getter, all_done}, return_when=asyncio.FIRST_COMPLETED)
            if getter.done():
                yield getter.result()
            else:
                getter.cancel()
    finally:
        all_done.cancel()
        for w in workers:
            w.cancel()
        await asyncio.gather(*workers, all_done, return_exceptions=True)
