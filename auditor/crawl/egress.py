"""The one way out: a small forward proxy on 127.0.0.1 that every request of a run goes through.

Chromium and httpx are pointed at it. It resolves each host itself, checks the address against
the AddressPolicy, and connects to that very address, so a redirect, a script's fetch, an image
or a DNS answer that changes between check and connection cannot reach an internal host
(Playwright's request routing sees neither redirects nor WebSockets; a proxy sees everything).

HTTPS and WebSockets come as CONNECT tunnels; plain HTTP as absolute-URI requests, answered
one per connection. With an `upstream` proxy (a target's `proxy:`), every connection goes on
through it instead: a CONNECT tunnel through the upstream for HTTPS, an absolute-URI request to
it for plain HTTP (auditor/crawl/proxies.py says what is then checked where). A refused request gets `403` with the reason in the status line and in an
`X-Auditor-Refused` header, and is remembered in `refusals`.
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import logging
import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urlsplit

from auditor.crawl.addresses import AddressPolicy, Refusal
from auditor.crawl.routes import basic_auth, shown

log = logging.getLogger(__name__)

REFUSED_HEADER = "X-Auditor-Refused"
MAX_HEAD = 64 * 1024
CONNECT_TIMEOUT = 15.0
_DROP = {b"proxy-connection", b"proxy-authorization", b"connection", b"keep-alive"}


@dataclass(frozen=True)
class RefusedRequest:
    at: datetime
    host: str
    port: int
    reason: str


class EgressProxy:
    """Start with `with EgressProxy(policy) as proxy:`; `proxy.url` is what clients are given."""

    def __init__(self, policy: AddressPolicy, upstream: str | None = None, *, listen: str = "127.0.0.1",
                 announce: str | None = None, password: str | None = None):
        self.policy = policy
        self.upstream = upstream
        self.listen = listen  # where it accepts connections: a browser server on another machine must reach it
        self.announce = announce or listen  # the address that browser server is given
        self.password = password  # with one, a client must give it (user "auditor"): no open proxy on a network
        self.refusals: deque[RefusedRequest] = deque(maxlen=1000)
        self.url = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> "EgressProxy":
        started = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            try:
                self._server = loop.run_until_complete(
                    asyncio.start_server(self._handle, self.listen, 0, limit=MAX_HEAD))
            except BaseException as e:  # noqa: BLE001 - handed to the caller
                failure.append(e)
                started.set()
                return
            self.url = f"http://{self.announce}:{self._server.sockets[0].getsockname()[1]}"
            started.set()
            loop.run_forever()
            self._server.close()
            loop.run_until_complete(self._server.wait_closed())
            if tasks := asyncio.all_tasks(loop):
                for task in tasks:
                    task.cancel()
                loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            loop.close()

        self._thread = threading.Thread(target=run, name="egress-proxy", daemon=True)
        self._thread.start()
        started.wait()
        if failure:
            raise failure[0]
        return self

    def __exit__(self, *exc) -> None:
        if self._loop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def refusal_for(self, url: str) -> RefusedRequest | None:
        """The latest refusal of the URL's host, if there was one."""
        host = (urlsplit(url).hostname or "").lower()
        return next((r for r in reversed(self.refusals) if r.host == host), None)

    async def _refuse(self, writer: asyncio.StreamWriter, host: str, port: int, reason: str) -> None:
        self.refusals.append(RefusedRequest(datetime.now(timezone.utc), host.lower(), port, reason))
        log.info("refused by the address policy: %s:%d (%s)", host, port, reason)
        ascii_reason = reason.encode("ascii", "replace").decode().replace("\r", " ").replace("\n", " ")
        body = f"auditor-refused: {reason}\n".encode()
        writer.write(f"HTTP/1.1 403 auditor-refused: {ascii_reason}\r\n{REFUSED_HEADER}: {ascii_reason}\r\n"
                     f"Content-Type: text/plain; charset=utf-8\r\nContent-Length: {len(body)}\r\n"
                     "Connection: close\r\n\r\n".encode() + body)
        await _close(writer)

    async def _open(self, host: str, port: int):
        if self.upstream:
            self.policy.check_literal(host, port)
            parts = urlsplit(self.upstream)
            return await asyncio.wait_for(asyncio.open_connection(parts.hostname, parts.port or 80, limit=MAX_HEAD),
                                          CONNECT_TIMEOUT)
        target = await asyncio.get_running_loop().run_in_executor(None, self.policy.resolve, host, port)
        return await asyncio.wait_for(asyncio.open_connection(str(target), port, limit=MAX_HEAD), CONNECT_TIMEOUT)

    async def _tunnel(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, port: int) -> bool:
        """Ask the upstream proxy for a tunnel to host:port; whether it gave one."""
        auth = basic_auth(self.upstream or "")
        writer.write(f"CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n".encode("latin-1")
                     + (f"Proxy-Authorization: {auth}\r\n".encode() if auth else b"") + b"\r\n")
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), CONNECT_TIMEOUT)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, asyncio.TimeoutError):
            return False
        return head.split(b" ", 2)[1:2] == [b"200"]

    def _authorised(self, block: bytes) -> bool:
        expected = "Basic " + base64.b64encode(f"auditor:{self.password}".encode()).decode()
        for raw in block.split(b"\r\n"):
            name, _, value = raw.partition(b":")
            if name.strip().lower() == b"proxy-authorization":
                return hmac.compare_digest(value.strip().decode("latin-1"), expected)
        return False

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self._serve(reader, writer)
        except Exception:  # noqa: BLE001 - one broken connection must not disturb the others
            log.debug("egress connection failed", exc_info=True)
            await _close(writer)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            await _close(writer)
            return
        line, _, rest = head.partition(b"\r\n")
        try:
            method, target, version = line.decode("latin-1").split(" ")
        except ValueError:
            await _close(writer)
            return
        if self.password and not self._authorised(rest):
            writer.write(b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"auditor\"\r\n"
                         b"Content-Length: 0\r\nConnection: close\r\n\r\n")
            await _close(writer)
            return
        if method == "CONNECT":
            host, _, port_text = target.rpartition(":")
            host, port = host.strip("[]"), int(port_text) if port_text.isdigit() else 443
        else:
            try:
                host, port = self.policy.check_url(target)
            except Refusal as e:
                await self._refuse(writer, urlsplit(target).hostname or target[:100], 0, str(e))
                return
        try:
            up_reader, up_writer = await self._open(host, port)
        except Refusal as e:
            await self._refuse(writer, host, port, str(e))
            return
        except (OSError, LookupError, asyncio.TimeoutError) as e:
            writer.write("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode())
            log.debug("egress to %s:%d failed: %s", host, port, e)
            await _close(writer)
            return
        if method == "CONNECT" and self.upstream and not await self._tunnel(up_reader, up_writer, host, port):
            writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            log.warning("the upstream proxy %s gave no tunnel to %s:%d", shown(self.upstream), host, port)
            await _close(up_writer)
            await _close(writer)
            return
        if method == "CONNECT":
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        else:
            parts = urlsplit(target)
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            auth = basic_auth(self.upstream) if self.upstream else None
            line = f"{method} {target if self.upstream else path} {version}\r\n".encode("latin-1")
            up_writer.write(line + _headers(rest) + (f"Proxy-Authorization: {auth}\r\n".encode() if auth else b"")
                            + b"Connection: close\r\n\r\n")
            try:
                response = await up_reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                await _close(up_writer)
                await _close(writer)
                return
            status, _, response_rest = response.partition(b"\r\n")
            writer.write(status + b"\r\n" + _headers(response_rest) + b"Connection: close\r\n\r\n")
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer), return_exceptions=True)


def _headers(block: bytes) -> bytes:
    """Header lines without the hop-by-hop ones (the proxy answers one request per connection)."""
    out = []
    for raw in block.split(b"\r\n"):
        if raw and raw.split(b":", 1)[0].strip().lower() not in _DROP:
            out.append(raw + b"\r\n")
    return b"".join(out)


async def _pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
    try:
        while chunk := await src.read(65536):
            dst.write(chunk)
            await dst.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        await _close(dst)


async def _close(writer: asyncio.StreamWriter) -> None:
    try:
        writer.close()
        await writer.wait_closed()
    except (ConnectionError, OSError):
        pass
