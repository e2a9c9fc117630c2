"""run_audit: crawl every target, match each listing as it arrives, store it, settle its state, write the reports.

The one place that knows every part; the CLI, the scheduler and the tests call it. It knows run
kinds (scheduled, manual, adhoc, demo), not any marketplace: a local marketplace that a run needs
(the bundled demo) is started by the caller's `hosts`, which gives URL aliases (`demo:` -> address).
It never calls upward: what follows a run (alerts), the next due time its reports show, and how
`auditor worker`s read its pages are handed in by whoever starts it (auditor.ops.audit.start_audit).
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections import Counter
from contextlib import ExitStack, nullcontext
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, ContextManager

from auditor import failpoints
from auditor.config import Config, Target
from auditor.crawl.routes import Routes
from auditor.errors import AuditorError, DiskFull, RuleError, disk_full
from auditor.files import writable
from auditor.evidence.capture import EvidenceTaker, write_run_manifests
from auditor.logs import current_run
from auditor.models import DAILY_KINDS, FOLLOWUP, RunSummary, SellerHit
from auditor.report import write_reports
from auditor.review.decisions import suppressed
from auditor.rules import Matcher, RuleSet, load_rules
from auditor.rules.sellers import FlaggedRow, judge_sellers
from auditor.run.budget import memory_for
from auditor.run.ingest import Progress, Tally, crawl_into_store
from auditor.run.plan import (address_policy, build_jobs, moved, plan_of, policy_from, resolve, settings_of,
                              targets_of_plan)
from auditor.i18n import tr
from auditor.notices.track import follow_removals
from auditor.run.runlock import run_lock
from auditor.run.settle import settle_run
from auditor.run.stopping import Stopper, signals_stop_the_run
from auditor.run.tools import open_tools
from auditor.sites import default_headers
from auditor.store import Store
from auditor.store.core import listing_from_row
from auditor.values import clean_amount

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Hosts = Callable[[list[Target]], ContextManager[dict[str, str]]]
After = Callable[[Store, RunSummary, datetime], object]  # what the run's starter does once it has ended
Due = Callable[[Store], "dict | None"]  # the next scheduled run, for the report index's "no run since" banner
KINDS = ("scheduled", "manual", "adhoc", "demo", FOLLOWUP)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


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
    after: After | None = None  # called once the run has ended, however it ended (the starter's alerts)
    due: Due | None = None  # the next due time, shown in the reports' index
    crawl_by_workers: Callable | None = None  # with workers.enabled: how the workers read the run's pages
    full: bool = False  # read every item page, whatever its search card shows (`auditor run --full`)


def run_audit(config: Config, store: Store, options: AuditOptions | None = None) -> RunSummary:
    """One audit run, start to finish; the run row always ends completed, partial, failed or interrupted.

    Holds the database's run lock throughout (another run waits with `wait`, else is refused), so
    two runs never go at once, also across processes. SIGTERM ends a run like Ctrl-C: the page in
    flight is abandoned, the run is marked interrupted, and `resume` carries it on later.
    """
    opts = options or AuditOptions()
    if opts.kind not in KINDS:
        raise AuditorError(tr("unknown run kind {kind!r} (known: {value})", kind=opts.kind, value=', '.join(KINDS)))
    if config.workers.enabled and opts.fetcher is None and opts.crawl_by_workers is None:
        raise AuditorError(tr("workers.enabled is set but this run was not handed its workers: start it with "
                           "`auditor run` / `auditor schedule` (auditor.ops.audit.start_audit)"))
    _writable(config)
    with run_lock(config.database, wait=opts.wait), signals_stop_the_run() as stopper:
        for stale in store.mark_stale_runs(opts.clock()):
            log.warning("run %d had stopped without finishing (killed?): marked interrupted; "
                        "`auditor run --resume` carries it on", stale)
        return _run_locked(config, store, opts, stopper)


def _writable(config: Config) -> None:
    """Every folder the run writes, checked before it starts: a read-only or full folder is said in one line with
    nothing written, not found out after the crawl."""
    writable(config.reports_dir, "reports", "reports_dir")
    if config.evidence.enabled:
        writable(config.evidence_dir, "evidence", "evidence.dir")


def _plan(targets: list[Target]) -> list[dict]:
    return plan_of(targets)


def _resumable(store: Store, opts: AuditOptions) -> dict | None:
    if not opts.resume:
        return None
    run = store.last_interrupted_run()
    if run is None:
        raise AuditorError(tr("no interrupted run to resume: the latest run finished (see `auditor runs`)"))
    return run


def _finish_reports(config: Config, store: Store, row: dict, opts: AuditOptions) -> RunSummary:
    """A run that finished but was stopped while its reports were being written: write them now."""
    summary = _summary_of(row, store.run_counts(row["id"]))
    summary.status, summary.kind = row["status"], row["kind"] or "manual"
    summary.finished_at = datetime.fromisoformat(row["finished_at"]) if row["finished_at"] else opts.clock()
    summary.states = dict(Counter(r["state"] for r in store.states_of_run(row["id"])))
    log.info("run %d had finished without its reports: writing them now", row["id"])
    summary.report_dir, summary.day_report_dir = _write_reports(config, store, row["id"], summary.kind, opts)
    summary.reports_only = True
    return summary


def _run_locked(config: Config, store: Store, opts: AuditOptions, stopper: Stopper) -> RunSummary:
    if opts.resume and (unreported := store.last_unreported_run()) is not None:
        return _finish_reports(config, store, unreported, opts)
    resumed = _resumable(store, opts)
    if resumed:
        targets = targets_of_plan(json.loads(resumed["plan"] or "[]"), config)
        if not targets:
            raise AuditorError(tr("run {id} was recorded before runs kept their targets: cannot resume it",
                                  id=resumed['id']))
        kind = resumed["kind"] or "manual"
    else:
        targets = opts.targets if opts.targets is not None else config.enabled_targets()
        kind = opts.kind
    if not targets:
        raise AuditorError(tr("no enabled targets in the config: nothing to audit"))
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
        for row in store.followed(names) if kind in (*DAILY_KINDS, FOLLOWUP) else []:
            url = moved(row["url"], earlier, aliases)
            followed[url] = (row["site"], row["item_id"])
            follow.setdefault(row["target"], []).append(url)
        if kind == FOLLOWUP:  # only the targets with listings to follow, and only those listings
            targets = [t for t in targets if follow.get(t.name)]
            names = [t.name for t in targets]
            if not targets:
                raise NothingToFollow(tr("no listing is followed yet: a follow-up run has nothing to read"))
        by_workers = config.workers.enabled and opts.fetcher is None  # the run's pages are read by `auditor worker`s
        memory = None if by_workers else memory_for(config, store, kind, opts.full, targets, opts.clock(),
                                                    set(followed.values()), earlier, aliases)  # workers build theirs
        if resumed:
            run_id = resumed["id"]
            done = frozenset(u2 for u in store.done_item_urls(run_id) for u2 in (u, moved(u, earlier, aliases)))
            jobs = [replace(j, skip_urls=done) for j in build_jobs(config, targets, aliases, follow, memory,
                                                                   followup=kind == FOLLOWUP)]
            store.reopen_run(run_id, aliases, opts.clock())
            summary = _summary_of(resumed, store.run_counts(run_id))
            log.info("resuming run %d: %d item pages already done", run_id, len(done))
        else:
            jobs = build_jobs(config, targets, aliases, follow, memory, followup=kind == FOLLOWUP)
            notes = [f"target {t.name} ignores robots.txt (ignore_robots: true in the config)" for t in targets
                     if t.ignore_robots]
            run_id = store.start_run(opts.clock(), names, [str(p) for p in ruleset.files], notes, kind=kind,
                                     aliases=aliases, plan=_plan(targets),
                                     settings={**settings_of(config), "budget": {"full": opts.full}})
            store.save_rule_set(run_id, rule_texts(config.rules_dir, ruleset.files), opts.clock())
            summary = RunSummary(run_id=run_id, status="running", started_at=opts.clock(), targets=names)
        summary.kind = kind
        progress = Progress(summary, discovered=sum(len(j.start_urls) + len(j.follow_urls) for j in jobs),
                            on_change=opts.on_progress)
        current_run.set(run_id)
        log.info("run %d (%s): %d targets, %d rules, %d followed listings", run_id, kind, len(jobs), len(ruleset),
                 len(followed))
        limit = config.crawl.max_run_minutes * 60
        tally = Tally()
        summary.target_pages = tally.ok  # one count of the pages read per target, live

        addresses = address_policy(config, aliases)
        routes = Routes.of(targets, lambda u: resolve(u, aliases), config.sessions_dir, default_headers)

        async def go() -> None:
            stopper.attach(asyncio.current_task())
            if by_workers:
                await _unless_stopped(asyncio.ensure_future(asyncio.wait_for(
                    opts.crawl_by_workers(config, store, run_id, jobs, progress, tally, opts.clock), limit)), opts.stop)
                if not (config.evidence.enabled and opts.evidence and store.owed_evidence(names)):
                    return
                # captures a worker owed when it died: taken here, as a single-process run takes an earlier run's
            async with open_tools(config, store, summary, targets, matcher, opts.clock, addresses, routes,
                                  fetcher=opts.fetcher, evidence=opts.evidence) as tools:
                if tools.evidence:
                    _take_owed(store, tools.evidence, names, earlier, aliases, jobs)
                if by_workers:
                    await _unless_stopped(asyncio.ensure_future(tools.evidence.drain()), opts.stop)
                    return
                work = asyncio.ensure_future(asyncio.wait_for(crawl_into_store(
                    jobs, tools.fetcher, policy_from(config), store, matcher, progress, opts.clock, tools.evidence,
                    followed, tally, addresses, tools.images, routes, limiter=tools.limiter,
                    robots=tools.robots), limit))
                await _unless_stopped(work, opts.stop)
                if tools.images:
                    await _unless_stopped(asyncio.ensure_future(tools.images.drain()), opts.stop)
                    for target, counts in tools.images.spent.items():  # what the pictures cost, beside the pages
                        tally.spent.setdefault(target, Counter()).update(counts)
                if tools.evidence:
                    await _unless_stopped(asyncio.ensure_future(tools.evidence.drain()), opts.stop)

        try:
            try:
                asyncio.run(go())
            except asyncio.CancelledError:
                if stopper.signal is None:
                    raise
                raise stopper.interrupted() from None
            finally:
                stopper.attach(None)
            _finish(config, store, ruleset, summary, targets, tally, kind, opts)  # stopped in here: interrupted too
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
            if disk_full(e):
                raise _stopped_by_full_disk(config, store, summary, e, opts.clock()) from None
            summary.status, summary.finished_at = "failed", opts.clock()
            error = f"{type(e).__name__}: {e}"
            summary.states = dict(settle_run(store, run_id, names, kind, opts.clock(), failed=error))
            store.finish_run(summary, error=error)
            _write_reports(config, store, run_id, kind, opts)
            _after(opts, store, summary, opts.clock())
            raise
    if opts.write_report:
        summary.report_dir, summary.day_report_dir = _write_reports(config, store, run_id, kind, opts)
    elif summary.evidence_captured:
        write_run_manifests(store, config.evidence_dir, run_id, config.schedule.zone, config.evidence.tsa_url)
    _after(opts, store, summary, opts.clock())
    log.info("run %d %s: %d pages ok, %d failed, %d flagged now", run_id, summary.status, summary.pages_ok,
             summary.pages_failed, summary.flagged_now)
    return summary


def _stopped_by_full_disk(config: Config, store: Store, summary: RunSummary, e: BaseException, at: datetime) -> DiskFull:
    """The disk filled mid-run: the run is marked interrupted where the disk still lets it be (else its row says
    running, which `--resume` takes as stopped too); nothing is settled, reported or told as if it had ended."""
    where = e.filename if isinstance(e, OSError) and e.filename else f"the database ({config.database})"
    full = DiskFull(str(where), summary.run_id)
    summary.status, summary.finished_at = "interrupted", at
    try:
        store.finish_run(summary, error=str(full))
    except Exception as again:  # noqa: BLE001 - still full: the row stays running
        log.warning("run %d: could not mark it interrupted either (%s)", summary.run_id, again)
    log.info("run %d: %s (%s)", summary.run_id, full, e)  # the CLI says it; the log file keeps it
    return full


class NothingToFollow(AuditorError):
    """A follow-up run found no followed listing (nothing was recorded)."""

    exit_code = 0


def _after(opts: AuditOptions, store: Store, summary: RunSummary, at: datetime) -> None:
    if opts.after is not None:
        opts.after(store, summary, at)


def _take_owed(store: Store, taker: EvidenceTaker, names: list[str], earlier, aliases, jobs) -> None:
    """Start the captures earlier runs still owe these targets (killed before taking them)."""
    owed = store.owed_evidence(names)
    if owed:
        rows = store.listings_by_key((r["site"], r["item_id"]) for r in owed)
        at_now = {k: replace(listing_from_row(v), url=moved(v["url"], earlier, aliases))  # a demo's new port
                  for k, v in rows.items()}
        started = taker.take_owed(owed, at_now, {j.target: j.reader.ready_selector for j in jobs})
        log.info("taking %d evidence captures still owed from earlier runs", started)


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
            tally: Tally, kind: str, opts: AuditOptions) -> None:
    """Per-target completeness, the listings' states, seller rules, and the run's final status."""
    if store.run_settled(summary.run_id):  # resumed after it had settled: settling again would read its own picture
        done = store.run_targets(summary.run_id)
        tally.incomplete = {t: r["reason"] for t, r in done.items() if not r["complete"]}
        summary.incomplete = dict(tally.incomplete)
        summary.states = dict(Counter(r["state"] for r in store.states_of_run(summary.run_id)))
    else:
        _settle(store, summary, targets, tally, kind, opts, config.crawl.partial_failure_share)
    if kind in (*DAILY_KINDS, FOLLOWUP):  # the notices whose listings this run saw gone (again on a resume: once, as they are closed)
        for notice_id in follow_removals(store, summary.run_id):
            log.info("notice #%s: its listings are gone", notice_id)
    seller_hits = judge_all_sellers(ruleset, store, opts.clock())
    failpoints.reached("seller-rules")
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


def _settle(store: Store, summary: RunSummary, targets: list[Target], tally: Tally, kind: str, opts: AuditOptions,
            share: float) -> None:
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
        if t.name in tally.spent:
            store.record_spent(summary.run_id, t.name, dict(tally.spent[t.name]))
    summary.incomplete = dict(tally.incomplete)
    summary.states = dict(settle_run(store, summary.run_id, [t.name for t in targets], kind, opts.clock(),
                                     incomplete=tally.incomplete, suppressed=suppressed(store)))


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
    run_dir, day_dir = write_run_reports(config, store, run_id, opts.due)
    store.mark_reported(run_id, opts.clock())  # the run is done only now: killed before this, --resume finishes it
    return str(run_dir), (str(day_dir) if day_dir else None)


def write_run_reports(config: Config, store: Store, run_id: int, due: Due | None = None) -> tuple[Path, Path | None]:
    """The run's own report, the day's evidence manifest and (for runs that feed it) the day's report."""
    zone = config.schedule.zone
    write_run_manifests(store, config.evidence_dir, run_id, zone, config.evidence.tsa_url)
    return write_reports(store, run_id, config.reports_dir, zone, config.evidence_dir, language=config.report.language,
                         due=due(store) if due else None, renotice_days=config.notices.renotice_days)


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
    _after(opts, store, summary, now)


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
    return Store(config.database)
