"""run_audit: crawl every target, match each listing as it arrives, store it, compile the report.

The one place that knows every part; the CLI and the scheduler call it, and so do the tests.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import threading
from contextlib import AsyncExitStack, ExitStack, contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import urlsplit

from auditor.capture import EvidenceTaker, write_day_manifest
from auditor.config import Config, Target
from auditor.crawl import BrowserFetcher, CrawlJob, CrawlPolicy, SearchPageRead, crawl
from auditor.crawl.adaptive import AdaptiveFetcher
from auditor.crawl.http import HttpFetcher
from auditor.crawl.robots import RobotsCache
from auditor.demo import generate, score, serve_demo
from auditor.errors import AuditorError, RuleError
from auditor.models import ListingFound, PageFailure, RunSummary, SellerHit
from auditor.logs import current_run
from auditor.report import build_report
from auditor.runlock import run_lock
from auditor.rules import Matcher, RuleSet, load_rules
from auditor.rules.sellers import FlaggedRow, judge_sellers
from auditor.sites import get_profile
from auditor.store import Store

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
DEMO_SCHEME = "demo:"
DEMO_RATE = 200.0  # requests/s: the demo server is local, politeness costs only time


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


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


def demo_targets() -> list[Target]:
    """The two sections of the bundled demo marketplace, as config targets."""
    return [
        Target(name="demo-auction", site="demo_auction", start_urls=[f"{DEMO_SCHEME}/auction/search"],
               requests_per_second=DEMO_RATE),
        Target(name="demo-fleamarket", site="demo_fleamarket", start_urls=[f"{DEMO_SCHEME}/flea/search"],
               requests_per_second=DEMO_RATE),
    ]


def adhoc_target(site: str | None, queries: tuple[str, ...] | list[str], urls: tuple[str, ...] | list[str],
                 base_url: str | None = None) -> Target:
    """A one-off target for `auditor run --site NAME --query Q / --url URL`."""
    if not site:
        raise AuditorError("--query and --url need --site NAME (see `auditor sites`)")
    profile = get_profile(site)
    if not queries and not urls:
        raise AuditorError(f"say what to audit on {site}: --query TEXT or --url URL")
    base = base_url or profile.base_url
    if queries and not base:
        raise AuditorError(f"{site} has no address of its own: give --base-url with --query")
    return Target(name=f"adhoc-{site.replace('_', '-')}", site=site, start_urls=list(urls), queries=list(queries),
                  base_url=base if queries else None)


def uses_demo(targets: list[Target]) -> bool:
    return any(u.startswith(DEMO_SCHEME) for t in targets for u in t.start_urls) or any(
        (t.base_url or "").startswith(DEMO_SCHEME) for t in targets)


@contextmanager
def demo_marketplace(config: Config, targets: list[Target]) -> Iterator[str | None]:
    """Serve the demo marketplace for the run when a target points at it (demo:/...)."""
    if not uses_demo(targets):
        yield None
        return
    with serve_demo(generate(config.demo.seed, config.demo.listings)) as server:
        log.info("demo marketplace on %s", server.url)
        yield server.url


def _resolve(url: str, demo_url: str | None) -> str:
    if url.startswith(DEMO_SCHEME):
        if demo_url is None:
            raise AuditorError(f"{url} needs the demo marketplace, which is not running")
        return demo_url + url[len(DEMO_SCHEME):]
    return url


def build_jobs(config: Config, targets: list[Target], demo_url: str | None) -> list[CrawlJob]:
    jobs = []
    for t in targets:
        profile = get_profile(t.site)
        urls = [_resolve(u, demo_url) for u in t.start_urls]
        if t.queries:
            if not t.base_url:
                raise AuditorError(f"target {t.name}: queries need a base_url")
            urls += [profile.search_url(_resolve(t.base_url, demo_url), q) for q in t.queries]
        if not urls:
            raise AuditorError(f"target {t.name}: give start_urls or queries")
        jobs.append(CrawlJob(t.name, profile, tuple(urls), config.crawl.max_pages_per_target,
                             t.requests_per_second or config.crawl.requests_per_second, obey_robots=not t.ignore_robots,
                             mode=t.fetch))
    return jobs


def policy_from(config: Config) -> CrawlPolicy:
    c = config.crawl
    return CrawlPolicy(retries=c.retries, backoff_seconds=c.backoff_seconds, page_timeout=c.page_timeout_seconds,
                       max_per_host=c.max_per_host, concurrency=max(config.browser.tabs, c.http_concurrency),
                       max_retry_after=c.max_retry_after_seconds, user_agent=c.user_agent)


def adaptive_for(config: Config) -> AdaptiveFetcher:
    """Plain HTTP for server-rendered pages; the browser, started when first needed, for the rest."""
    http = HttpFetcher(user_agent=config.crawl.user_agent, max_connections=config.crawl.http_concurrency,
                       max_bytes=config.crawl.max_page_bytes)
    return AdaptiveFetcher(http, lambda: browser_for(config))


def browser_for(config: Config) -> BrowserFetcher:
    b = config.browser
    return BrowserFetcher(executable=b.executable, headless=b.headless, concurrency=b.tabs,
                          recycle_after=b.recycle_after, block_resources=b.block_resources,
                          context_recycle_after=b.context_recycle_after,
                          max_bytes=config.crawl.max_page_bytes,
                          user_agent=config.crawl.user_agent)


async def _crawl_into_store(jobs, fetcher, policy, store: Store, matcher: Matcher, progress: Progress, clock: Clock,
                            evidence: EvidenceTaker | None) -> None:
    s = progress.summary
    ready = {j.target: j.reader.ready_selector for j in jobs}
    async for event in crawl(jobs, fetcher, policy, RobotsCache(policy.user_agent)):
        if isinstance(event, (ListingFound, SearchPageRead)):
            s.target_pages[event.target] = s.target_pages.get(event.target, 0) + 1
        if isinstance(event, ListingFound):
            hits = matcher.match_listing(event.listing)
            recorded = store.record_listing(s.run_id, event.target, event.listing, hits, clock())
            if hits and evidence and evidence.wanted(event.listing, recorded):
                evidence.take(event.target, event.listing, ready[event.target])
            s.pages_ok += 1
            s.listings_seen += 1
            s.listings_new += recorded.new
            s.listings_changed += bool(recorded.changes)
            s.flagged += bool(hits)
            s.hits += len(hits)
        elif isinstance(event, PageFailure):
            store.record_failure(s.run_id, event, clock())
            s.pages_failed += 1
            s.failures.append(event)
        elif isinstance(event, SearchPageRead):
            s.pages_ok += 1
            progress.discovered += event.items + event.has_next
        progress.done += 1
        progress.tick()


@dataclass
class AuditOptions:
    targets: list[Target] | None = None  # default: the config's enabled targets
    fetcher: object | None = None  # default: a headless Chromium from the config
    clock: Clock = utc_now
    on_progress: Callable[[Progress], None] | None = None
    write_report: bool = True
    wait: bool = False  # wait for another run to finish instead of refusing to start
    resume: bool = False  # carry on the latest run, which was interrupted, instead of starting one
    evidence: bool = True  # capture evidence of flagged listings (when the config enables it too)


def run_audit(config: Config, store: Store, options: AuditOptions | None = None) -> RunSummary:
    """One audit run, start to finish; the run row always ends completed, failed or interrupted.

    Holds the database's run lock throughout (another run waits with `wait`, else is refused), so
    two runs never go at once, also across processes. SIGTERM ends a run like Ctrl-C: the page in
    flight is abandoned, the run is marked interrupted, and `resume` carries it on later.
    """
    opts = options or AuditOptions()
    with run_lock(Path(config.database), wait=opts.wait), _signals_interrupt():
        for stale in store.mark_stale_runs(opts.clock()):
            log.warning("run %d had stopped without finishing (killed?): marked interrupted; "
                        "`auditor run --resume` carries it on", stale)
        return _run_locked(config, store, opts)


@contextmanager
def _signals_interrupt() -> Iterator[None]:
    """SIGTERM raises KeyboardInterrupt in the main thread, as Ctrl-C does (elsewhere: nothing changes)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise KeyboardInterrupt(f"signal {signal.Signals(signum).name}")

    before = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


