"""The adaptive crawl: plain HTTP for the server-rendered section, the browser for the JavaScript one."""

from __future__ import annotations

import asyncio

import pytest

from auditor.config import Target
from conftest import LOCAL
from auditor.crawl import BrowserFetcher, CrawlJob, CrawlPolicy, crawl
from auditor.crawl.adaptive import AdaptiveFetcher
from auditor.crawl.http import HttpFetcher
from auditor.models import ListingFound
from auditor.ops.audit import start_audit
from auditor.run.pipeline import AuditOptions
from auditor.sites import get_profile
from auditor.sites.demo_fleamarket import DemoFleamarket
from auditor.store import Store

pytestmark = pytest.mark.e2e


def test_the_default_audit_reads_auctions_over_http_and_the_flea_market_in_the_browser(config, demo_server, small_catalog):
    targets = [Target(name="auction", site="demo_auction", start_urls=[demo_server.url + "/auction/search"]),
               Target(name="flea", site="demo_fleamarket", start_urls=[demo_server.url + "/flea/search"])]
    config = config.model_copy(update={"evidence": config.evidence.model_copy(update={"enabled": False})})
    with Store(config.database) as store:
        summary = start_audit(config, store, AuditOptions(targets=targets))
    assert summary.listings_seen == len(small_catalog.listings)
    who = {}
    for path, client in demo_server.clients:
        who.setdefault(path.split("?")[0].rsplit("/", 1)[0], set()).add(client)
    assert who["/auction/item"] == {"http"} and who["/auction"] == {"http"}  # search and items, never the browser
    assert who["/flea/item"] == {"browser"} and who["/api/flea/items"] == {"browser"}


def test_http_and_the_browser_read_identical_listings_where_both_can(demo_server):
    job = CrawlJob("auction", get_profile("demo_auction"), (demo_server.url + "/auction/search",), 1000, 500)
    policy = CrawlPolicy(retries=0, page_timeout=10)

    async def run(fetcher):
        async with fetcher:
            return {e.listing.item_id: e.listing for e in [e async for e in crawl([job], fetcher, policy)]
                    if isinstance(e, ListingFound)}

    over_http = asyncio.run(run(HttpFetcher(policy=LOCAL)))
    in_browser = asyncio.run(run(BrowserFetcher(concurrency=4, policy=LOCAL)))
    assert over_http and over_http == in_browser  # every field of every listing


class ServerRenderedByMistake(DemoFleamarket):
    """A profile that believes its pages render on the server, which they do not."""

    needs_browser = False


def test_a_page_that_needs_javascript_after_all_moves_its_target_to_the_browser(demo_server, small_catalog):
    job = CrawlJob("flea", ServerRenderedByMistake(), (demo_server.url + "/flea/search",), 1000, 500)
    fetcher = AdaptiveFetcher(HttpFetcher(policy=LOCAL), lambda: BrowserFetcher(concurrency=4, policy=LOCAL))

    async def run():
        async with fetcher:
            return [e async for e in crawl([job], fetcher, CrawlPolicy(retries=0, page_timeout=10))]

    events = asyncio.run(run())
    found = {e.listing.item_id for e in events if isinstance(e, ListingFound)}
    assert found == {x.item_id for x in small_catalog.section("flea")}  # nothing lost to the wrong guess
    assert fetcher.browser_targets == {"flea"}
    assert ("/flea/search", "http") in demo_server.clients  # tried over HTTP first, once
    assert sum(1 for p, c in demo_server.clients if p == "/flea/search") == 2
