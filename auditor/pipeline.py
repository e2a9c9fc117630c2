"""run_audit: crawl every target, match each listing as it arrives, store it, settle its state, write the reports.

The one place that knows every part; the CLI, the scheduler and the tests call it. It knows run
kinds (scheduled, manual, adhoc, demo), not any marketplace: a local marketplace that a run needs
(the bundled demo) is started by the caller's `hosts`, which gives URL aliases (`demo:` -> address).
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import sqlite3
import threading
from collections import Counter
from contextlib import AsyncExitStack, ExitStack, contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, ContextManager, Iterator
from urllib.parse import urlsplit

from auditor.capture import EvidenceTaker, write_run_manifests
from auditor.config import Config, Target
from auditor.crawl import BrowserFetcher, CrawlJob, CrawlPolicy, SearchPageRead, crawl
from auditor.crawl.adaptive import AdaptiveFetcher
from auditor.crawl.addresses import AddressPolicy
from auditor.crawl.http import HttpFetcher
from auditor.crawl.robots import RobotsCache
from auditor.errors import AuditorError, RuleError, StoreError
from auditor.logs import current_run
from auditor.models import ListingFound, PageFailure, PageKind, RunSummary, SellerHit, TargetNote
from auditor.report import write_reports
from auditor.notify import notify_run
from auditor.review.decisions import suppressed
from auditor.rules import Matcher, RuleSet, load_rules
from auditor.rules.normalize import compact
from auditor.rules.sellers import FlaggedRow, judge_sellers
from auditor.runlock import run_lock
from auditor.settle import DAILY_KINDS, settle_run
from auditor.sites import get_profile
from auditor.store import Store
from auditor.store.core import listing_from_row
from auditor.values import clean_amount

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Hosts = Callable[[list[Target]], ContextManager[dict[str, str]]]
KINDS = ("scheduled", "manual", "adhoc", "demo")


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


def search_text(x) -> str:
    """A listing's text as the rules fold it (title, description, tags, seller, item id), for searches in SQL."""
    return compact(" ".join([x.title, x.description, *x.tags, x.seller_id or "", x.seller_name or "", x.item_id]))


def resolve(url: str, aliases: dict[str, str]) -> str:
    """A configured URL with its alias (e.g. `demo:`) replaced by the address serving it in this run."""
    for prefix, address in aliases.items():
        if url.startswith(prefix):
            return address + url[len(prefix):]
    if ":" in url and not url.startswith(("http://", "https://")):
        raise AuditorError(f"{url} needs a local marketplace that is not running (start it with `auditor demo serve`)")
    return url


def build_jobs(config: Config, targets: list[Target], aliases: dict[str, str],
               follow: dict[str, tuple[str, ...]] | None = None) -> list[CrawlJob]:
    jobs = []
    for t in targets:
        profile = get_profile(t.site)
        urls = [resolve(u, aliases) for u in t.start_urls]
        if t.queries:
            if not t.base_url:
                raise AuditorError(f"target {t.name}: queries need a base_url")
            urls += [profile.search_url(resolve(t.base_url, aliases), q) for q in t.queries]
        if not urls:
            raise AuditorError(f"target {t.name}: give start_urls or queries")
        jobs.append(CrawlJob(t.name, profile, tuple(urls), config.crawl.max_pages_per_target,
                             t.requests_per_second or config.crawl.requests_per_second, obey_robots=not t.ignore_robots,
                             mode=t.fetch, follow_urls=tuple((follow or {}).get(t.name, ()))))
    return jobs


def policy_from(config: Config) -> CrawlPolicy:
    c = config.crawl
    return CrawlPolicy(retries=c.retries, backoff_seconds=c.backoff_seconds, page_timeout=c.page_timeout_seconds,
                       max_per_host=c.max_per_host, concurrency=max(config.browser.tabs, c.http_concurrency),
                       max_retry_after=c.max_retry_after_seconds, user_agent=c.user_agent)


def address_policy(config: Config, aliases: dict[str, str] | None = None) -> AddressPolicy:
    """What the run may reach: public addresses, the config's allowances, and the exact address of each
    local marketplace the run started itself (the demo)."""
    local = [urlsplit(address).netloc for address in (aliases or {}).values()]
    return AddressPolicy.allowing(*config.crawl.allow_addresses, *local)


