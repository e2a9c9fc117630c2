"""Politeness that holds for a fleet of workers: one request pace per host, kept in PostgreSQL.

Each process's HostLimiter spaces its own requests; N workers with one each would hit a host N times
as hard (Scrapy's politeness is per process too). Here every request to a host first takes the next
free moment of that host's pace, in one atomic UPDATE of its row (the server's clock, so the machines'
clocks do not matter), then waits for that moment: the requests of the whole fleet are at least
1/rate seconds apart (15 % more, for the time a request takes to leave). A Retry-After pauses the host for
every worker. A worker that wakes well past its turn (frozen by SIGSTOP, a suspended VM, a starved machine) takes
a new turn instead of going at once beside the others' (a worker frozen 12 s once put 13 requests in one second at
a pace of 10). Requests in flight per host are still capped per process (max_per_host each).
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from typing import AsyncIterator
from urllib.parse import urlsplit

import psycopg

from auditor.store.reconnect import aconnect_patiently, dropped

log = logging.getLogger(__name__)

MARGIN = 1.15  # each turn 15 % longer than 1/rate: a request that leaves a little late (a busy event loop, a new
# connection) must not land within a second of two later ones in the marketplace's own log
LATE_TURNS = 5  # a turn missed by more than one gap is taken again, this many times at most
TAKE = ("update host_pace set next_at = greatest(next_at, extract(epoch from clock_timestamp())) + %s"
        " where host = %s returning next_at - %s - extract(epoch from clock_timestamp())")


class FleetHostLimiter:
    """HostLimiter's interface (slot, pause) over the shared `host_pace` table; open with `async with`."""

    def __init__(self, url: str, max_in_flight: int):
        self.url = url
        self._max = max_in_flight
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._known: set[str] = set()
        self._conn: psycopg.AsyncConnection | None = None
        self._lock = asyncio.Lock()  # one statement at a time on the connection
        self._pauses: set[asyncio.Task] = set()

    async def __aenter__(self) -> "FleetHostLimiter":
        self._conn = await psycopg.AsyncConnection.connect(self.url, autocommit=True)
        return self

    async def __aexit__(self, *exc) -> None:
        for task in self._pauses:
            task.cancel()
        await self._conn.close()

    async def _wait_for_turn(self, host: str, rate: float) -> float:
        gap = MARGIN / rate
        async with self._lock:
            if dropped(self._conn):  # the server ended it (a restart, a pooler, an idle timeout)
                await self._connect_again()
            if host not in self._known:
                await self._conn.execute("insert into host_pace (host, next_at) values (%s, 0) on conflict do nothing",
                                         (host,))
                self._known.add(host)
            try:
                cur = await self._conn.execute(TAKE, (gap, host, gap))
            except psycopg.OperationalError:  # lost as it asked: once more on a new connection (a turn taken
                await self._connect_again()  # twice only waits)
                cur = await self._conn.execute(TAKE, (gap, host, gap))
            return max(0.0, float((await cur.fetchone())[0]))

    async def _connect_again(self) -> None:
        log.warning("the pace's connection to PostgreSQL was lost: connecting again")
        await self._conn.close()
        self._conn = await aconnect_patiently(lambda: psycopg.AsyncConnection.connect(
            self.url, autocommit=True, connect_timeout=10), "the pace")

    @asynccontextmanager
    async def slot(self, url: str, rate: float) -> AsyncIterator[None]:
        host = urlsplit(url).netloc
        sem = self._slots.setdefault(host, asyncio.Semaphore(self._max))
        async with sem:
            loop = asyncio.get_running_loop()
            for _ in range(LATE_TURNS):
                wait = await self._wait_for_turn(host, rate)
                due = loop.time() + max(wait, 0.0)
                if wait > 0:
                    await asyncio.sleep(wait)
                if loop.time() - due <= MARGIN / rate:
                    break
                # woken well past the turn (the process was frozen, SIGSTOP, or starved): other workers have had
                # the turns since, so going now would land beside theirs in the marketplace's log; take a new one
                log.info("woke %.1f s past its turn for %s: taking a new one", loop.time() - due, host)
            yield

    def pause(self, url: str, seconds: float) -> None:
        """Hold back every worker's requests to this host for a while (a 429 / 503 with Retry-After)."""
        host = urlsplit(url).netloc

        async def push() -> None:
            async with self._lock:
                await self._conn.execute("update host_pace set next_at = greatest(next_at,"
                                         " extract(epoch from clock_timestamp()) + %s) where host = %s", (seconds, host))

        task = asyncio.get_running_loop().create_task(push())
        self._pauses.add(task)
        task.add_done_callback(self._pauses.discard)
