"""The demo site profiles read the demo marketplace's pages into the listings the catalogue holds."""

from decimal import Decimal

import httpx
import pytest

from auditor.errors import ParseError
from auditor.models import PageKind
from auditor.sites import PROFILES, get_profile
from auditor.errors import AuditorError


def get(server, path: str) -> str:
    r = httpx.get(server.url + path)
    r.raise_for_status()
    return r.text


def test_auction_search_pages_link_every_item_and_the_next_page(demo_server, small_catalog):
    profile = get_profile("demo_auction")
    url, seen = demo_server.url + "/auction/search", []
    while url:
        page = profile.parse_search(httpx.get(url).text, url)
        seen += page.item_urls
        url = page.next_url
    expected = [f"{demo_server.url}/auction/item/{x.item_id}" for x in small_catalog.section("auction")]
    assert seen == expected


def test_auction_item_page_reads_every_field(demo_server, small_catalog):
    x = next(x for x in small_catalog.section("auction") if x.buy_now and x.tags)
    url = f"{demo_server.url}/auction/item/{x.item_id}"
    listing = get_profile("demo_auction").parse_item(get(demo_server, f"/auction/item/{x.item_id}"), url)
    assert listing.site == "demo_auction"
    assert listing.item_id == x.item_id
    assert listing.title == x.title
    assert listing.description == x.description
    assert (listing.price, listing.currency, listing.buy_now_price) == (Decimal(x.price), "JPY", Decimal(x.buy_now))
    assert listing.bids == x.bids
    assert (listing.seller_id, listing.seller_name) == (x.seller.id, x.seller.name)
    assert listing.category == x.category
    assert listing.tags == x.tags
    assert len(listing.image_urls) == x.images
    assert listing.end_time == x.end_time
    assert listing.status == x.status


def test_the_venues_own_marks_are_read_as_labels_and_unknown_marks_dropped(demo_server, small_catalog):
    marked = [x for x in small_catalog.section("auction") if x.labels]
    assert marked, "the demo catalogue marks some listings R-18 / AI生成"
    for x in marked:
        url = f"{demo_server.url}/auction/item/{x.item_id}"
        assert get_profile("demo_auction").parse_item(get(demo_server, f"/auction/item/{x.item_id}"), url).labels == x.labels
    unmarked = next(x for x in small_catalog.section("auction") if not x.labels)
    page = get(demo_server, f"/auction/item/{unmarked.item_id}").replace(
        '<ul class="Badges">', '<ul class="Badges"><li data-label="adult">R-18</li><li data-label="&lt;b&gt;">?</li>'
                               '<li data-label="ai_generated">AI</li><li data-label="adult">R-18</li>')
    assert get_profile("demo_auction").parse_item(page, demo_server.url).labels == ("adult", "ai_generated")


def test_flea_pages_are_empty_shells_without_a_browser(demo_server, small_catalog):
    profile = get_profile("demo_fleamarket")
    assert profile.needs_browser
    with pytest.raises(ParseError, match="needs a browser"):
        profile.parse_search(get(demo_server, "/flea/search"), demo_server.url + "/flea/search")
    x = small_catalog.section("flea")[0]
    with pytest.raises(ParseError, match="needs a browser"):
        profile.parse_item(get(demo_server, f"/flea/item/{x.item_id}"), demo_server.url + f"/flea/item/{x.item_id}")


def test_broken_markup_is_a_parse_error_not_a_crash():
    with pytest.raises(ParseError, match="not an item page of demo_auction"):
        get_profile("demo_auction").parse_item("<html><body><div class='Product", "http://x/auction/item/1")
    with pytest.raises(ParseError, match="not a search page of demo_auction"):
        get_profile("demo_auction").parse_search("<html><body>oops</body></html>", "http://x/auction/search")


def test_page_kinds_and_search_urls():
    auction, flea = PROFILES["demo_auction"], PROFILES["demo_fleamarket"]
    assert auction.page_kind("http://h/auction/item/x1") is PageKind.ITEM
    assert auction.page_kind("http://h/auction/search?q=a") is PageKind.SEARCH
    assert flea.page_kind("http://h/flea/item/m1") is PageKind.ITEM
    assert auction.search_url("http://h/", "AI美女 ポスター") == "http://h/auction/search?q=AI%E7%BE%8E%E5%A5%B3%20%E3%83%9D%E3%82%B9%E3%82%BF%E3%83%BC&p=1&sort=new"  # newest first


def test_unknown_profile_names_the_known_ones():
    with pytest.raises(AuditorError, match=r"unknown site profile 'ebay_moon' \(known: booth, buyee, demo_auction, demo_fleamarket, dlsite, ebay, "):
        get_profile("ebay_moon")
