"""Evidence capture during a run: each flagged listing's page, screenshotted and hashed, as it is flagged.

A listing gets a new capture when it is first flagged, and again whenever it changes; one that is
seen again unchanged keeps the evidence it has. A capture that fails is recorded as an `evidence`
failure of that page; the run goes on.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Callable
from zoneinfo import ZoneInfo


from auditor import failpoints
from auditor.config import EvidenceSettings
from auditor.crawl.addresses import AddressPolicy
from auditor.crawl.background import Background
from auditor.crawl.checked import Clients
from auditor.crawl.download import fetch_image
from auditor.crawl.routes import Access, Routes
from auditor.errors import BrowserCrashed, CrawlError, disk_full
from auditor.evidence.files import clean_partial, orphans, save_snapshot, write_manifest
from auditor.evidence.timestamps import stamp
from auditor.models import Listing, PageFailure, PageKind, RunSummary
from auditor.store import Recorded, Store

log = logging.getLogger(__name__)
MAX_IMAGES = 8  # a listing's first images are kept with its capture
CRASH_TRIES = 3  # a capture the browser (not the page) failed is tried again, up to this many times in all


class EvidenceTaker:
    """Captures run beside the crawl, a few at a time, through the run's browser.

    Use as `async with`: listing images are fetched over plain HTTP, under the run's address policy."""

    def __init__(self, browser, root: Path, settings: EvidenceSettings, store: Store, summary: RunSummary,
                 clock: Callable[[], datetime], timeout: float, policy: AddressPolicy | None = None,
                 zone: ZoneInfo | None = None, routes: Routes | None = None, clean_partial: bool = True,
                 signing_key: Path | None = None):
        self.signing_key = signing_key  # the installation's key that signs each capture's web archive
        self.clean_partial = clean_partial  # False where other workers may be writing captures now
        self.routes = routes or Routes()  # a target's proxy, session and headers carry its captures too
        self.browser = browser
        self.policy = policy or AddressPolicy()
        self._clients: Clients | None = None
        self.root = root
        self.settings = settings
        self.store = store
        self.summary = summary
        self.clock = clock
        self.timeout = timeout
        self.zone = zone  # the time zone annotated screenshots state (beside UTC)
        self._slots = asyncio.Semaphore(settings.concurrency)
        self._work = Background()
        self._taking: set[tuple[str, str]] = set()  # listings with a capture in flight

    async def __aenter__(self) -> "EvidenceTaker":
        if self.clean_partial and (left := await asyncio.to_thread(clean_partial, self.root)):
            log.warning("removed %d half-written capture folder(s) a stopped run left", left)
        self._clients = Clients(self.policy, follow_redirects=True, max_redirects=3)
        return self

    async def __aexit__(self, *exc) -> None:
        """Captures still in flight (the run was stopped) are cancelled, not failed: they stay owed."""
        await self._work.cancel()
        await self._clients.aclose()

    def wanted(self, listing: Listing, recorded: Recorded) -> bool:
        return bool(recorded.new or recorded.changes) or not self.store.has_evidence(listing.site, listing.item_id)

    def take(self, target: str, listing: Listing, ready_selector: str | None, owed: bool = False) -> None:
        """Capture the listing's page beside the crawl; it is owed (in the database) until the capture is on disk."""
        key = (listing.site, listing.item_id)
        if key in self._taking:
            return
        self._taking.add(key)
        if not owed:
            self.store.owe_evidence(self.summary.run_id, target, listing.site, listing.item_id, listing.url, self.clock())
        task = self._work.start(self._take(target, listing, ready_selector))
        task.add_done_callback(lambda _: self._taking.discard(key))

    def take_owed(self, rows: list[dict], listings: dict[tuple[str, str], Listing], ready: dict[str, str | None]) -> int:
        """Start the captures earlier runs owe (killed before taking them); how many.

        A capture that reached the disk but not the database (killed in between) is recorded as it is."""
        started = 0
        for row in rows:
            found = orphans(self.root, row["site"], row["item_id"], self.store.evidence_folders(row["site"], row["item_id"]))
            if found:
                for evidence in found:
                    self.store.evidence_taken(row["run_id"], evidence)
                log.info("recorded the capture of %s/%s that a stopped run had left unrecorded", row["site"], row["item_id"])
                continue
            listing = listings.get((row["site"], row["item_id"]))
            if listing is not None and row["target"] in ready:
                self.take(row["target"], listing, ready[row["target"]], owed=True)
                started += 1
        return started

    async def _take(self, target: str, listing: Listing, ready_selector: str | None) -> None:
        async with self._slots:
            try:
                access = self.routes.for_target(target)
                via = {"target": target} if access else {}  # the browser of the target's proxy and session
                snap = await self._snapshot(listing.url, ready_selector, {**via, "block": _block_of(listing.site),
                                                                          "archive": self.settings.archive})
                if self.settings.images and listing.image_urls:
                    snap = await self._with_images(snap, listing.image_urls[:MAX_IMAGES], access)
                evidence = await asyncio.to_thread(save_snapshot, self.root, listing.site, listing.item_id, snap, self.clock(),
                                                  self.zone, title=listing.title or "", key_path=self.signing_key,
                                                  tsa_url=self.settings.tsa_url)
            except Exception as e:  # noqa: BLE001 - whatever it was, the capture is recorded as failed, never lost
                detail = e.detail if isinstance(e, CrawlError) else f"{type(e).__name__}: {e}"
                if isinstance(e, (CrawlError, asyncio.TimeoutError, OSError)):
                    log.warning("no evidence of %s: %s", listing.url, detail)
                else:
                    log.exception("no evidence of %s: unexpected %s", listing.url, type(e).__name__)
                self.summary.evidence_failed += 1
                try:
                    given_up = self.store.evidence_missed(listing.site, listing.item_id, detail)
                    self.store.record_failure(self.summary.run_id, PageFailure(
                        target, listing.url, "evidence", detail + ("" if given_up else " (still owed: the next run tries "
                                                                                      "again)"), 1, PageKind.ITEM),
                        self.clock())
                except Exception as again:  # noqa: BLE001
                    if not disk_full(again):
                        raise
                    # the database's disk is full too: the capture stays owed, and the run stops, in one line, where
                    # it next writes (never a traceback from a capture's task)
                return
            failpoints.reached("evidence")
            self.store.evidence_taken(self.summary.run_id, evidence)
            self.summary.evidence_captured += 1

    async def _snapshot(self, url: str, ready_selector: str | None, via: dict):
        """The page in the browser; again when the browser, not the page, failed (crashed, its server gone): the
        next try's tab comes from the browser relaunched, or from its server once it is back."""
        for attempt in range(1, CRASH_TRIES + 1):
            try:
                return await asyncio.wait_for(self.browser.snapshot(url, ready_selector=ready_selector,
                                                                    timeout=self.timeout, **via), self.timeout * 4 + 10)
            except BrowserCrashed as e:
                if attempt == CRASH_TRIES:
                    raise
                log.info("evidence of %s: %s; trying again", url, e.detail)
                await asyncio.sleep(attempt)  # the browser's loss is seen by then, so the next tab waits for it

    async def _with_images(self, snap, urls: tuple[str, ...], access: Access | None = None):
        cap = int(self.settings.max_image_mb * 1_000_000)
        got = await asyncio.gather(*(fetch_image(self._clients.get(access), u, cap, self.timeout) for u in urls))
        return replace(snap, images=tuple(image for image, _ in got if image),
                       notes=snap.notes + tuple(note for _, note in got if note))

    async def drain(self) -> None:
        await self._work.drain()


