"""Confining a page the browser captures as evidence: it stays where it was crawled, opens no window,
shows no dialog, and what it tried is noted for capture.json."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from auditor.crawl.egress import REFUSED_HEADER, EgressProxy

# Before any script of a page runs: dialogs throw instead of blocking (`while (true) alert(1)` ends at once).
NO_DIALOGS = """(() => {
  const refuse = () => { throw new Error('dialogs are disabled while auditor captures this page'); };
  for (const name of ['alert', 'confirm', 'prompt', 'print']) {
    try { Object.defineProperty(window, name, {value: refuse, writable: false, configurable: false}); } catch (e) {}
  }
})();"""


def origin_of(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    try:
        return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port
    except ValueError:
        return parts.scheme.lower(), "", None


def close_popup(popup) -> None:
    asyncio.get_running_loop().create_task(_quietly(popup.close()))


def dismiss(dialog) -> None:
    asyncio.get_running_loop().create_task(_quietly(dialog.dismiss()))


async def _quietly(coro) -> None:
    try:
        await asyncio.wait_for(coro, 5)
    except Exception:  # noqa: BLE001 - a window or dialog already gone
        pass


class Notes:
    """What a capture stopped or refused, for capture.json."""

    LIMIT = 50

    def __init__(self, egress: EgressProxy):
        self.egress = egress
        self.lines: list[str] = []

    def add(self, line: str) -> None:
        if len(self.lines) < self.LIMIT and line not in self.lines:
            self.lines.append(line)

    async def watch(self, page, url: str) -> None:
        origin = origin_of(url)

        async def confine(route, request) -> None:
            if request.is_navigation_request() and request.frame == page.main_frame and origin_of(request.url) != origin:
                self.add(f"stopped the page from navigating to {request.url[:300]}")
                await route.fulfill(status=204)  # "no content": the browser stays on the page, without an error page
            else:
                await route.fallback()

        def refused_response(response) -> None:
            if reason := response.headers.get(REFUSED_HEADER.lower()):
                self.add(f"refused {response.url[:300]}: {reason}")

        def refused_tunnel(request) -> None:
            if "ERR_TUNNEL_CONNECTION_FAILED" in (request.failure or "") and (r := self.egress.refusal_for(request.url)):
                self.add(f"refused {request.url[:300]}: {r.reason}")

        page.on("popup", lambda popup: self.add(f"closed a window the page opened ({popup.url[:300]})"))
        page.on("dialog", lambda dialog: self.add(f"dismissed a {dialog.type} dialog"))
        page.on("response", refused_response)
        page.on("requestfailed", refused_tunnel)
        await page.route("**/*", confine)