def adaptive_for(config: Config, policy: AddressPolicy | None = None) -> AdaptiveFetcher:
    """Plain HTTP for server-rendered pages; the browser, started when first needed, for the rest."""
    policy = policy or address_policy(config)
    http = HttpFetcher(user_agent=config.crawl.user_agent, max_connections=config.crawl.http_concurrency,
                       max_bytes=config.crawl.max_page_bytes, policy=policy)
    return AdaptiveFetcher(http, lambda: browser_for(config, policy))


def browser_for(config: Config, policy: AddressPolicy | None = None) -> BrowserFetcher:
    b = config.browser
    return BrowserFetcher(executable=b.executable, headless=b.headless, concurrency=b.tabs,
                          recycle_after=b.recycle_after, block_resources=b.block_resources,
                          context_recycle_after=b.context_recycle_after,
                          max_bytes=config.crawl.max_page_bytes,
                          user_agent=config.crawl.user_agent, policy=policy or address_policy(config))


@dataclass
class _Tally:
    """Per-target counts of one run, and why a target was not read completely."""

    ok: Counter = field(default_factory=Counter)
    failed: Counter = field(default_factory=Counter)
    listings: Counter = field(default_factory=Counter)
    incomplete: dict[str, str] = field(default_factory=dict)


async def _crawl_into_store(jobs, fetcher, policy, store: Store, matcher: Matcher, progress: Progress, clock: Clock,
                            evidence: EvidenceTaker | None, followed: dict[str, tuple[str, str]], tally: _Tally,
                            addresses: AddressPolicy) -> None:
    s = progress.summary
    ready = {j.target: j.reader.ready_selector for j in jobs}
    watched = set(followed.values())
    async for event in crawl(jobs, fetcher, policy, RobotsCache(policy.user_agent, policy=addresses)):
        if isinstance(event, ListingFound):
            x = event.listing
            try:
                hits, shadow = matcher.split(matcher.match_listing(x))
                recorded = store.record_listing(s.run_id, event.target, x, hits, clock(), source=event.source,
                                                search_text=search_text(x))
                store.record_shadow_hits(s.run_id, x.site, x.item_id, shadow, clock())
            except (StoreError, sqlite3.OperationalError):
                raise  # the database itself: the run cannot go on
            except Exception as e:  # noqa: BLE001 - one listing must never end the run: recorded, and on
                log.exception("listing %s/%s could not be matched or stored", x.site, x.item_id)
                failure = PageFailure(event.target, x.url, "error", f"not stored: {type(e).__name__}: {e}"[:500], 1,
                                      PageKind.ITEM)
                store.record_failure(s.run_id, failure, clock())
                s.pages_failed += 1
                tally.failed[event.target] += 1
                s.failures.append(failure)
                continue
            if evidence and event.source == "item" and (hits or (x.site, x.item_id) in watched) \
                    and evidence.wanted(x, recorded):
                evidence.take(event.target, x, ready[event.target])
            if event.source == "item":
                s.pages_ok += 1
                tally.ok[event.target] += 1
            s.listings_seen += 1
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
        elif isinstance(event, TargetNote):
            tally.incomplete.setdefault(event.target, event.detail)
        progress.done += 1
        progress.tick()


@dataclass
class AuditOptions:
    targets: list[Target] | None = None  # default: the config's enabled targets
    kind: str = "manual"  # scheduled | manual | adhoc | demo
    hosts: Hosts | None = None  # starts local marketplaces the targets need; yields URL aliases
    fetcher: object | None = None  # default: HTTP first, a headless Chromium where needed
    clock: Clock = utc_now
    on_progress: Callable[[Progress], None] | None = None
    write_report: bool = True
    wait: bool = False  # wait for another run to finish instead of refusing to start
    resume: bool = False  # carry on the latest run, which was interrupted, instead of starting one
    evidence: bool = True  # capture evidence of flagged listings (when the config enables it too)
    stop: threading.Event | None = None  # set from another thread (the scheduler stopping): the run is interrupted


def run_audit(config: Config, store: Store, options: AuditOptions | None = None) -> RunSummary:
    """One audit run, start to finish; the run row always ends completed, partial, failed or interrupted.

    Holds the database's run lock throughout (another run waits with `wait`, else is refused), so
    two runs never go at once, also across processes. SIGTERM ends a run like Ctrl-C: the page in
    flight is abandoned, the run is marked interrupted, and `resume` carries it on later.
    """
    opts = options or AuditOptions()
    if opts.kind not in KINDS:
        raise AuditorError(f"unknown run kind {opts.kind!r} (known: {', '.join(KINDS)})")
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


