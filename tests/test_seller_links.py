"""Sellers linked by what the venues show: a shop naming its owner's account elsewhere, a description pointing
at the seller's shop on another venue. Each link joins the two accounts in the seller network, and says how."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from auditor.crawl.charset import decode_html
from auditor.images.networks import seller_networks
from auditor.models import Listing
from auditor.sites import PROFILES, get_profile, linked_sellers

from conftest import SHARED

T0 = datetime(2026, 11, 24, 21, 0, tzinfo=timezone.utc)
PAGES = SHARED / "fixtures" / "real-pages"


def listing(item_id: str, description: str = "", seller: str = "s1", site: str = "demo_auction", **kw) -> Listing:
    return Listing(site, item_id, f"http://h/{item_id}", f"ポスター {item_id}", description=description,
                   price=Decimal(3000), currency="JPY", seller_id=seller, seller_name=f"name of {seller}", **kw)


@pytest.mark.parametrize("url, seller", [
    ("https://jp.mercari.com/user/profile/175075619?utm_source=ios", ("mercari", "175075619")),
    ("https://jp.mercari.com/shops/profile/qWxSdPm7yRZ56vy6jEx9mK", ("mercari", "shop:qWxSdPm7yRZ56vy6jEx9mK")),
    ("https://aigallery.booth.pm/items/123", ("booth", "aigallery")),
    ("https://www.dlsite.com/maniax/circle/profile/=/maker_id/RG43942.html", ("dlsite", "RG43942")),
    ("https://www.dmm.co.jp/dc/doujin/-/list/=/article=maker/id=78116/", ("fanza", "78116")),
    ("https://auctions.yahoo.co.jp/seller/13unCMsQ", ("yahoo_auctions", "13unCMsQ")),
    ("https://paypayfleamarket.yahoo.co.jp/user/p1667505", ("paypay_fleamarket", "p1667505")),
    ("https://www.pixiv.net/fanbox/creator/104409", ("fanbox", "104409")),
    ("https://www.ebay.com/usr/some.seller", ("ebay", "some.seller")),
])
def test_each_venue_reads_its_own_seller_pages_and_no_other(url, seller):
    claimed = {(name, p.seller_in_url(url)) for name, p in PROFILES.items() if p.seller_in_url(url)}
    assert claimed == {seller}


def test_a_description_that_names_the_sellers_shop_elsewhere_links_the_two(store):
    x = listing("x1", "BOOTHでも販売中→https://aigallery.booth.pm/items/123（通販）。メルカリ: https://jp.mercari.com/user/profile/99")
    assert {(s, i) for s, i, _ in linked_sellers(x)} == {("booth", "aigallery"), ("mercari", "99")}
    not_sellers = listing("x2", "https://booth.pm/ja/items/1 https://www.booth.pm/ javascript:alert(1) "
                                "https://evil.example/user/profile/1 https://jp.mercari.com.evil.example/user/profile/2",
                          seller="s2")
    assert linked_sellers(not_sellers) == set()
    assert linked_sellers(listing("x3", "https://h/auction/seller/s1", seller="s1")) == set()  # itself: no link
    run = store.start_run(T0, ["t"], [])
    for y in (x, not_sellers):
        store.record_listing(run, "t", y, [], T0, linked=linked_sellers(y))
    [net] = seller_networks(store)
    assert net.sellers == {("demo_auction", "s1"), ("booth", "aigallery"), ("mercari", "99")}
    assert net.how == {"shop links"} and net.listings == {("demo_auction", "x1")}
    assert net.names[("booth", "aigallery")] == "aigallery"  # known only from the link: its id stands for its name


@pytest.mark.skipif(not PAGES.is_dir(), reason=f"the saved real pages are not here ({PAGES})")
def test_the_saved_mercari_shops_shop_links_its_owners_mercari_account(store):
    page = PAGES / "mercari" / "shops_profile_qWxSdPm7.html"
    shop = get_profile("mercari").parse(decode_html(page.read_bytes()), "https://jp.mercari.com/shops/profile/qWxSdPm7yRZ56vy6jEx9mK")
    card = shop.listings[0]
    assert card.seller_id == "shop:qWxSdPm7yRZ56vy6jEx9mK"
    assert {(s, i) for s, i, _ in linked_sellers(card)} == {("mercari", "175075619")}  # the shop's description says so
    run = store.start_run(T0, ["t"], [])
    store.record_listing(run, "t", card, [], T0, source="card", linked=linked_sellers(card))
    store.record_listing(run, "t", listing("m1", seller="175075619", site="mercari"), [], T0)
    [net] = seller_networks(store)
    assert net.sellers == {("mercari", "shop:qWxSdPm7yRZ56vy6jEx9mK"), ("mercari", "175075619")}
    assert net.names[("mercari", "175075619")] == "name of 175075619"
