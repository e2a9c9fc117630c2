"""A plain HTTP fetcher (httpx): what a server-rendered page says without running its scripts.

Every connection, each hop of a redirect included, passes the address policy (auditor/crawl/checked.py).
Bodies are read as a stream and given up past `max_bytes`; redirects are capped; the text is decoded
from the declared charset, else UTF-8, else Shift_JIS / EUC-JP.
"""

from __future__ import annotations

import httpx

from auditor.crawl.addresses import AddressPolicy, Refusal
from auditor.crawl.browser import FetchedPage
from auditor.crawl.charset import decode_html
from auditor.crawl.checked import Clients
from auditor.crawl.routes import Routes
from auditor.errors import AddressRefused, FetchTimeout, NetworkError, PageTooLarge, TooManyRedirects

MAX_REDIRECTS = 5


class HttpFetcher:
    def __init__(self, *, user_agent: str | None = None, max_connections: int = 8, max_bytes: int = 10_000_000,
                 policy: AddressPolicy | None = None, routes: Routes | None = None):
        self._headers = {"User-Agent": user_agent} if user_agent else {}
        self._max_bytes = max_bytes
        self._max_connections = max_connections
        self.policy = policy or AddressPolicy()
        self.routes = routes or Routes()
        self._clients: Clients | None = None

    async def __aenter__(self) -> "HttpFetcher":
        self._clients = Clients(self.policy, max_connections=self._max_connections, headers=self._headers,
                                follow_redirects=True, max_redirects=MAX_REDIRECTS)
        self._clients.get()
        return self

    async def __aexit__(self, *exc) -> None:
        await self._clients.aclose()

    def client_for(self, url: str) -> httpx.AsyncClient:
        """The checked client, or the client of the target this URL belongs to (its proxy, session, headers)."""
        return self._clients.get(self.routes.for_url(url))

    conditional = True  # sends If-None-Match / If-Modified-Since when asked; a 304 comes back as it is

    async def fetch(self, url: str, *, ready_selector: str | None, timeout: float,
                    headers: dict[str, str] | None = None) -> FetchedPage:
        try:
            self.policy.check_url(url)
            async with self.client_for(url).stream("GET", url, timeout=timeout, headers=headers) as r:
                raw = r.headers.get("content-length") or "0"
                declared = int(raw) if raw.isdigit() else 0
                if declared > self._max_bytes:
                    raise PageTooLarge(url, f"the page is {declared:,} bytes, over the {self._max_bytes:,} byte cap")
                body = bytearray()
                async for chunk in r.aiter_bytes():
                    body += chunk
                    if len(body) > self._max_bytes:
                        raise PageTooLarge(url, f"the page is over the {self._max_bytes:,} byte cap")
        except Refusal as e:
            raise AddressRefused(url, str(e)) from None
        except httpx.UnsupportedProtocol:  # a redirect to file:, ftp:, ...
            raise AddressRefused(url, "redirected to an address that is not http or https") from None
        except httpx.TooManyRedirects:
            raise TooManyRedirects(url, f"more than {MAX_REDIRECTS} redirects (a redirect loop?)") from None
        except httpx.TimeoutException:
            raise FetchTimeout(url, f"no complete page within {timeout:g} s") from None
        except httpx.HTTPError as e:
            raise NetworkError(url, f"{type(e).__name__}: {e}") from None
        return FetchedPage(url, str(r.url), r.status_code, decode_html(bytes(body), r.charset_encoding),
                           r.headers.get("retry-after"), _validator(r.headers.get("etag")),
                           _validator(r.headers.get("last-modified")))


def _validator(value: str | None) -> str | None:
    """An ETag or Last-Modified worth sending back: short, printable ASCII (never a header of the venue's making)."""
    if value and len(value) <= 200 and value.isascii() and value.isprintable():
        return value
    return None
