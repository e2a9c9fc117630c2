"""Plain HTTP under the address policy, without a detour: httpx whose every connection is checked.

httpcore opens each TCP connection through a network backend; this one resolves the host with the
AddressPolicy, refuses what the policy refuses, and connects to the very address it checked (TLS
still verifies the host name). Redirects are connections too, so every hop is checked. The
browser, which httpx cannot serve, goes through the egress proxy instead (auditor/crawl/egress.py).
"""

from __future__ import annotations

import asyncio

import httpcore
import httpx

from auditor.crawl.addresses import AddressPolicy
from auditor.crawl.routes import Access


class CheckedBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, policy: AddressPolicy):
        self.policy = policy
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                          socket_options=None) -> httpcore.AsyncNetworkStream:
        try:
            target = await asyncio.get_running_loop().run_in_executor(None, self.policy.resolve, host, port)  # or Refusal
        except LookupError as e:  # the name does not resolve: a connection error, as httpx would say it
            raise httpcore.ConnectError(str(e)) from None
        return await self._inner.connect_tcp(str(target), port, timeout, local_address, socket_options)

    async def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options=None):
        raise httpcore.ConnectError("unix sockets are not fetched")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def checked_client(policy: AddressPolicy, *, max_connections: int = 8, **kwargs) -> httpx.AsyncClient:
    """An httpx client whose connections pass the address policy (and that ignores proxy variables)."""
    limits = httpx.Limits(max_connections=max_connections)
    transport = httpx.AsyncHTTPTransport(limits=limits, trust_env=False)
    # httpx does not take a network backend; its pool is rebuilt with the same settings and ours.
    # tests/test_hostile.py fails loudly if an upgrade changes this.
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(), max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections, keepalive_expiry=limits.keepalive_expiry,
        network_backend=CheckedBackend(policy))
    return httpx.AsyncClient(transport=transport, trust_env=False, **kwargs)


class _RefusingInternal(httpx.AsyncBaseTransport):
    """A proxied transport that still refuses, before anything is sent, an internal address written out in a URL
    (each redirect hop included); names resolve at the proxy (auditor/crawl/proxies.py)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, policy: AddressPolicy):
        self.inner, self.policy = inner, policy

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.policy.check_literal(request.url.host, request.url.port or 0)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def proxied_client(proxy: str, policy: AddressPolicy, *, max_connections: int = 8, **kwargs) -> httpx.AsyncClient:
    """An httpx client whose every request goes through an upstream http:// proxy (a target's `proxy:`)."""
    transport = httpx.AsyncHTTPTransport(proxy=proxy, limits=httpx.Limits(max_connections=max_connections),
                                         trust_env=False)
    return httpx.AsyncClient(transport=_RefusingInternal(transport, policy), trust_env=False, **kwargs)


def _own_headers(access: Access):
    async def add(request: httpx.Request) -> None:
        for name, value in access.headers:
            request.headers.pop(name, None)
        request.headers.update(access.headers_for(str(request.url)))
    return add


class Clients:
    """The checked client, and one client per target Access (its upstream proxy, session cookies, headers), made when
    first asked for; `aclose` closes them all."""

    def __init__(self, policy: AddressPolicy, **kwargs):
        self.policy, self.kwargs = policy, kwargs
        self._made: dict[Access | None, httpx.AsyncClient] = {}

    def get(self, access: Access | None = None) -> httpx.AsyncClient:
        if access not in self._made:
            if access is None:
                self._made[access] = checked_client(self.policy, **self.kwargs)
            else:
                kwargs = {**self.kwargs, "headers": {**(self.kwargs.get("headers") or {}),
                                                     **({"Accept-Language": access.locale} if access.locale else {})}}
                if access.headers:  # each request, each hop of a redirect: only to the target's own origins
                    kwargs["event_hooks"] = {"request": [_own_headers(access)]}
                jar = httpx.Cookies()
                for c in access.cookies():
                    jar.set(c["name"], c["value"], domain=c.get("domain", ""), path=c.get("path", "/"))
                client = (proxied_client(access.proxy, self.policy, **kwargs) if access.proxy
                          else checked_client(self.policy, **kwargs))
                client.cookies = jar
                self._made[access] = client
        return self._made[access]

    async def aclose(self) -> None:
        for client in self._made.values():
            await client.aclose()
        self._made.clear()
