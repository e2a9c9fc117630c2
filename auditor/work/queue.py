"""The job queue: procrastinate, in the same PostgreSQL database as the store.

Jobs are named here once; `tasks.py` does them, `coordinator.py` defers them and waits. Every job's
arguments carry its run id, so a run's jobs are found, counted and cancelled by it.
"""

from __future__ import annotations

import asyncio
import logging

import procrastinate
import psycopg

from auditor.store.postgres import SCHEMA_LOCK
from auditor.store.reconnect import said

log = logging.getLogger(__name__)

QUEUE = "auditor"
DISCOVER = "auditor.discover"  # one target's search pages: yields the item pages, deferred as ITEMS jobs
ITEMS = "auditor.items"  # a batch of item pages: read, matched, stored, with their evidence and images
PENDING = ("todo", "doing")


class _PatientConnector(procrastinate.PsycopgConnector):
    """procrastinate's connector, made to live through a database restart. Its pool already checks a connection
    before handing it out; here the worker's listener for new jobs connects again when its connection is lost,
    where procrastinate's ends (and a worker whose side task ended stops). Jobs deferred while it was away are
    found by the worker's polling."""

    async def listen_notify(self, on_notification, channels) -> None:
        lost = 0
        while True:
            try:
                await super().listen_notify(on_notification, channels)
            except procrastinate.exceptions.ConnectorException as e:
                if lost == 0:
                    log.warning("the queue's listener lost the database (%s); connecting again", said(e))
                await asyncio.sleep(min(0.2 * 2 ** lost, 3.0))
                lost += 1
            else:
                lost = 0


class LostInOneLine(logging.Filter):
    """procrastinate logs a side task's database error (polling for aborted jobs, a heartbeat) with its traceback
    and goes on; when the error is the database going away (a restart, a connection cut), an operator reads one
    warning line instead, naming it. Other errors keep their traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("procrastinate") and record.exc_info and record.exc_info[1] is not None:
            e: BaseException | None = record.exc_info[1]
            while e is not None and not isinstance(e, psycopg.OperationalError):
                e = e.__cause__ or e.__context__
            if e is not None:
                record.msg = f"{record.getMessage()}: the database connection was lost ({said(e)}); it goes on"
                record.args, record.exc_info, record.exc_text = (), None, None
                record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def lost_in_one_line() -> None:
    """Every handler of the log (terminal and file) says a lost database connection in one line."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, LostInOneLine) for f in handler.filters):
            handler.addFilter(LostInOneLine())


def make_app(url: str) -> procrastinate.App:
    """A procrastinate App over the database (not opened); `tasks.py` adds the tasks for workers."""
    return procrastinate.App(connector=_PatientConnector(conninfo=url))


def ensure_schema(url: str) -> None:
    """Create procrastinate's tables in the database's schema the first time; processes starting at once take turns."""
    with psycopg.connect(url, autocommit=True) as conn:
        with conn.transaction():
            conn.execute("select pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
            if conn.execute("select to_regclass('procrastinate_jobs')").fetchone()[0] is None:
                log.info("creating the job queue's tables (procrastinate)")
                conn.execute(procrastinate.schema.SchemaManager.get_schema())


def failed_jobs(conn: psycopg.Connection, run_id: int) -> list[dict]:
    rows = conn.execute("select task_name, args from procrastinate_jobs where queue_name = %s"
                        " and (args->>'run_id')::bigint = %s and status = 'failed'", (QUEUE, run_id)).fetchall()
    return [{"task": t, "args": a} for t, a in rows]


def cancel_run_jobs(conn: psycopg.Connection, run_id: int) -> int:
    """Jobs of a run not yet started are cancelled (the run was interrupted); jobs in flight finish and find the
    run no longer running."""
    cur = conn.execute("update procrastinate_jobs set status = 'cancelled' where queue_name = %s and status = 'todo'"
                       " and (args->>'run_id')::bigint = %s", (QUEUE, run_id))
    return cur.rowcount
