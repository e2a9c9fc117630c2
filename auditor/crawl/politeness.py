"""Per-host politeness: a request rate and a cap on requests in flight."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from typing import AsyncIterator
from urllib.parse import urlsplit


class HostLimiter:
    """Spaces requests to one host at least 1/rate seconds apart, with at most max_in_flight at once."""

    def __init__(self, max_in_flight: int):
        self._max = max_in_flight
        self._next: dict[str, float] = {}
        self._slots: dict[str, asyncio.Semaphore] = {}

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
            now = loop.time()
            start = max(now, self._next.get(host, now))
            self._next[host] = start + 1.0 / rate
            if start > now:
                await asyncio.sleep(start - now)
            yield
