"""Per-host politeness: a request rate and a cap on requests in flight."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from typing import AsyncIterator
from urllib.parse import urlsplit


class HostLimiter:
    """Spaces requests to one host at least 1/rate seconds apart, with at most max_in_flight at once.

    Turns are taken one after another, each 1/rate after the previous one actually began: a request that
    starts late (a busy event loop) moves the next ones back, so no one-second window of the host's log
    ever holds more than the rate."""

    def __init__(self, max_in_flight: int):
        self._max = max_in_flight
        self._next: dict[str, float] = {}
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._turns: dict[str, asyncio.Lock] = {}

    def pause(self, url: str, seconds: float) -> None:
        """Hold back every request to this host for a while (a 429 / 503 with Retry-After)."""
        host = urlsplit(url).netloc
        loop = asyncio.get_running_loop()
        self._next[host] = max(self._next.get(host, 0.0), loop.time() + seconds)

    @asynccontextmanager
    async def slot(self, url: str, rate: float) -> AsyncIterator[None]:
        host = urlsplit(url).netloc
        sem = self._slots.setdefault(host, asyncio.Semaphore(self._max))
        async with sem:
            loop = asyncio.get_running_loop()
            turn = self._turns.setdefault(host, asyncio.Lock())
            if not turn.locked() and self._next.get(host, 0.0) <= loop.time():  # free now: no one waits before us
                self._next[host] = loop.time() + 1.0 / rate
            else:
                async with turn:
                    if (wait := self._next.get(host, 0.0) - loop.time()) > 0:
                        await asyncio.sleep(wait)
                    self._next[host] = loop.time() + 1.0 / rate
            yield
