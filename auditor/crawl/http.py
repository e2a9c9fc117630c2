"""A plain HTTP fetcher (httpx): what a server-rendered page says without running its scripts.

Every request goes out through the egress proxy, which enforces the address policy on each
hop of a redirect. Bodies are read as a stream and given up past `max_bytes`; redirects are
capped; the text is decoded from the declared charset, else UTF-8, else Shift_JIS / EUC-JP.
"""

from __future__ import annotations

import httpx

from auditor.crawl.addresses import AddressPolicy, Refusal
from auditor.crawl.browser import FetchedPage
from auditor.crawl.charset import decode_html
from auditor.crawl.egress import REFUSED_HEADER, EgressProxy
from auditor.errors import AddressRefused, FetchTimeout, NetworkError, PageTooLarge, TooManyRedirects

MAX_REDIRECTS = 5


def refusal_of(error: httpx.HTTPError | None = None, response: httpx.Response | None = None) -> str | None:
    """The address policy's reason, when the egress proxy refused the request (or a redirect of it)."""
    if response is not None:
        return response.headers.get(REFUSED_HEADER)
    text = str(error)
    return text.split("auditor-refused: ", 1)[1] if isinstance(error, httpx.ProxyError) and "auditor-refused: " in text else None


class HttpFetcher:
    def __init__(self, *, user_agent: str | None = None, max_connections: int = 8, max_bytes: int = 10_000_000,
                 policy: AddressPolicy | None = None):
        self._headers = {"User-Agent": user_agent} if user_agent else {}
        self._max_bytes = max_bytes
        self._max_connections = max_connections
        self.egress = EgressProxy(policy or AddressPolicy())
        self._client: httpx.AsyncClient | None = None

    @property
    def proxy_url(self) -> str:
        return self.egress.url

    async def __aenter__(self) -> "HttpFetcher":
        self.egress.__enter__()
        self._client = httpx.AsyncClient(headers=self._headers, follow_redirects=True, max_redirects=MAX_REDIRECTS,
                                         limits=httpx.Limits(max_connections=self._max_connections),
                                         proxy=self.egress.url, trust_env=False)
        return self

    async def __aexit__(self, *exc) -> None:
        try:
            await self._client.aclose()
        finally:
            self.egress.__exit__(*exc)

    async def fetch(self, url: str, *, ready_selector: str | None, timeout: float) -> FetchedPage:
        try:
            self.egress.policy.check_url(url)
            async with self._client.stream("GET", url, timeout=timeout) as r:
                if reason := refusal_of(response=r):
                    raise AddressRefused(str(r.url), reason)
                declared = int(r.headers.get("content-length") or 0)
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
            if reason := refusal_of(e):
                raise AddressRefused(url, reason) from None
            raise NetworkError(url, f"{type(e).__name__}: {e}") from None
        return FetchedPage(url, str(r.url), r.status_code, decode_html(bytes(body), r.charset_encoding),
                           r.headers.get("retry-after"))
