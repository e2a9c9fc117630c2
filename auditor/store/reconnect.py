"""Connections to PostgreSQL that outlive a server restart, a fail-over or a backend terminated while idle.

Two things make that work. A connection the server ended while it sat idle is found out before a statement is
sent on it (`dropped`: the server's farewell is already waiting on the socket), so no statement is lost to it.
And a new connection is asked for patiently (`connect_patiently`): while the server is shutting down, starting up
or not listening yet, connecting is tried again for up to `PATIENCE` seconds before the error is given to the
caller. A statement cut mid-flight still fails: whether it was done is the server's to know, so the caller decides.
"""

from __future__ import annotations

import asyncio
import logging
import select
import time
from typing import Awaitable, Callable, TypeVar

import psycopg

log = logging.getLogger("auditor.store")
PATIENCE = 90.0  # seconds: a restart or a fail-over is over well within this
T = TypeVar("T")


def dropped(raw: psycopg.Connection | psycopg.AsyncConnection) -> bool:
    """Whether an idle connection was ended by the server: its socket holds the server's last words, and reading
    them meets the end of the stream. A connection inside a transaction is never probed (that is the caller's)."""
    if raw.closed or raw.broken:
        return True
    if raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        return False
    pg = raw.pgconn
    try:
        for _ in range(3):  # the error message first, then the end of the stream
            if not select.select([pg.socket], [], [], 0)[0]:
                return False
            pg.consume_input()
    except (psycopg.OperationalError, OSError, ValueError):
        return True
    return pg.status != psycopg.pq.ConnStatus.OK


def said(e: BaseException) -> str:
    """The first line of what a lost connection's error says (its cause's, under procrastinate's wrapper), bounded;
    its type's name when it says nothing."""
    text = str(e.__cause__ or e).strip()
    return text.splitlines()[0][:200] if text else type(e).__name__


def _wait(started: float, attempt: int, error: Exception, what: str) -> float:
    """Seconds to wait before the next attempt, or raise `error` when patience has run out."""
    if time.monotonic() - started > PATIENCE:
        raise error
    if attempt == 0:
        log.warning("%s: the database does not answer (%s); trying again for up to %.0f s", what, said(error),
                    PATIENCE)
    return min(0.2 * 2 ** attempt, 3.0)


def connect_patiently(connect: Callable[[], T], what: str = "database") -> T:
    started, attempt = time.monotonic(), 0
    while True:
        try:
            conn = connect()
        except psycopg.OperationalError as e:
            time.sleep(_wait(started, attempt, e, what))
            attempt += 1
            continue
        if attempt:
            log.warning("%s: connected again after %.1f s", what, time.monotonic() - started)
        return conn


async def aconnect_patiently(connect: Callable[[], Awaitable[T]], what: str = "database") -> T:
    started, attempt = time.monotonic(), 0
    while True:
        try:
            conn = await connect()
        except psycopg.OperationalError as e:
            await asyncio.sleep(_wait(started, attempt, e, what))
            attempt += 1
            continue
        if attempt:
            log.warning("%s: connected again after %.1f s", what, time.monotonic() - started)
        return conn
