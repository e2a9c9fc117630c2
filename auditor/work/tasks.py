"""What an `auditor worker` does: the jobs of runs, each as the single-process run would do that part.

A worker opens a run's tools (fetcher, evidence and image takers), its rules (the files the run was
started with, as stored) and its targets once, on the first job of that run it takes, and keeps them
while it takes more. Every job is safe to do twice (a queue delivers at least once; a job whose worker
died is given to another): item pages this run already stored are skipped, a listing is stored once
per run (checked under the store's write lock), hits have a unique key, evidence is captured when a
listing is first stored in a run, and a discover job's counts are one row, rewritten.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections import Counter
import logging
import os
import socket
import tempfile
from contextlib import AsyncExitStack
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import procrastinate
import psycopg

from auditor.config import Config, Target
from auditor.crawl.routes import Routes
from auditor.models import Hit, RunSummary
from auditor.rules import Matcher, load_rules
from auditor.rules.loader import write_rule_files
from auditor.run.budget import StoredMemory, memory_for
from auditor.run.ingest import Progress, Tally, crawl_into_store
from auditor.run.plan import address_policy, build_jobs, config_for_run, policy_from, resolve, targets_of_plan
from auditor.run.tools import CrawlTools, open_tools
from auditor.sites import default_headers
from auditor.store import DatabaseClock, Store, listing_from_row
from auditor.store.reconnect import said
from auditor.work.queue import DISCOVER, ITEMS, QUEUE, ensure_schema, lost_in_one_line, make_app

log = logging.getLogger(__name__)


@dataclass
class RunContext:
    run_id: int
    config: Config  # this worker's config with the run's own settings over it (what it captures, how fast it asks)
    targets: dict[str, Target]
    jobs: dict[str, object]  # target -> CrawlJob
    matcher: Matcher
    tools: CrawlTools
    routes: Routes
    addresses: object
    stack: AsyncExitStack  # its tools' robots.txt cache is read once per run, not per job
    in_flight: int = 0


class Worker:
    """One worker process's state: its config, its store, and the runs it has tools open for."""

    def __init__(self, config: Config):
        self.config = config
        self.store = Store(config.database)
        self.clock = DatabaseClock(self.store)  # what this worker records is stamped in the database's time
        self.runs: dict[int, RunContext] = {}
        self._opening = asyncio.Lock()

    async def context(self, run_id: int) -> RunContext | None:
        """The run's context, opened on first need; None when the run is no longer running (interrupted)."""
        row = self.store.run(run_id)
        if row["status"] != "running":
            return None
        async with self._opening:
            if run_id not in self.runs:
                for old in [r for r in self.runs.values() if r.in_flight == 0]:  # a finished run's tools are closed
                    await old.stack.aclose()
                    del self.runs[old.run_id]
                self.runs[run_id] = await self._open(row)
        return self.runs[run_id]

    async def _open(self, row: dict) -> RunContext:
        config, store = config_for_run(self.config, json.loads(row.get("settings") or "{}")), self.store
        targets = targets_of_plan(json.loads(row["plan"] or "[]"), config)
        aliases = json.loads(row["aliases"] or "{}")
        files = store.rule_set_of(row["id"])
        with tempfile.TemporaryDirectory() as tmp:  # the rules the run was started with, not today's folder
            matcher = Matcher(load_rules(write_rule_files(Path(tmp), files or {}) or config.rules_dir))
        addresses = address_policy(config, aliases)
        routes = Routes.of(targets, lambda u: resolve(u, aliases), config.sessions_dir, default_headers)
        summary = RunSummary(run_id=row["id"], status="running", started_at=self.clock(), targets=[t.name for t in targets])
        stack = AsyncExitStack()
        tools = await stack.enter_async_context(open_tools(config, store, summary, targets, matcher, self.clock, addresses,
                                                           routes, fleet=True))
        jobs = {j.target: j for j in build_jobs(config, targets, aliases, memory=self._memory(config, row, targets,
                                                                                           aliases))}
        log.info("worker: run %d opened (%d targets, %d rules)", row["id"], len(targets), len(matcher.ruleset))
        return RunContext(row["id"], config, {t.name: t for t in targets}, jobs, matcher, tools, routes, addresses, stack)

    def _memory(self, config: Config, row: dict, targets: list[Target], aliases: dict[str, str]) -> StoredMemory | None:
        """The run's crawl budget, as the single-process run has it: the store as it stood, the run's start as
        today, the run's followed listings; `--full` is in the run's settings."""
        full = bool((json.loads(row.get("settings") or "{}").get("budget") or {}).get("full"))
        followed = {(r["site"], r["item_id"]) for r in self.store.followed([t.name for t in targets])}
        return memory_for(config, self.store, row["kind"], full, targets, datetime.fromisoformat(row["started_at"]),
                          followed, self.store.alias_addresses(), aliases)

    async def close(self) -> None:
        for ctx in self.runs.values():
            await ctx.stack.aclose()
        self.runs.clear()
        self.store.close()

    async def crawl(self, ctx: RunContext, job, links: list | None = None) -> Tally:
        """The job's pages into the store; its tally says what it read and what it spent (its pictures too)."""
        tally = Tally()
        pictures = Counter(ctx.tools.images.spent.get(job.target, {})) if ctx.tools.images else Counter()
        summary = RunSummary(run_id=ctx.run_id, status="running", started_at=self.clock(), targets=[job.target])
        ctx.in_flight += 1
        try:
            await crawl_into_store([job], ctx.tools.fetcher, policy_from(ctx.config), self.store, ctx.matcher,
                                   Progress(summary), self.clock, ctx.tools.evidence, {}, tally, ctx.addresses,
                                   ctx.tools.images, ctx.routes, links=links, once=True, limiter=ctx.tools.limiter,
                                   robots=ctx.tools.robots)
            if ctx.tools.images:  # the job is done when its pictures and captures are on disk and recorded
                await ctx.tools.images.drain()
                taken = Counter(ctx.tools.images.spent.get(job.target, {})) - pictures  # this worker's, since the job began
                if taken:
                    tally.spent.setdefault(job.target, Counter()).update(taken)
            if ctx.tools.evidence:
                await ctx.tools.evidence.drain()
        finally:
            ctx.in_flight -= 1
        return tally


