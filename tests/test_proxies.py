"""A target's upstream proxy carries every request of that target, on both paths; other targets go direct."""

from __future__ import annotations

import base64
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import json

import pytest
from urllib.parse import quote
from pathlib import Path

from auditor.config import Target
from auditor.demo import serve_demo
from auditor.ops.audit import start_audit
from auditor.run.pipeline import AuditOptions
from auditor.store import Store

_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class CountingProxy(ThreadingHTTPServer):
    """A forward proxy on 127.0.0.1 that relays absolute-URI GETs and records each one, with its credentials."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Relay)
        self.seen: list[str] = []
        self.auth: set[str | None] = set()

    @property
    def url(self) -> str:
        return f"http://tanaka:s%C3%A9cret@127.0.0.1:{self.server_address[1]}"


class _Relay(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802
        self.server.seen.append(self.path)
        self.server.auth.add(self.headers.get("Proxy-Authorization"))
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("proxy-authorization", "proxy-connection", "connection", "host")}
        try:
            with _DIRECT.open(urllib.request.Request(self.path, headers=headers), timeout=15) as r:
                status, body, ctype = r.status, r.read(), r.headers.get("Content-Type")
        except urllib.error.HTTPError as e:
            status, body, ctype = e.code, e.read(), e.headers.get("Content-Type")
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def proxy():
    server = CountingProxy()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


@pytest.mark.e2e
@pytest.mark.parametrize("path", ["http", "browser"])
def test_every_request_of_a_proxied_target_goes_through_its_proxy(config, small_catalog, proxy, path):
    config = config.model_copy(update={"evidence": config.evidence.model_copy(update={"enabled": False})})
    with serve_demo(small_catalog) as server:
        targets = [Target(name="auction", site="demo_auction", start_urls=[server.url + "/auction/search"],
                          fetch=path, images="all", proxy=proxy.url),
                   Target(name="flea", site="demo_fleamarket", start_urls=[server.url + "/flea/search"], images="none")]
        with Store(config.database) as store:
            summary = start_audit(config, store, AuditOptions(targets=targets))
            pictures = store.count("listing_images")
        direct = [p for p, _ in server.clients]
    assert summary.status == "completed", summary.failures
    through = [urlsplit(u).path + (f"?{urlsplit(u).query}" if urlsplit(u).query else "") for u in proxy.seen]
    pages = [p for p in through if p.startswith("/auction/")]
    assert len(pages) == summary.target_pages["auction"]  # every page the target read, through its proxy
    assert "/robots.txt" in through and len([p for p in through if p.startswith("/img/")]) >= pictures > 0
    assert not [p for p in through if p.startswith(("/flea/", "/api/"))]  # the other target went direct
    assert sorted(p for p in direct if p.startswith("/auction/")) == sorted(pages)  # none reached it any other way
    expected = "Basic " + base64.b64encode("tanaka:sécret".encode()).decode()
    assert proxy.auth == {expected}  # the credentials of the proxy URL, on every request
    kept = [p for p in [*Path(config.database).parent.glob("auditor.db*"), *Path(config.reports_dir).rglob("*")]
            if p.is_file()]
    assert kept and not [p for p in kept if any(secret in p.read_bytes() for secret in (
        "sécret".encode(), quote("sécret").encode(), "sécret".encode("latin-1")))]  # no password in the record


def test_the_egress_proxy_a_remote_browser_uses_asks_for_its_password():
    """With browser.endpoint, the egress proxy may listen on a network: without the per-process password it is
    no proxy for anyone (407), with it the page comes through, and the address policy still holds."""
    import base64
    import socket

    from auditor.crawl.addresses import AddressPolicy
    from auditor.crawl.egress import EgressProxy
    from auditor.demo import generate, serve_demo

    def ask(proxy_url: str, target: str, password: str | None) -> bytes:
        host, port = proxy_url.split("//")[1].split(":")
        auth = ("Proxy-Authorization: Basic " + base64.b64encode(f"auditor:{password}".encode()).decode() + "\r\n"
                if password else "")
        with socket.create_connection((host, int(port)), timeout=10) as s:
            s.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\n{auth}\r\n".encode())
            return s.recv(200)

    with serve_demo(generate(seed=1, size=10)) as server, \
            EgressProxy(AddressPolicy.allowing("127.0.0.1"), password="s3cret") as proxy:
        assert ask(proxy.url, server.url + "/robots.txt", None).startswith(b"HTTP/1.1 407 ")
        assert ask(proxy.url, server.url + "/robots.txt", "wrong").startswith(b"HTTP/1.1 407 ")
        assert ask(proxy.url, server.url + "/robots.txt", "s3cret").startswith(b"HTTP/1.1 200 ")
        assert b"403 auditor-refused" in ask(proxy.url, "http://127.0.0.2:9/", "s3cret")
    with EgressProxy(AddressPolicy(), listen="127.0.0.1", announce="worker-3.internal") as proxy:
        assert proxy.url.startswith("http://worker-3.internal:")  # what a browser on another machine is given


@pytest.mark.e2e
def test_the_egress_proxy_of_a_local_browser_is_no_open_proxy_for_other_local_processes():
    """The local Chromium's egress proxy listens on 127.0.0.1: another process of the machine asking through it,
    without the per-process password, gets 407 (it could otherwise reach the internal addresses the config
    allows); the browser itself reads pages through it."""
    import asyncio
    import socket

    from auditor.crawl import BrowserFetcher
    from auditor.demo import generate, serve_demo

    from conftest import LOCAL

    async def go(server):
        async with BrowserFetcher(concurrency=1, policy=LOCAL) as fetcher:
            host, port = fetcher.egress.url.split("//")[1].split(":")
            with socket.create_connection((host, int(port)), timeout=10) as s:
                s.sendall(f"GET {server.url}/robots.txt HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                refused = s.recv(200)
            page = await fetcher.fetch(server.url + "/auction/search", ready_selector=None, timeout=15)
            return refused, page

    with serve_demo(generate(seed=1, size=10)) as server:
        refused, page = asyncio.run(go(server))
    assert refused.startswith(b"HTTP/1.1 407 ")
    assert page.status == 200 and "Product" in page.html


def test_a_resumed_run_or_a_worker_takes_the_targets_secrets_from_its_own_config_never_the_database():
    from auditor.config import Config
    from auditor.run.plan import plan_of, targets_of_plan

    team = Target(name="jp", site="demo_auction", proxy="http://team:p%40ss@proxy.example:3128",
                  headers={"X-Partner-Token": "tok-123", "Cookie": "adult=t"})
    recorded = json.dumps(plan_of([team]))
    assert "p%40ss" not in recorded and "tok-123" not in recorded and "adult=t" not in recorded
    [again] = targets_of_plan(json.loads(recorded), Config(targets=[team]))
    assert again.proxy == team.proxy and again.headers == team.headers
    [gone] = targets_of_plan(json.loads(recorded), Config())  # the config no longer has it: no secret at all
    assert gone.proxy == "http://team@proxy.example:3128" and gone.headers == {}
