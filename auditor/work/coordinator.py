"""A run done by workers, seen from the process that started it: defer its jobs, watch them, finish it.

The run loop calls `crawl_by_workers` in place of its own crawl; everything before (starting the run)
and after (settling, seller rules, reports, alerts) is the same. While jobs are left it gives the
jobs of workers that stopped sending heartbeats (killed, or their machine gone) to other workers.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import Counter
from datetime import datetime
from typing import Callable

import psycopg
from procrastinate.exceptions import ConnectorException

from auditor.config import Config
from auditor.run.ingest import Progress, Tally
from auditor.store import Store
from auditor.store.reconnect import PATIENCE, aconnect_patiently, connect_patiently, dropped, said
from auditor.work.queue import DISCOVER, PENDING, QUEUE, cancel_run_jobs, ensure_schema, failed_jobs, make_app
from auditor.work.tasks import defer_items

log = logging.getLogger("auditor.run.pipeline")
POLL = 0.5


async def crawl_by_workers(config: Config, store: Store, run_id: int, jobs: list, progress: Progress, tally: Tally,
                           clock: Callable[[], datetime]) -> None:
    """Defer a discover job per target and the followed listings' item pages in batches; wait until the run has no
    job left; then fill `tally` from what the run stored. Cancelled (Ctrl-C, SIGTERM, the time limit): the run's
    queued jobs are cancelled, and jobs in flight find the run interrupted."""
    ensure_schema(config.database)
    app = make_app(config.database)
    batch = config.workers.batch
    async with app.open_async():
        try:
            for job in jobs:
                await app.configure_task(DISCOVER, queue=QUEUE, queueing_lock=f"run{run_id}:discover:{job.target}"
                                         ).defer_async(run_id=run_id, target=job.target, batch=batch)
                follow = sorted(set(job.follow_urls) - job.skip_urls)
                for i in range(0, len(follow), batch):
                    await defer_items(app, run_id, job.target, follow[i:i + batch], f"{job.target}:followed:{i // batch}")
            log.info("run %d: %d discover jobs deferred; waiting for workers", run_id, len(jobs))
            await _wait(app, config, run_id, progress)
        except BaseException:
            with _connect(config, run_id) as conn:
                if n := cancel_run_jobs(conn, run_id):
                    log.warning("run %d: %d queued jobs cancelled", run_id, n)
            raise
    with _connect(config, run_id) as conn:
        failed = failed_jobs(conn, run_id)
    ok, bad, listings = store.target_counts(run_id)
    tally.ok.update(ok)
    tally.failed.update(bad)
    tally.listings.update(listings)
    for row in store.run_jobs(run_id):
        if row["note"]:
            tally.incomplete.setdefault(row["target"], row["note"])
        if row.get("spent"):  # each job's requests, pages spared, pace waited and pictures, added up per target
            tally.spent.setdefault(row["target"], Counter()).update(json.loads(row["spent"]))
    for f in failed:
        target = f["args"].get("target")
        tally.incomplete.setdefault(target, f"a job of this target failed ({f['task']}): see the workers' logs")
    s = progress.summary
    s.pages_ok, s.pages_failed = sum(ok.values()), sum(bad.values())
    counts = store.run_counts(run_id)
    s.listings_seen, s.listings_new = counts["listings_seen"], counts["listings_new"]
    s.listings_changed, s.flagged, s.hits = counts["listings_changed"], counts["flagged"], counts["hits"]
    s.evidence_captured = store.evidence_captures_of_run(run_id)
    s.pages_spared = sum(int(c.get("unchanged", 0)) for c in tally.spent.values())
    s.target_pages = Counter(ok)


def _connect(config: Config, run_id: int) -> psycopg.Connection:
    return connect_patiently(lambda: psycopg.connect(config.database, autocommit=True, connect_timeout=10),
                             f"run {run_id}")


async def _wait(app, config: Config, run_id: int, progress: Progress) -> None:
    """Until the run has no job to do or in progress; stalled workers' jobs are given again. The database going
    away for a while (a restart, a fail-over) is waited out: the watch connects again and carries on; the workers
    do the same on their side."""
    conn, failing_since = None, None
    try:
        while True:
            try:
                if conn is None or dropped(conn):
                    if conn is not None:
                        await conn.close()
                    conn = await aconnect_patiently(lambda: psycopg.AsyncConnection.connect(
                        config.database, autocommit=True, connect_timeout=10), f"run {run_id}")
                if await _watch(app, conn, config, run_id, progress):
                    return
                failing_since = None
            except (psycopg.OperationalError, ConnectorException) as e:
                failing_since = failing_since or time.monotonic()
                if time.monotonic() - failing_since > PATIENCE:
                    raise
                log.warning("run %d: the database connection was lost (%s); connecting again", run_id, said(e))
                if conn is not None:
                    await conn.close()
                conn = None
            await asyncio.sleep(POLL)
    finally:
        if conn is not None:
            await conn.close()


async def _watch(app, conn, config: Config, run_id: int, progress: Progress) -> bool:
    """One look at the run's jobs: True when none is left to do; stalled jobs given again; progress told."""
    rows = await (await conn.execute(
        "select status::text, count(*) from procrastinate_jobs where queue_name = %s"
        " and (args->>'run_id')::bigint = %s group by status", (QUEUE, run_id))).fetchall()
    counts = dict(rows)
    if not any(counts.get(s) for s in PENDING):
        return True
    manager = app.job_manager
    for job in await manager.get_stalled_jobs(seconds_since_heartbeat=config.workers.stalled_seconds, queue=QUEUE):
        if job.task_kwargs.get("run_id") == run_id:
            log.warning("run %d: a worker stopped answering; its job %s (%s) goes to another", run_id,
                        job.id, job.task_name)
            await manager.retry_job(job)
    progress.done = await _pages(conn, run_id)  # item pages stored or failed so far
    progress.discovered = max(progress.discovered, progress.done + counts.get("todo", 0) * config.workers.batch)
    progress.tick()
    return False


async def _pages(conn, run_id: int) -> int:
    cur = await conn.execute("select (select count(*) from observations where run_id = %s)"
                             " + (select count(*) from page_failures where run_id = %s)", (run_id, run_id))
    return (await cur.fetchone())[0]