def _resumable(store: Store, opts: AuditOptions) -> dict | None:
    if not opts.resume:
        return None
    run = store.last_interrupted_run()
    if run is None:
        raise AuditorError("no interrupted run to resume: the latest run finished (see `auditor runs`)")
    return run


def _run_locked(config: Config, store: Store, opts: AuditOptions) -> RunSummary:
    resumed = _resumable(store, opts)
    if resumed:
        by_name = {t.name: t for t in config.targets}
        targets = [by_name[n] if n in by_name else demo_targets_by_name().get(n) for n in json.loads(resumed["targets"])]
        if None in targets:
            raise AuditorError(f"run {resumed['id']} audited targets that are no longer in the config: cannot resume it")
    else:
        targets = opts.targets if opts.targets is not None else config.enabled_targets()
    if not targets:
        raise AuditorError("no enabled targets in the config: nothing to audit")
    try:
        ruleset = load_rules(config.rules_dir)  # loaded fresh each run; a broken file stops the run here
    except RuleError as e:
        _record_failed_start(store, opts.clock(), targets, e)
        raise
    matcher = Matcher(ruleset)
    with ExitStack() as stack:
        demo_url = stack.enter_context(demo_marketplace(config, targets))
        jobs = build_jobs(config, targets, demo_url)
        if resumed:
            run_id = resumed["id"]
            done = set(store.done_item_urls(run_id))
            if demo_url:  # the demo marketplace listens on a new port in each process
                done |= {demo_url + urlsplit(u)._replace(scheme="", netloc="").geturl() for u in done}
            done = frozenset(done)
            jobs = [replace(j, skip_urls=done) for j in jobs]
            store.reopen_run(run_id)
            summary = _summary_of(resumed, store.run_counts(run_id))
            started = summary.started_at
            log.info("resuming run %d: %d item pages already done", run_id, len(done))
        else:
            started = opts.clock()
            notes = [f"target {t.name} ignores robots.txt (ignore_robots: true in the config)" for t in targets
                     if t.ignore_robots]
            run_id = store.start_run(started, [t.name for t in targets], [str(p) for p in ruleset.files], notes)
            summary = RunSummary(run_id=run_id, status="running", started_at=started, targets=[t.name for t in targets])
        progress = Progress(summary, discovered=sum(len(j.start_urls) for j in jobs), on_change=opts.on_progress)
        current_run.set(run_id)
        log.info("run %d: %d targets, %d rules", run_id, len(jobs), len(ruleset))
        limit = config.crawl.max_run_minutes * 60

        async def go() -> None:
            async with AsyncExitStack() as browsers:
                fetcher = await browsers.enter_async_context(opts.fetcher or adaptive_for(config))
                taker = None
                if config.evidence.enabled and opts.evidence:
                    shooter = fetcher if hasattr(fetcher, "snapshot") else await browsers.enter_async_context(browser_for(config))
                    taker = EvidenceTaker(shooter, config.evidence_dir, config.evidence, store, summary, opts.clock,
                                          config.crawl.page_timeout_seconds)
                await asyncio.wait_for(
                    _crawl_into_store(jobs, fetcher, policy_from(config), store, matcher, progress, opts.clock, taker), limit)
                if taker:
                    await taker.drain()

        try:
            asyncio.run(go())
        except asyncio.TimeoutError:
            summary.status, summary.finished_at = "interrupted", opts.clock()
            store.finish_run(summary, error=f"stopped after crawl.max_run_minutes ({config.crawl.max_run_minutes:g}); "
                                            "`auditor run --resume` carries it on")
            log.error("run %d stopped: it exceeded crawl.max_run_minutes (%g)", run_id, config.crawl.max_run_minutes)
            return summary
        except BaseException as e:
            summary.status = "interrupted" if isinstance(e, (KeyboardInterrupt, asyncio.CancelledError)) else "failed"
            summary.finished_at = opts.clock()
            store.finish_run(summary, error=f"{type(e).__name__}: {e}")
            raise
        seller_hits = judge_all_sellers(ruleset, store, opts.clock())
        store.record_seller_hits(run_id, seller_hits)
        summary.seller_flags = len(seller_hits)
        summary.status = "failed" if summary.pages_ok == 0 else "completed"
        summary.finished_at = opts.clock()
        store.finish_run(summary)
    if opts.write_report:
        summary.report_dir = str(write_run_report(config, store, run_id))
    elif summary.evidence_captured:
        write_day_manifest(store, config.evidence_dir, started.astimezone(config.schedule.zone).date(), config.schedule.zone)
    log.info("run %d %s: %d pages ok, %d failed, %d flagged", run_id, summary.status, summary.pages_ok,
             summary.pages_failed, summary.flagged)
    return summary