def _plan(targets: list[Target]) -> list[dict]:
    return [t.model_dump(mode="json") for t in targets]


def _resumable(store: Store, opts: AuditOptions) -> dict | None:
    if not opts.resume:
        return None
    run = store.last_interrupted_run()
    if run is None:
        raise AuditorError("no interrupted run to resume: the latest run finished (see `auditor runs`)")
    return run


def moved(url: str, before: list[dict[str, str]], now: dict[str, str]) -> str:
    """A URL recorded under an alias's earlier address (a local marketplace on another port), as it reads now."""
    for old_map in before:
        for prefix, old in old_map.items():
            new = now.get(prefix)
            if new and new != old and url.startswith(old):
                return new + url[len(old):]
    return url


def _finish_reports(config: Config, store: Store, row: dict, opts: AuditOptions) -> RunSummary:
    """A run that finished but was stopped while its reports were being written: write them now."""
    summary = _summary_of(row, store.run_counts(row["id"]))
    summary.status, summary.kind = row["status"], row["kind"] or "manual"
    summary.finished_at = datetime.fromisoformat(row["finished_at"]) if row["finished_at"] else opts.clock()
    summary.states = dict(Counter(r["state"] for r in store.states_of_run(row["id"])))
    log.info("run %d had finished without its reports: writing them now", row["id"])
    summary.report_dir, summary.day_report_dir = _write_reports(config, store, row["id"], summary.kind, opts)
    return summary


