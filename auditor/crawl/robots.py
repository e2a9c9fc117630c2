"""robots.txt, honoured per host and fetched once per run (protego parses it as Google does).

Following RFC 9309: a robots.txt that is missing (4xx) allows everything; one that cannot be
fetched (5xx, network error) disallows everything on that host for the run.
"""

from __future__ import annotations

import asyncio
from contextlib import nullcontext
import logging
from urllib.parse import urlsplit

import httpx
from protego import Protego

from auditor.crawl.addresses import AddressPolicy, Refusal
from auditor.crawl.checked import Clients
from auditor.crawl.routes import Routes
from auditor.errors import RobotsDisallowed

log = logging.getLogger(__name__)
MAX_BYTES = 500_000  # RFC 9309: parse at least 500 KiB


class RobotsCache:
    def __init__(self, user_agent: str, timeout: float = 15.0, policy: AddressPolicy | None = None,
                 routes: Routes | None = None):
        self.user_agent = user_agent
        self.policy = policy or AddressPolicy()  # robots.txt and its redirects pass the address policy too
        self.routes = routes or Routes()  # a target's upstream proxy carries its robots.txt too
        self.timeout = timeout
        self._rules: dict[str, Protego | None] = {}  # None: robots.txt unreachable, stay off the host
        self._locks: dict[str, asyncio.Lock] = {}
        self.pace = None  # url -> async context: robots.txt waits its turn like any page of the host (the crawl sets it)

    async def _load(self, origin: str) -> Protego | None:
        url = origin + "/robots.txt"
        try:
            clients = Clients(self.policy, headers={"User-Agent": self.user_agent}, follow_redirects=True,
                              max_redirects=5, timeout=self.timeout)
            try:
                client = clients.get(self.routes.for_url(url))  # made before its turn: it takes a moment (TLS context)
                async with self.pace(url) if self.pace else nullcontext():
                    r = await client.get(url)
            finally:
                await clients.aclose()
        except (httpx.HTTPError, Refusal) as e:
            log.warning("robots.txt of %s unreachable (%s): not crawling that host this run", origin, type(e).__name__)
            return None
        if r.status_code >= 500:
            log.warning("robots.txt of %s answered %d: not crawling that host this run", origin, r.status_code)
            return None
        if r.status_code >= 400:
            return Protego.parse("")
        return Protego.parse(r.content[:MAX_BYTES].decode("utf-8", errors="replace"))

    async def rules_for(self, url: str) -> Protego | None:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._rules:
            async with self._locks.setdefault(origin, asyncio.Lock()):
                if origin not in self._rules:
                    self._rules[origin] = await self._load(origin)
        return self._rules[origin]

    async def check(self, url: str) -> None:
        rules = await self.rules_for(url)
        if rules is None:
            raise RobotsDisallowed(url, "robots.txt could not be fetched: the host is left alone this run")
        if not rules.can_fetch(url, self.user_agent):
            raise RobotsDisallowed(url, "disallowed by robots.txt: not requested")

    async def crawl_delay(self, url: str) -> float | None:
        rules = await self.rules_for(url)
        return rules.crawl_delay(self.user_agent) if rules is not None else None
