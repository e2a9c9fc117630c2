"""Listing images during a run: fetched beside the crawl, stored once, hashed, matched against the banks.

Per target, `images: none | flagged | all` says whose images are fetched (default: the listings a
text rule flags; `all` is what catches a confirmed picture re-listed under an innocent title). A
listing's first `images.per_listing` images are fetched over plain HTTP under the run's address
policy, each image host at `images.requests_per_second` at most (the target's own rate for images
on the target's own host), a few at a time, so the crawl
is not held up. Each image is kept once by SHA-256 under the images folder, with its PDQ hash and
what its metadata declares (and, where a rule tests image_nudity, the detector's labels), worked out
in a low-priority process of its own (images.analyse). When a listing's images are in, the rules run
again with what the images showed (bank matches, detector labels, image_meta); new hits are stored
beside the text hits, and a listing
flagged this way owes evidence like any other. A failed image is a recorded `image` failure of the
listing's page; the run goes on.
"""

from __future__ import annotations

import asyncio
from collections import Counter
import hashlib
import json
import logging
import os
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

from auditor.config import ImageSettings
from auditor.crawl.addresses import AddressPolicy
from auditor.crawl.background import Background
from auditor.crawl.checked import Clients
from auditor.crawl.download import fetch_image
from auditor.crawl.robots import RobotsCache
from auditor.crawl.routes import Routes
from auditor.errors import RobotsDisallowed
from auditor.evidence.capture import EvidenceTaker
from auditor.images.analyse import Analyser
from auditor.images.banks import BankIndex
from auditor.images.paths import image_path
from auditor.images.pdq import MIN_QUALITY, BadImage
from auditor.models import BankMatch, Hit, ImageSignals, Listing, PageFailure, PageKind, RunSummary
from auditor.rules import Matcher
from auditor.store import Store

log = logging.getLogger(__name__)