def _run_locked(config: Config, store: Store, opts: AuditOptions) -> RunSummary:
    if opts.resume and (unreported := store.last_unreported_run()) is not None:
        return _finish_reports(config, store, unreported, opts)
    resumed = _resumable(store, opts)
    if resumed:
        targets = [Target.model_validate(t) for t in json.loads(resumed["plan"] or "[]")]
        if not targets:
            raise AuditorError(f"run {resumed['id']} was recorded before runs kept their targets: cannot resume it")
        kind = resumed["kind"] or "manual"
    else:
        targets = opts.targets if opts.targets is not None else config.enabled_targets()
        kind = opts.kind
    if not targets:
        raise AuditorError("no enabled targets in the config: nothing to audit")
    names = [t.name for t in targets]
    try:
        ruleset = load_rules(config.rules_dir)  # loaded fresh each run; a broken file stops the run here
    except RuleError as e:
        _record_failed_start(config, store, opts, kind, targets, e)
        raise
    matcher = Matcher(ruleset)
    with ExitStack() as stack:
        aliases = stack.enter_context(opts.hosts(targets) if opts.hosts else nullcontext({}))
        earlier = store.alias_addresses()
        followed: dict[str, tuple[str, str]] = {}  # item URL -> listing, for every listing the run checks
        follow: dict[str, list[str]] = {}  # target -> those URLs
        for row in store.followed(names) if kind in DAILY_KINDS else []:
            url = moved(row["url"], earlier, aliases)
            followed[url] = (row["site"], row["item_id"])
            follow.setdefault(row["target"], []).append(url)
        if resumed:
            run_id = resumed["id"]
            done = frozenset(u2 for u in store.done_item_urls(run_id) for u2 in (u, moved(u, earlier, aliases)))
            jobs = [replace(j, skip_urls=done) for j in build_jobs(config, targets, aliases, follow)]
            store.reopen_run(run_id)
            summary = _summary_of(resumed, store.run_counts(run_id))
            log.info("resuming run %d: %d item pages already done", run_id, len(done))
        else:
            jobs = build_jobs(config, targets, aliases, follow)
            notes = [f"target {t.name} ignores robots.txt (ignore_robots: true in the config)" for t in targets
                     if t.ignore_robots]
            run_id = store.start_run(opts.clock(), names, [str(p) for p in ruleset.files], notes, kind=kind,
                                     aliases=aliases, plan=_plan(targets))
            store.save_rule_set(run_id, rule_texts(config.rules_dir, ruleset.files), opts.clock())
            summary = RunSummary(run_id=run_id, status="running", started_at=opts.clock(), targets=names)
        summary.kind = kind
        progress = Progress(summary, discovered=sum(len(j.start_urls) + len(j.follow_urls) for j in jobs),
                            on_change=opts.on_progress)
        current_run.set(run_id)
        log.info("run %d (%s): %d targets, %d rules, %d followed listings", run_id, kind, len(jobs), len(ruleset),
                 len(followed))
        limit = config.crawl.max_run_minutes * 60
        tally = _Tally()
        summary.target_pages = tally.ok  # one count of the pages read per target, live

        addresses = address_policy(config, aliases)

        async def go() -> None:
            async with AsyncExitStack() as browsers:
                fetcher = await browsers.enter_async_context(opts.fetcher or adaptive_for(config, addresses))
                taker = None
                if config.evidence.enabled and opts.evidence:
                    shooter = fetcher if hasattr(fetcher, "snapshot") else \
                        await browsers.enter_async_context(browser_for(config, addresses))
                    taker = await browsers.enter_async_context(EvidenceTaker(
                        shooter, config.evidence_dir, config.evidence, store, summary, opts.clock,
                        config.crawl.page_timeout_seconds, addresses))
                    owed = store.owed_evidence(names)
                    if owed:
                        rows = store.listings_by_key((r["site"], r["item_id"]) for r in owed)
                        at_now = {k: replace(listing_from_row(v), url=moved(v["url"], earlier, aliases))  # a demo's new port
                                  for k, v in rows.items()}
                        started = taker.take_owed(owed, at_now,
                                                  {j.target: j.reader.ready_selector for j in jobs})
                        log.info("taking %d evidence captures still owed from earlier runs", started)
                work = asyncio.ensure_future(asyncio.wait_for(_crawl_into_store(
                    jobs, fetcher, policy_from(config), store, matcher, progress, opts.clock, taker, followed, tally,
                    addresses), limit))
                await _unless_stopped(work, opts.stop)
                if taker:
                    await _unless_stopped(asyncio.ensure_future(taker.drain()), opts.stop)

        try:
            asyncio.run(go())
        except asyncio.TimeoutError:
            summary.status, summary.finished_at = "interrupted", opts.clock()
            store.finish_run(summary, error=f"stopped after crawl.max_run_minutes ({config.crawl.max_run_minutes:g}); "
                                            "`auditor run --resume` carries it on")
            log.error("run %d stopped: it exceeded crawl.max_run_minutes (%g)", run_id, config.crawl.max_run_minutes)
            return summary
        except KeyboardInterrupt as e:
            summary.status, summary.finished_at = "interrupted", opts.clock()
            why = str(e) or "Ctrl-C or SIGTERM"
            store.finish_run(summary, error=f"interrupted ({why}); `auditor run --resume` carries it on")
            raise
        except Exception as e:
            summary.status, summary.finished_at = "failed", opts.clock()
            error = f"{type(e).__name__}: {e}"
            summary.states = dict(settle_run(store, run_id, names, kind, opts.clock(), failed=error))
            store.finish_run(summary, error=error)
            _write_reports(config, store, run_id, kind, opts)
            notify_run(config, store, summary, opts.clock())
            raise
        _finish(config, store, ruleset, summary, targets, tally, kind, opts)
    if opts.write_report:
        summary.report_dir, summary.day_report_dir = _write_reports(config, store, run_id, kind, opts)
    elif summary.evidence_captured:
        write_run_manifests(store, config.evidence_dir, run_id, config.schedule.zone)
    notify_run(config, store, summary, opts.clock())
    log.info("run %d %s: %d pages ok, %d failed, %d flagged now", run_id, summary.status, summary.pages_ok,
             summary.pages_failed, summary.flagged_now)
    return summary


async def _unless_stopped(work: asyncio.Future, stop: threading.Event | None):
    """Await the work; if the stop event is set meanwhile, cancel it and end the run as interrupted."""
    if stop is None:
        return await work
    while not work.done():
        await asyncio.wait({work}, timeout=0.2)
        if stop.is_set() and not work.done():
            work.cancel()
            await asyncio.gather(work, return_exceptions=True)
            raise KeyboardInterrupt("stopped: the scheduler is shutting down")
    return work.result()