WORKER: Worker | None = None
ATTEMPTS = 3  # a job that lost the database mid-way is done again here this many times before the queue's retry


def again_when_the_database_is_lost(task):
    """A job that lost its database connection mid-way (the server restarted, a backend was terminated) is done
    again in this worker, once the store has connected again: every job is safe to do twice, and the operator
    reads one line instead of a job failure with its traceback."""
    @functools.wraps(task)
    async def job(context, **kwargs):
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return await task(context, **kwargs)
            except psycopg.OperationalError as e:
                if attempt == ATTEMPTS:
                    raise
                log.warning("run %s: job %s lost the database mid-way (%s); doing it again", kwargs.get("run_id"),
                            kwargs.get("key") or f"discover:{kwargs.get('target')}", said(e))
    return job


@again_when_the_database_is_lost
async def discover(context, run_id: int, target: str, batch: int) -> None:
    """A target's search pages; the item pages found become ITEMS jobs of `batch` pages each (sorted, so a
    second delivery of this job makes the same batches, which the queueing lock then refuses while queued)."""
    ctx = await WORKER.context(run_id)
    if ctx is None:
        return
    job = replace(ctx.jobs[target], follow_urls=(), discover_only=True)
    links: list = []
    tally = await WORKER.crawl(ctx, job, links)
    cards = {link.url: link.card for link in links if link.card}
    urls = sorted({link.url for link in links})
    for i in range(0, len(urls), batch):
        chunk = urls[i:i + batch]
        await defer_items(context.app, run_id, target, chunk, f"{target}:{i // batch}",
                          {u: cards[u] for u in chunk if u in cards})
    WORKER.store.record_job(run_id, f"discover:{target}", target, search_pages=tally.ok[target],
                            failed_pages=tally.failed[target], note=tally.incomplete.get(target),
                            spent=_spent(tally, target), at=WORKER.clock())
    log.info("run %d: %s: %d search pages, %d item pages in %d jobs", run_id, target, tally.ok[target], len(urls),
             -(-len(urls) // batch))


@again_when_the_database_is_lost
async def items(context, run_id: int, target: str, urls: list[str], key: str, cards: dict | None = None) -> None:
    """A batch of item pages, each read, matched and stored once in this run; `cards`: what their search cards
    showed (digests), kept with the listings for the next run's budget."""
    ctx = await WORKER.context(run_id)
    if ctx is None:
        return
    done = frozenset(WORKER.store.done_item_urls(run_id, among=urls))
    job = replace(ctx.jobs[target], start_urls=(), follow_urls=tuple(urls), skip_urls=done, max_pages=len(urls) + 1,
                  card_digests=tuple(sorted((cards or {}).items())))
    if done and ctx.tools.images:  # given again after a worker died: pictures it stored pages for but never checked
        for row, hits, version in WORKER.store.images_owed(run_id, done):
            stored = [Hit(h["rule_id"], h["rule_title"], h["severity"], tuple(json.loads(h["tags"] or "[]")), ())
                      for h in hits]
            if ctx.tools.images.wants(target, stored):
                ctx.tools.images.take(target, listing_from_row(row), stored, version, ctx.jobs[target].reader.ready_selector)
    tally = await WORKER.crawl(ctx, job)
    if spent := _spent(tally, target):
        WORKER.store.record_job(run_id, f"items:{key}", target, spent=spent, at=WORKER.clock())


def _spent(tally: Tally, target: str) -> dict:
    """What a job spent, in whole numbers and seconds as run_targets.spent keeps them."""
    return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in tally.spent.get(target, {}).items() if v}


async def defer_items(app: procrastinate.App, run_id: int, target: str, urls: list[str], key: str,
                      cards: dict[str, str] | None = None) -> None:
    try:
        await app.configure_task(ITEMS, queue=QUEUE, queueing_lock=f"run{run_id}:{key}").defer_async(
            run_id=run_id, target=target, urls=urls, key=key, **({"cards": cards} if cards else {}))
    except procrastinate.exceptions.AlreadyEnqueued:
        log.info("run %d: job %s is already queued", run_id, key)


def run_worker(config: Config, *, concurrency: int | None = None, name: str | None = None,
               wait: bool = True) -> None:
    """Take jobs until SIGTERM or Ctrl-C (or, without wait, until the queue is empty)."""
    ensure_schema(config.database)
    lost_in_one_line()
    app = make_app(config.database)
    for name, fn in ((DISCOVER, discover), (ITEMS, items)):  # retried twice when they raise (not when killed:
        app.task(name=name, queue=QUEUE, pass_context=True, retry=2)(fn)  # the coordinator gives those again)

    async def go() -> None:
        global WORKER
        WORKER = Worker(config)
        try:
            async with app.open_async():
                beat = max(1.0, config.workers.stalled_seconds / 3)
                await app.run_worker_async(queues=[QUEUE], concurrency=concurrency or config.workers.concurrency,
                                           name=name or f"{socket.gethostname()}:{os.getpid()}", wait=wait,
                                           install_signal_handlers=True, update_heartbeat_interval=beat,
                                           stalled_worker_timeout=config.workers.stalled_seconds,
                                           delete_jobs="never")
        finally:
            await WORKER.close()
            WORKER = None

    asyncio.run(go())