class ImageTaker:
    """Use as `async with`; `take` starts a listing's image work, `drain` waits for all of it."""

    def __init__(self, root: Path, settings: ImageSettings, store: Store, summary: RunSummary, matcher: Matcher,
                 clock: Callable[[], datetime], timeout: float, policy: AddressPolicy, modes: dict[str, str],
                 evidence: EvidenceTaker | None = None, page_rates: dict[str, float] | None = None,
                 routes: Routes | None = None, ignore_robots: frozenset[str] = frozenset(), *,
                 limiter, robots: RobotsCache):
        self.routes = routes or Routes()  # a target's proxy, session and headers carry its images too
        self.ignore_robots = ignore_robots  # targets whose config says ignore_robots: their images too
        self._robots = robots  # image hosts are hosts: robots.txt holds (the run's cache, shared with the pages)
        self.modes = modes  # target -> none | flagged | all
        self.page_rates = page_rates or {}  # target -> its own requests per second, for images on its own host
        self.root, self.settings, self.store, self.summary = root, settings, store, summary
        self.matcher, self.clock, self.timeout, self.policy, self.evidence = matcher, clock, timeout, policy, evidence
        self.banks = BankIndex.load(store, matcher.uses_banks)
        self.nudity = matcher.uses_nudity
        self._analyser = Analyser(nudity=self.nudity)
        self._limiter = limiter  # the run's pace per host (or the fleet's), shared with the pages
        self._slots = asyncio.Semaphore(settings.concurrency)
        self._work = Background()
        self.spent: dict[str, Counter] = {}  # target -> picture requests made (the crawl budget's third kind)
        self._clients: Clients | None = None
        self._held: set[int] = set()  # bank entries held for a flood, seen so in this run

    async def __aenter__(self) -> "ImageTaker":
        self._clients = Clients(self.policy, follow_redirects=True, max_redirects=3)
        if len(self.banks):
            log.info("matching listing images against %d bank entries (%s)", len(self.banks),
                     ", ".join(sorted(self.matcher.uses_banks)))
        return self

    async def __aexit__(self, *exc) -> None:
        await self._work.cancel()
        self._analyser.close()
        await self._clients.aclose()

    def wants(self, target: str, hits: list[Hit]) -> bool:
        mode = self.modes.get(target, "none")
        return mode == "all" or (mode == "flagged" and bool(hits))

    def take(self, target: str, listing: Listing, hits: list[Hit], version_id: int | None,
             ready_selector: str | None) -> None:
        if not listing.image_urls:
            return
        self._work.start(self._take(target, listing, hits, version_id, ready_selector))

    async def drain(self) -> None:
        await self._work.drain()

    async def _take(self, target: str, listing: Listing, hits: list[Hit], version_id: int | None,
                    ready_selector: str | None) -> None:
        urls = listing.image_urls[:self.settings.per_listing]
        known = self.store.known_images(listing.site, listing.item_id)
        got = await asyncio.gather(*(self._one(target, listing, k, url, known.get(url))
                                     for k, url in enumerate(urls, start=1)))
        images = [g for g in got if g is not None]
        if not images:
            return
        own = f"{listing.site}/{listing.item_id}"
        near = tuple(replace(m, image_sha256=im["sha256"], image_url=im["url"]) for im in images
                     for m in (self.banks.match(im["dihedral"] or [im["pdq"]], not_from=own)
                               if im["pdq"] and (im["quality"] or 0) >= MIN_QUALITY else [])
                     + self.banks.match_exact(im["sha256"], im.get("md5")))
        near = self._unless_held(listing, near)
        links = [(*m.ref.split("/", 1), m.distance, f"bank {m.bank}") for m in near
                 if m.ref and m.source in ("decision", "listing") and "/" in m.ref]
        meta = tuple(dict.fromkeys(line for im in images for line in im["meta"]))[:10]
        labels: dict[str, float] = {}
        for im in images:
            for label, score in im.get("nudity") or ():
                labels[label] = max(score, labels.get(label, 0.0))
        signals = ImageSignals(near, tuple(labels.items()))
        new: list[Hit] = []
        if signals or meta:
            seen = replace(listing, image_meta=tuple(dict.fromkeys((*listing.image_meta, *meta)))[:10])
            matched, _ = self.matcher.split(self.matcher.match_listing(seen, signals))
            new = [h for h in matched if h.rule_id not in {h.rule_id for h in hits}]
        # what the pictures showed, written at once: a worker killed midway leaves none of it, and the listing's
        # pictures owed (images_owed), so the job given again checks them; never the images without their hits
        with self.store.write():
            self.store.record_images(self.summary.run_id, listing.site, listing.item_id, images, self.clock())
            if links:
                self.store.link_images(self.summary.run_id, listing.site, listing.item_id, links, self.clock())
            if new:
                self.store.add_image_hits(self.summary.run_id, listing.site, listing.item_id, version_id, new, self.clock())
        if not new:
            return
        self.summary.hits += len(new)
        self.summary.flagged += not hits
        log.info("%s/%s flagged by its images: %s", listing.site, listing.item_id, ", ".join(h.rule_id for h in new))
        if self.evidence is not None and not hits:
            self.evidence.take(target, listing, ready_selector)

    def _unless_held(self, listing: Listing, near: tuple[BankMatch, ...]) -> tuple[BankMatch, ...]:
        """Every match is recorded (the case view's provenance, partners' feedback, the flood's measure); those of an
        entry held for a flood, before or now, flag nothing (see FloodSettings)."""
        if not near:
            return near
        flood = self.settings.flood
        held = self.store.record_bank_matches(
            self.summary.run_id, listing.site, listing.item_id,
            [(m.entry_id, m.image_sha256, m.distance) for m in near], self.clock(),
            min_listings=flood.min_listings, factor=flood.factor, days=flood.days)
        for entry_id in sorted(held - self._held):
            log.warning("bank entry #%d is held: it matched far more listings than usual (a lead releases it:"
                        " `auditor banks held`)", entry_id)
        self._held |= held
        return tuple(m for m in near if m.entry_id not in held)

    async def _one(self, target: str, listing: Listing, position: int, url: str, known: dict | None) -> dict | None:
        """One image, fetched, kept and hashed (or as an earlier run had it: not fetched again); None when it could
        not be had (recorded)."""
        if known is not None and (known["nudity"] is not None or not self.nudity):
            md5 = known.get("md5") or await asyncio.to_thread(
                _md5_of, image_path(self.root, known["sha256"], known["content_type"]))  # kept before MD5s were
            return {"position": position, "url": url, "sha256": known["sha256"], "bytes": known["bytes"], "md5": md5,
                    "content_type": known["content_type"], "pdq": known["pdq"], "quality": known["quality"],
                    "dihedral": (known["dihedral"] or "").split(), "meta": json.loads(known["meta"] or "[]"),
                    "nudity": json.loads(known["nudity"] or "null")}
        if target not in self.ignore_robots:
            try:
                await self._robots.check(url)
            except RobotsDisallowed as e:
                self._failed(target, listing, f"image {url[:200]}: {e.detail}")
                return None
        rate = self.settings.requests_per_second
        if target in self.page_rates and urlsplit(url).netloc == urlsplit(listing.url).netloc:
            rate = self.page_rates[target]  # the site's own host: the target's budget, shared with its pages
        client = self._clients.get(self.routes.for_target(target))  # made before its turn: the first takes a moment
        async with self._slots, self._limiter.slot(url, rate):
            self.spent.setdefault(target, Counter())["picture"] += 1
            image, why = await fetch_image(client, url, int(self.settings.max_mb * 1_000_000), self.timeout)
        if image is None:
            self._failed(target, listing, why)
            return None
        _, ctype, body = image
        try:
            seen = await self._analyser.analyse(body)  # hashes (the image, its rotations and mirrors), provenance
        except BadImage as e:
            self._failed(target, listing, f"image {url[:200]}: {e}")
            return None
        sha, md5 = hashlib.sha256(body).hexdigest(), hashlib.md5(body, usedforsecurity=False).hexdigest()
        path = image_path(self.root, sha, ctype)
        try:
            if not path.exists():
                await asyncio.to_thread(_keep, path, body)
        except OSError as e:
            self._failed(target, listing, f"image {url[:200]} not kept: {e.strerror or e}")
            return None
        first = seen.variants[0]
        return {"position": position, "url": url, "sha256": sha, "md5": md5, "bytes": len(body), "content_type": ctype,
                "pdq": first.hex, "quality": first.quality, "dihedral": [v.hex for v in seen.variants],
                "meta": list(seen.meta), "nudity": [list(x) for x in seen.nudity] if seen.nudity is not None else None}

    def _failed(self, target: str, listing: Listing, why: str | None) -> None:
        log.warning("listing %s/%s: %s", listing.site, listing.item_id, why)
        self.store.record_failure(self.summary.run_id, PageFailure(target, listing.url, "image", (why or "image failed")[:500],
                                                                   1, PageKind.ITEM), self.clock())


def _md5_of(path: Path) -> str | None:
    """An image kept before its MD5 was recorded: read from its file (None when the file is gone)."""
    try:
        return hashlib.md5(path.read_bytes(), usedforsecurity=False).hexdigest()
    except OSError:
        return None


def _keep(path: Path, body: bytes) -> None:
    """Write an image under its hash: a temporary name, then a rename (not fsynced: an image lost in a crash is
    fetched again by the next run; evidence is what is kept for court, and that is fsynced)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
        f.write(body)
    os.replace(tmp, path)