def _finish(config: Config, store: Store, ruleset: RuleSet, summary: RunSummary, targets: list[Target],
            tally: _Tally, kind: str, opts: AuditOptions) -> None:
    """Per-target completeness, the listings' states, seller rules, and the run's final status."""
    share = config.crawl.partial_failure_share
    for t in targets:
        ok, failed = tally.ok[t.name], tally.failed[t.name]
        if ok == 0:
            tally.incomplete.setdefault(t.name, "no page could be read")
        elif failed and failed / (ok + failed) > share:
            tally.incomplete.setdefault(t.name, f"{failed} of {ok + failed} pages failed "
                                                f"(more than crawl.partial_failure_share, {share:.0%})")
        store.record_target(summary.run_id, t.name, complete=t.name not in tally.incomplete,
                            reason=tally.incomplete.get(t.name), pages_ok=ok, pages_failed=failed,
                            listings=tally.listings[t.name])
    summary.incomplete = dict(tally.incomplete)
    summary.states = dict(settle_run(store, summary.run_id, [t.name for t in targets], kind, opts.clock(),
                                     incomplete=tally.incomplete, suppressed=suppressed(store)))
    seller_hits = judge_all_sellers(ruleset, store, opts.clock())
    store.record_seller_hits(summary.run_id, seller_hits)
    summary.seller_flags = len(seller_hits)
    problems = [f"{name}: {why}" for name, why in tally.incomplete.items()]
    if summary.evidence_failed:
        owed = summary.evidence_failed + summary.evidence_captured
        problems.append(f"{summary.evidence_failed} of {owed} evidence captures failed (see the failed pages, kind evidence)")
    if summary.pages_ok == 0:
        summary.status = "failed"
    else:
        summary.status = "partial" if problems else "completed"
    summary.finished_at = opts.clock()
    error = "; ".join(problems) or None
    store.finish_run(summary, error=error)


def rule_texts(rules_dir: Path, files) -> dict[str, str]:
    """The rule files as they were read for a run, by path relative to the rules folder."""
    out = {}
    for f in files:
        path = Path(f)
        try:
            rel = path.resolve().relative_to(Path(rules_dir).resolve()).as_posix()
        except ValueError:
            rel = path.name
        out[rel] = path.read_text(encoding="utf-8")
    return out


def _summary_of(row: dict, counts: dict[str, int]) -> RunSummary:
    """A stored run's counters, to carry on from."""
    return RunSummary(run_id=row["id"], status="running", started_at=datetime.fromisoformat(row["started_at"]),
                      targets=json.loads(row["targets"] or "[]"), **counts)


def _write_reports(config: Config, store: Store, run_id: int, kind: str, opts: AuditOptions) -> tuple[str, str | None]:
    if not opts.write_report:
        return None, None
    run_dir, day_dir = write_run_reports(config, store, run_id)
    store.mark_reported(run_id, opts.clock())  # the run is done only now: killed before this, --resume finishes it
    return str(run_dir), (str(day_dir) if day_dir else None)


def write_run_reports(config: Config, store: Store, run_id: int) -> tuple[Path, Path | None]:
    """The run's own report, the day's evidence manifest and (for runs that feed it) the day's report."""
    zone = config.schedule.zone
    write_run_manifests(store, config.evidence_dir, run_id, zone)
    return write_reports(store, run_id, config.reports_dir, zone, config.evidence_dir, language=config.report.language)


def _record_failed_start(config: Config, store: Store, opts: AuditOptions, kind: str, targets: list[Target],
                         error: AuditorError) -> None:
    """A run that cannot start (broken rules) is still recorded and reported: every followed listing unchecked."""
    now = opts.clock()
    names = [t.name for t in targets]
    run_id = store.start_run(now, names, [], kind=kind, plan=_plan(targets))
    summary = RunSummary(run_id=run_id, status="failed", started_at=now, finished_at=now, targets=names, kind=kind)
    summary.states = dict(settle_run(store, run_id, names, kind, now, failed=str(error)))
    store.finish_run(summary, error=str(error))
    _write_reports(config, store, run_id, kind, opts)
    notify_run(config, store, summary, now)


def judge_all_sellers(ruleset: RuleSet, store: Store, now: datetime) -> list[SellerHit]:
    """Every seller rule over the hits of its time window."""
    out: list[SellerHit] = []
    windows: dict[int, list[FlaggedRow]] = {}  # rules with the same window share one query
    for loaded in ruleset.seller_rules:
        days = loaded.rule.seller.within_days
        if days not in windows:
            windows[days] = [FlaggedRow(r["site"], r["seller_id"], r["seller_name"], r["item_id"],
                                        clean_amount(r["price"]), r["rule_id"],  # an old row's NaN counts as unknown
                                        tuple(json.loads(r["tags"] or "[]")))
                             for r in store.flagged_since(now - timedelta(days=days))]
        out.extend(judge_sellers(loaded, windows[days]))
    return out


def open_store(config: Config) -> Store:
    return Store(Path(config.database))