def _block_of(site: str) -> str | None:
    """The CSS selector of the listing's main block on its venue's item pages (its profile's), if it names one."""
    from auditor.sites import PROFILES

    profile = PROFILES.get(site)
    return profile.listing_block if profile else None


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=zone)
    return start, start + timedelta(days=1)


def write_day_manifest(store: Store, root: Path, day: date, zone: ZoneInfo) -> Path | None:
    """manifests/DAY.sha256 over every evidence file captured that day (in the report's time zone)."""
    rows = store.evidence_between(*day_bounds(day, zone))
    if not rows:
        return None
    return write_manifest(root, day, [(r["sha256"], r["path"]) for r in rows])


def write_run_manifests(store: Store, root: Path, run_id: int, zone: ZoneInfo, tsa_url: str | None = None) -> list[Path]:
    """The manifest of every day (in the configured zone) on which this run captured evidence: a run that
    crosses midnight lists each file in the manifest of the day it was taken. With a TSA, each is time-stamped."""
    days = sorted({datetime.fromisoformat(at).astimezone(zone).date() for at in store.evidence_times(run_id)})
    written = []
    for day in days:
        try:
            path = write_day_manifest(store, root, day, zone)
        except OSError as e:  # a full or read-only evidence disk: the captures are recorded, the manifest can wait
            log.error("the evidence manifest of %s could not be written (%s); free space, then "
                      "`auditor report --date %s` writes it", day, e.strerror or e, day)
            continue
        if path is not None:
            written.append(path)
            if tsa_url:
                stamp(path, tsa_url)
    return written