def _summary_of(row: dict, counts: dict[str, int]) -> RunSummary:
    """A stored run's counters, to carry on from."""
    return RunSummary(run_id=row["id"], status="running", started_at=datetime.fromisoformat(row["started_at"]),
                      targets=json.loads(row["targets"] or "[]"), **counts)


def demo_targets_by_name() -> dict[str, Target]:
    return {t.name: t for t in demo_targets()}


def write_run_report(config: Config, store: Store, run_id: int) -> Path:
    """The day's evidence manifest and report for a run; returns the report's folder."""
    zone = config.schedule.zone
    day = datetime.fromisoformat(store.run(run_id)["started_at"]).astimezone(zone).date()
    write_day_manifest(store, config.evidence_dir, day, zone)
    return build_report(store, run_id, config.reports_dir, zone, config.evidence_dir)


def _record_failed_start(store: Store, now: datetime, targets: list[Target], error: AuditorError) -> None:
    """A run that cannot start (broken rules) is still recorded, so the history and report show it."""
    run_id = store.start_run(now, [t.name for t in targets], [])
    store.finish_run(RunSummary(run_id=run_id, status="failed", started_at=now, finished_at=now,
                                targets=[t.name for t in targets]), error=str(error))


def judge_all_sellers(ruleset: RuleSet, store: Store, now: datetime) -> list[SellerHit]:
    """Every seller rule over the hits of its time window."""
    out: list[SellerHit] = []
    windows: dict[int, list[FlaggedRow]] = {}  # rules with the same window share one query
    for loaded in ruleset.seller_rules:
        days = loaded.rule.seller.within_days
        if days not in windows:
            windows[days] = [FlaggedRow(r["site"], r["seller_id"], r["seller_name"], r["item_id"],
                                        Decimal(r["price"]) if r["price"] else None, r["rule_id"],
                                        tuple(json.loads(r["tags"] or "[]")))
                             for r in store.flagged_since(now - timedelta(days=days))]
        out.extend(judge_sellers(loaded, windows[days]))
    return out


def demo_score(config: Config, store: Store, run_id: int) -> tuple[float, float]:
    """Precision and recall of a demo run's flagged listings against the generator's ground truth."""
    truth = set(generate(config.demo.seed, config.demo.listings).truth())
    return score(set(store.flagged_keys(run_id)), truth)


def open_store(config: Config) -> Store:
    return Store(Path(config.database))
