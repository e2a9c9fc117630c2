"""What the evidence browser received for a page, recorded as it arrived: each request and its response,
headers and body, for the capture's web archive (auditor.evidence.wacz).

Playwright hands over every response of the page; the bodies are read once the page has settled (a
redirect has none). Bounded: at most MAX_EXCHANGES exchanges and MAX_BYTES of bodies a page, the rest
noted; a body the browser no longer holds is kept as its headers, with a note.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

from auditor.models import Exchange

MAX_EXCHANGES = 400
MAX_BYTES = 60_000_000


class Recorder:
    def __init__(self, page):
        self.page = page
        self._responses: list[tuple[object, datetime]] = []
        self.notes: list[str] = []
        page.on("response", self._seen)

    def _seen(self, response) -> None:
        if len(self._responses) < MAX_EXCHANGES:
            self._responses.append((response, datetime.now(timezone.utc)))
        elif len(self._responses) == MAX_EXCHANGES:
            self.notes.append(f"the web archive keeps the first {MAX_EXCHANGES} responses of the page")

    async def collect(self, timeout: float) -> tuple[Exchange, ...]:
        """The exchanges, bodies read (within timeout seconds in all); the page stops being watched."""
        self.page.remove_listener("response", self._seen)
        spent, out = 0, []
        try:
            async with asyncio.timeout(timeout):
                for response, at in self._responses:
                    out.append(await self._exchange(response, at, spent))
                    spent += len(out[-1].body)
        except TimeoutError:
            self.notes.append(f"the web archive has {len(out)} of {len(self._responses)} responses: reading the "
                              f"bodies took over {timeout:g} s")
        return tuple(out)

    async def _exchange(self, response, at: datetime, spent: int) -> Exchange:
        from playwright.async_api import Error as PlaywrightError

        request = response.request
        body = b""
        if not 300 <= response.status < 400:
            try:
                body = await response.body() if spent < MAX_BYTES else b""
                if spent >= MAX_BYTES:
                    self.notes.append(f"{response.url[:200]}: kept without its body (over {MAX_BYTES:,} bytes a page)")
            except PlaywrightError:
                self.notes.append(f"{response.url[:200]}: kept without its body (the browser no longer held it)")
        try:
            sent = await request.all_headers()
            got = await response.headers_array()
        except PlaywrightError:
            sent, got = dict(request.headers), [{"name": k, "value": v} for k, v in response.headers.items()]
        return Exchange(request.method, response.url, tuple(sent.items()), response.status, response.status_text,
                        tuple((h["name"], h["value"]) for h in got), body, at)
