"""HTTP first, the browser where it is needed.

Pages of profiles that render on the server are fetched with httpx (10 to 40 times cheaper than a
browser tab); pages of profiles that need JavaScript go to the browser, which starts only when the
first such page (or the first evidence screenshot) needs it. When a page fetched over HTTP turns out
to need JavaScript (the profile says the page is a shell), that target moves to the browser for
the rest of the run.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Callable

from auditor.crawl.routes import Access, Routes

log = logging.getLogger(__name__)

MODES = ("auto", "http", "browser")


class AdaptiveFetcher:
    def __init__(self, http, make_browser: Callable[..., object], routes: Routes | None = None):
        self.http = http
        self._make_browser = make_browser  # make_browser(access) for a target with a proxy, session or headers
        self.routes = routes or Routes()
        self._browser = None
        self._proxied: dict[Access, object] = {}  # a target's Access -> its browser
        self._lock = asyncio.Lock()
        self.browser_targets: set[str] = set()  # targets moved to the browser during the run

    async def __aenter__(self) -> "AdaptiveFetcher":
        await self.http.__aenter__()
        return self

    async def __aexit__(self, *exc) -> None:
        try:
            for browser in [self._browser, *self._proxied.values()]:
                if browser is not None:
                    await browser.__aexit__(*exc)
        finally:
            await self.http.__aexit__(*exc)

    async def browser(self, target: str | None = None):
        access = self.routes.for_target(target)
        if access:
            async with self._lock:
                if access not in self._proxied:
                    browser = self._make_browser(access)
                    await browser.__aenter__()
                    self._proxied[access] = browser
                return self._proxied[access]
        async with self._lock:
            if self._browser is None:
                browser = self._make_browser()
                await browser.__aenter__()
                self._browser = browser
                log.info("browser started")
        return self._browser

    async def fetcher_for(self, target: str, mode: str, needs_browser: bool):
        if mode == "browser" or (mode == "auto" and (needs_browser or target in self.browser_targets)):
            return await self.browser(target)
        return self.http

    def move_to_browser(self, target: str) -> None:
        if target not in self.browser_targets:
            log.warning("target %s: its pages need JavaScript after all; using the browser for it from now on", target)
            self.browser_targets.add(target)

    async def snapshot(self, url: str, target: str | None = None, **kwargs):
        return await (await self.browser(target)).snapshot(url, **kwargs)
