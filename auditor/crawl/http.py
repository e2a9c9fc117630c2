"""A plain HTTP fetcher (httpx): what a server-rendered page says without running its scripts."""

from __future__ import annotations

import httpx

from auditor.crawl.browser import FetchedPage
from auditor.errors import BadStatus, FetchTimeout, NetworkError


class HttpFetcher:
    def __init__(self, *, user_agent: str | None = None, max_connections: int = 8):
        headers = {"User-Agent": user_agent} if user_agent else {}
        self._client = httpx.AsyncClient(headers=headers, follow_redirects=True, max_redirects=5,
                                         limits=httpx.Limits(max_connections=max_connections))

    async def __aenter__(self) -> "HttpFetcher":
        return self

    async def __aexit__(self, *exc) -> None:
        await self._client.aclose()

    async def fetch(self, url: str, *, ready_selector: str | None, timeout: float) -> FetchedPage:
        try:
            r = await self._client.get(url, timeout=timeout)
        except httpx.TimeoutException:
            raise FetchTimeout(url, f"no complete page within {timeout:g} s") from None
        except httpx.HTTPError as e:
            raise NetworkError(url, f"{type(e).__name__}: {e}") from None
        if r.status_code >= 400:
            raise BadStatus(url, r.status_code)
        return FetchedPage(url, str(r.url), r.status_code, r.text)
