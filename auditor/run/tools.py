"""A run's crawl tools, opened together: the fetcher, the evidence taker and the image taker.

`run_audit` opens them once for its whole crawl; an `auditor worker` opens them once per run it works
on. Both then hand them to `crawl_into_store`.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import AsyncIterator, Callable

from auditor.config import Config, Target
from auditor.crawl.addresses import AddressPolicy
from auditor.crawl.politeness import HostLimiter
from auditor.crawl.robots import RobotsCache
from auditor.crawl.routes import Routes
from auditor.evidence.capture import EvidenceTaker
from auditor.images.taker import ImageTaker
from auditor.models import RunSummary
from auditor.rules import Matcher
from auditor.run.plan import adaptive_for, browser_for
from auditor.store import Store


@dataclass
class CrawlTools:
    fetcher: object
    evidence: EvidenceTaker | None
    images: ImageTaker | None
    limiter: object  # the pace per host, for pages and pictures alike: this process's, or the fleet's (workers)
    robots: RobotsCache  # each host's robots.txt, read once for the run's pages and pictures


@asynccontextmanager
async def open_tools(config: Config, store: Store, summary: RunSummary, targets: list[Target], matcher: Matcher,
                     clock: Callable[[], datetime], addresses: AddressPolicy, routes: Routes, *,
                     fetcher: object | None = None, evidence: bool = True,
                     fleet: bool = False) -> AsyncIterator[CrawlTools]:
    """Open the tools for these targets; on leaving, captures and images still in flight are cancelled (they stay
    owed). fleet=True in a worker: requests are paced per host for all workers together, and half-written
    captures are left alone at start (another worker may be writing them)."""
    from contextlib import AsyncExitStack

    async with AsyncExitStack() as stack:
        if fleet:
            from auditor.crawl.fleet import FleetHostLimiter

            limiter = await stack.enter_async_context(FleetHostLimiter(config.database, config.crawl.max_per_host))
        else:  # pages and pictures on one host share its budget
            limiter = HostLimiter(config.crawl.max_per_host)
        fetcher = await stack.enter_async_context(fetcher or adaptive_for(config, addresses, routes))
        taker = None
        if config.evidence.enabled and evidence:
            shooter = fetcher if hasattr(fetcher, "snapshot") else \
                await stack.enter_async_context(browser_for(config, addresses))
            taker = await stack.enter_async_context(EvidenceTaker(
                shooter, config.evidence_dir, config.evidence, store, summary, clock,
                config.crawl.page_timeout_seconds, addresses, config.schedule.zone, routes, clean_partial=not fleet,
                signing_key=config.data_folder / "evidence-signing-key.pem"))
        robots = RobotsCache(config.crawl.user_agent, config.crawl.page_timeout_seconds, addresses, routes)
        modes = {t.name: t.images for t in targets}
        pictures = None
        if any(m != "none" for m in modes.values()):
            pictures = await stack.enter_async_context(ImageTaker(
                config.images_dir, config.images, store, summary, matcher, clock,
                config.crawl.page_timeout_seconds, addresses, modes, taker,
                {t.name: t.requests_per_second or config.crawl.requests_per_second for t in targets}, routes,
                frozenset(t.name for t in targets if t.ignore_robots), limiter=limiter, robots=robots))
        yield CrawlTools(fetcher, taker, pictures, limiter, robots)
