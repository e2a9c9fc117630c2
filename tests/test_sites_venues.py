"""The venues where AI-generated adult prints and images are sold, read from their real pages (Part 2 of
../shared/fixtures/real-pages), and the pages that hold nothing to read, which must say what they are.

Every expected value is one MANIFEST.md gives. Pages with adult titles are read in place and asserted by
their ids, prices, counts and labels: no adult title is copied here. Each page is read twice, through the
library and through `auditor parse` in a fresh process as staff run it, which must agree.
"""

from __future__ import annotations

import json
import subprocess
import sys
import unicodedata

import pytest
import yaml

from auditor.crawl.charset import decode_html
from auditor.sites import get_profile
from auditor.sites.saved import read_json

from conftest import SHARED

PAGES = SHARED / "fixtures" / "real-pages"
pytestmark = pytest.mark.skipif(not PAGES.is_dir(), reason=f"the saved real pages are not here ({PAGES})")


def cassette(name: str, tmp_path) -> tuple[str, str]:
    """A Mercari API answer kept as a VCR cassette: (the JSON body, the address it answered)."""
    recorded = yaml.safe_load((PAGES / "mercari" / "api" / name).read_text(encoding="utf-8"))["interactions"][0]
    return recorded["response"]["content"], recorded["request"]["uri"]


def read(site: str, page: str, via: str = "library", tmp_path=None) -> dict:
    if page.endswith(".yml"):
        body, url = cassette(page, tmp_path)
        if via == "library":
            return read_json(get_profile(site), body, url)
        path = tmp_path / page.replace(".yml", ".json")
        path.write_text(body, encoding="utf-8")
    else:
        path = PAGES / page
        if via == "library":
            return read_json(get_profile(site), decode_html(path.read_bytes()), path.resolve().as_uri())
    done = subprocess.run([sys.executable, "-m", "auditor", "parse", "--site", site, str(path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


VIA = pytest.mark.parametrize("via", ["library", "cli"])


# --- what a page is, before anything is read from it ---------------------------------------------------
@pytest.mark.parametrize("site, page, kind, says", [
    ("mercari", "mercari/search_unrendered_nintendo-switch.html", "unrendered", "not 0 results"),
    ("mercari", "mercari/item_shell_m73194523815.html", "unrendered", "not gone"),
    ("paypay_fleamarket", "paypay-fleamarket/item_deleted.html", "removed", "この商品は存在しません"),
    ("ebay", "ebay/botwall_pardon-our-interruption.html", "blocked", "Pardon Our Interruption"),
    ("mercari", "ebay/botwall_pardon-our-interruption.html", "blocked", "Pardon Our Interruption"),  # any venue's profile
])
def test_a_page_with_nothing_to_read_says_what_it_is(site, page, kind, says, tmp_path):
    for via in ("library", "cli"):
        got = read(site, page, via, tmp_path)
        assert got["kind"] == kind and says in got["reason"], (via, got)


def test_a_page_the_profile_cannot_place_fails_with_a_message_naming_it():
    path = PAGES / "booth" / "item_1149620.html"
    done = subprocess.run([sys.executable, "-m", "auditor", "parse", "--site", "surugaya", str(path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "item_1149620.html" in done.stderr and "surugaya" in done.stderr


# --- Mercari -------------------------------------------------------------------------------------------
@VIA
def test_mercari_rendered_search_reads_cells_and_shops_tiles_and_counts_the_skeletons(via, tmp_path):
    page = read("mercari", "mercari/search_rendered_nintendo-switch.html", via, tmp_path)
    assert page["kind"] == "search" and len(page["listings"]) == 15 and page["unrendered"] == 96
    first = page["listings"][0]
    assert (first["item_id"], first["title"], first["price"]) == ("m80460149215", "ホワイト キックスタンド 任天堂 Switch 交換用パーツ自立", "300")
    shops = [x for x in page["listings"] if "shop" in x["labels"]]
    assert len(shops) == 4 and "ZZd35tRKpm7CZFXgLCNfJK" in {x["item_id"] for x in shops}
    assert all(x["url"].startswith("https://jp.mercari.com/shops/product/") for x in shops)
    auctions = [x for x in page["listings"] if "auction" in x["labels"]]
    assert len(auctions) == 4 and "m31084101019" in {x["item_id"] for x in auctions}
    assert "page_token=v1%3A1" in page["next_url"]


@VIA
@pytest.mark.parametrize("page, item_id, price, seller, seller_name, pictures", [
    ("mercari/item_sold_m51411599843.html", "m51411599843", "5400", "870057835", "りっさん", 2),
    ("mercari/item_sold_m40062064121.html", "m40062064121", "1300", "611060435", "ajm", 3),
])
def test_mercari_sold_items_are_sold_with_their_seller_and_every_picture(via, page, item_id, price, seller,
                                                                          seller_name, pictures, tmp_path):
    x = read("mercari", page, via, tmp_path)["listing"]
    assert (x["item_id"], x["price"], x["currency"], x["status"]) == (item_id, price, "JPY", "sold")
    assert (x["seller_id"], x["seller_name"]) == (seller, seller_name)
    assert x["seller_url"] == f"https://jp.mercari.com/user/profile/{seller}"
    assert len(x["image_urls"]) == pictures and all(f"/photos/{item_id}_" in u for u in x["image_urls"])
    assert x["condition"] == "新品、未使用"


def test_mercari_sold_item_title_and_category():
    x = read("mercari", "mercari/item_sold_m51411599843.html")["listing"]
    assert x["title"] == "【未開封】Switch スーパーマリオパーティ ジャンボリー"
    assert x["category"] == "ゲーム・おもちゃ・グッズ > テレビゲーム > Nintendo Switch > ソフト(パッケージ版)"


@VIA
def test_mercari_shops_shop_lists_its_products_with_the_shop_as_seller(via, tmp_path):
    page = read("mercari", "mercari/shops_profile_qWxSdPm7.html", via, tmp_path)
    assert page["kind"] == "search" and len(page["listings"]) == 100
    first = page["listings"][0]
    assert (first["item_id"], first["price"]) == ("WWb4zqQiDM8kdEhEjrtQea", "1000")
    assert first["title"].startswith("1490 キャバクラ") and first["labels"] == ["shop"]
    assert {x["seller_name"] for x in page["listings"]} == {"ドレ買ショップ"}
    assert first["seller_url"] == "https://jp.mercari.com/shops/profile/qWxSdPm7yRZ56vy6jEx9mK"


@VIA
def test_mercari_api_search_answer(via, tmp_path):
    page = read("mercari", "search_sort_by_created_time_desc.yml", via, tmp_path)
    assert page["kind"] == "search" and page["total"] == 90 and len(page["listings"]) == 84
    first, second = page["listings"][:2]
    assert (first["item_id"], first["title"], first["price"], first["seller_id"], first["status"]) == (
        "m11517428736", "ヲタCrossLine Chronicle 1", "4500", "774692932", "sold")  # ITEM_STATUS_TRADING
    assert (second["item_id"], second["price"], second["status"]) == ("m19780592903", "4200", "sold")
    assert page["next_url"] is None  # the answer's nextPageToken is empty


@VIA
def test_mercari_api_item_answer_and_the_no_price_placeholder(via, tmp_path):
    x = read("mercari", "item.yml", via, tmp_path)["listing"]
    assert (x["item_id"], x["title"], x["price"], x["status"]) == ("m12871737078", "DJ Sharpnel / PPPH!", "8000", "sold")
    assert (x["seller_id"], x["seller_name"], len(x["image_urls"])) == ("485869194", "adieusos", 4)
    no_price = read("mercari", "search_no_price_item.yml", via, tmp_path)["listings"]
    assert [(y["item_id"], y["price"]) for y in no_price] == [("m92358406176", None)]  # 9999999 with isNoPrice


# --- Yahoo!フリマ -----------------------------------------------------------------------------------------
@VIA
@pytest.mark.parametrize("page, expected", [
    ("paypay-fleamarket/item_z659638164.html",
     dict(item_id="z659638164", title="三菱鉛筆 クルトガダイブ トワイライトオレンジ シャープペンシル", price="14240",
          status="active", pictures=1, hashtags=7, seller_id="p11888345", seller_name="Hiroshi Miura",
          condition="未使用", published_at="2026-08-10T21:00:28+09:00")),
    ("paypay-fleamarket/item_sold_z328124234.html",
     dict(item_id="z328124234", price="2950", status="sold", pictures=7, seller_id="p33318015",
          seller_name="ボブマール", end_time="2024-05-30T15:59:31+09:00")),
    ("paypay-fleamarket/item_z627929888.html",
     dict(item_id="z627929888", price="4600", status="active", pictures=3, hashtags=10, seller_id="p1667505",
          seller_name="ゆー")),
])
def test_yahoo_flea_market_item_pages_are_items_with_seller_hashtags_and_times(via, page, expected, tmp_path):
    got = read("paypay_fleamarket", page, via, tmp_path)
    assert got["kind"] == "item", got  # every item page also holds a searchState: never read as a search
    x = got["listing"]
    for key in ("item_id", "title", "price", "status", "seller_id", "seller_name", "condition", "published_at",
                "end_time"):
        if key in expected:
            assert x[key] == expected[key], key
    assert len(x["image_urls"]) == expected["pictures"]
    if "hashtags" in expected:
        assert len(x["tags"]) == expected["hashtags"]


def test_yahoo_flea_market_sold_item_keeps_its_title_and_hashtags():
    x = read("paypay_fleamarket", "paypay-fleamarket/item_sold_z328124234.html")["listing"]
    assert x["title"].startswith("ラッシュガード\u3000海\u3000水着\u30003点セット")
    assert x["tags"] == ["長袖", "ダイビング", "ウェットスーツ", "サーフィン"]


# --- BOOTH ---------------------------------------------------------------------------------------------
@VIA
def test_booth_tag_search_with_adult_include(via, tmp_path):
    page = read("booth", "booth/search_tag_adult-include.html", via, tmp_path)
    assert page["kind"] == "search" and len(page["listings"]) == 60 and page["total"] == 79
    first, second = page["listings"][:2]
    assert first["item_id"] == "8165985" and unicodedata.normalize("NFKC", first["title"]).strip(" *-¦") == "STELLA"
    assert (first["price"], first["seller_name"], first["seller_url"]) == ("100", "Ephemerefleur", "https://ephemerefleur.booth.pm/")
    assert first["category"] == "3D装飾品" and len(first["image_urls"]) == 4
    assert (second["item_id"], second["price"], second["seller_name"]) == ("8117736", "750", "しらふくのおみせ")  # ¥ 750~
    adult = {x["item_id"]: x["price"] for x in page["listings"] if "adult" in x["labels"]}
    assert len(adult) == 6 and adult["7954891"] == "800"
    assert "page=2" in page["next_url"] and "adult=include" in page["next_url"]


@VIA
def test_booth_item_out_of_stock_is_not_sold(via, tmp_path):
    x = read("booth", "booth/item_1149620.html", via, tmp_path)["listing"]
    assert (x["item_id"], x["title"], x["price"], x["currency"]) == ("1149620", "ドラマCD", "1500", "JPY")
    assert x["status"] == "active"  # BOOTH's OutOfStock is restockable
    assert (x["seller_name"], x["seller_url"]) == ("_", "https://ykmrc.booth.pm/")
    assert len(x["image_urls"]) == 2 and all("/i/1149620/" in u for u in x["image_urls"])
    assert x["description"].startswith("ゆきむら。初のドラマCD登場！") and "shop" in x["labels"]


# --- Rakuma --------------------------------------------------------------------------------------------
@VIA
def test_rakuma_shop_page_lists_the_sellers_listings(via, tmp_path):
    page = read("rakuma", "rakuma/shop_3c65d78b.html", via, tmp_path)
    assert page["kind"] == "search" and len(page["listings"]) == 36
    first, last = page["listings"][0], page["listings"][-1]
    assert (first["item_id"], first["url"]) == ("62a77fcc1bd29903e64b0073e928b89c",
                                                "https://item.fril.jp/62a77fcc1bd29903e64b0073e928b89c")
    assert (first["price"], first["seller_id"], first["seller_name"]) == ("25000", "23862212", "ドレ買")
    assert first["title"] == "2286 Ladivine ラディバイン キャバクラ ドレス ロングドレス"
    assert first["category"] == "レディース/フォーマル/ドレス/ナイトドレス"
    assert (last["item_id"], last["price"]) == ("84fa665af524ef949928493b6199ffe7", "1500")


# --- DLsite --------------------------------------------------------------------------------------------
@VIA
def test_dlsite_work_page(via, tmp_path):
    x = read("dlsite", "dlsite/work_RJ01465184.html", via, tmp_path)["listing"]
    assert x["item_id"] == "RJ01465184"
    assert x["title"] == "【がるまにカレシ】vol.1 明らか危ないお兄さん 化野くん～添い寝、耳かき、不法侵入～"
    assert (x["price"], x["seller_id"], x["seller_name"]) == ("880", "RG43942", "がるまにオリジナル(乙女)")
    assert x["published_at"] == "2025-09-24T00:00:00+09:00" and x["category"] == "ボイス・ASMR"
    assert len(x["tags"]) == 7 and len(x["image_urls"]) == 4 and x["labels"] == []  # 全年齢: not adult


@VIA
def test_dlsite_search_marks_the_works_without_the_all_ages_mark_adult(via, tmp_path):
    page = read("dlsite", "dlsite/search_girls_mimikaki.html", via, tmp_path)
    assert page["kind"] == "search" and len(page["listings"]) == 30
    first, second, third = page["listings"][:3]
    assert (first["item_id"], first["price"], first["seller_name"], first["labels"]) == (
        "RJ01465185", "880", "がるまにオリジナル(乙女)", [])
    assert (second["item_id"], second["price"], second["labels"]) == ("RJ01326070", "1650", ["adult"])
    assert third["item_id"] == "RJ01465184"
    assert "/page/2/" in page["next_url"]


# --- FANZA ---------------------------------------------------------------------------------------------
@VIA
def test_fanza_doujin_product_with_its_cdata_json_ld_and_both_prices(via, tmp_path):
    x = read("fanza", "fanza/doujin_d_203316.html", via, tmp_path)["listing"]
    assert (x["item_id"], x["seller_name"], x["seller_id"]) == ("d_203316", "ラブリテス", "78116")
    assert (x["price"], x["list_price"]) == ("616", "880")
    assert x["published_at"] == "2021-05-29T00:00:00+09:00" and "adult" in x["labels"]
    assert x["title"] and "【30％OFF】" not in x["title"]  # the campaign badge is not the title
    assert len(x["image_urls"]) == 7  # from the JSON-LD inside //<![CDATA[ ... //]]>


# --- FANBOX --------------------------------------------------------------------------------------------
@VIA
def test_fanbox_creator_posts_from_its_api(via, tmp_path):
    page = read("fanbox", "fanbox/posts_104409.json", via, tmp_path)
    assert page["kind"] == "search" and len(page["listings"]) == 10
    first = page["listings"][0]
    assert (first["item_id"], first["title"], first["price"]) == ("577968", "アビゲイル・ウィリアムズ", "100")
    assert (first["seller_id"], first["seller_name"]) == ("104409", "さより＠ネコぱらゲーム製作中")
    assert first["published_at"] == "2019-09-28T19:58:00+09:00" and first["labels"] == ["adult"]
    assert page["next_url"].startswith("https://fanbox.pixiv.net/api/post.listCreator?userId=104409")
    assert "maxId=333440" in page["next_url"]


def test_fanbox_old_format_list_is_read_too():
    posts = json.loads((PAGES / "fanbox" / "posts_104409.json").read_text(encoding="utf-8"))
    body = posts["body"]
    old = {"body": {"items": [dict(p, user=body["creator"]["user"]) for p in body["post"]["items"]],
                    "nextUrl": body["post"]["nextUrl"]}}
    page = read_json(get_profile("fanbox"), json.dumps(old), "https://api.fanbox.cc/post.listCreator?userId=104409")
    assert len(page["listings"]) == 10 and page["listings"][0]["seller_id"] == "104409"


# --- Suruga-ya -----------------------------------------------------------------------------------------
@VIA
def test_surugaya_search_sold_out_is_no_price_and_marketplace_offers_are_not_the_shops(via, tmp_path):
    page = read("surugaya", "surugaya/search_category1-7.html", via, tmp_path)
    assert page["kind"] == "search" and len(page["listings"]) == 24 and page["total"] == 6_304_399
    first = page["listings"][0]
    assert (first["item_id"], first["url"]) == ("G4404338", "https://www.suruga-ya.jp/product/detail/G4404338")
    assert first["title"] == "PP04 30/48[ノーマル]：クラシックドレスイエロー/調辺アコ"
    assert (first["price"], first["condition"], first["tags"]) == ("160", "中古", ["バンダイ"])
    assert first["published_at"] == "2015-11-12T00:00:00+09:00"
    assert first["image_urls"] == ["https://www.suruga-ya.jp/database/photo.php?shinaban=G4404338&size=m"]
    sold_out = [x for x in page["listings"] if x["status"] == "sold"]
    assert sold_out and all(x["price"] is None for x in sold_out)  # 品切れ, with マケプレ offers of ¥100 below it
    assert page["next_url"] == "https://www.suruga-ya.jp/search?category=&search_word=&category1=7&page=2"


# --- one seller on two venues -----------------------------------------------------------------------------
def test_the_rakuma_shop_and_the_mercari_shops_shop_are_one_seller_by_their_own_links():
    store = read("mercari", "mercari/shops_profile_qWxSdPm7.html")
    html = (PAGES / "mercari" / "shops_profile_qWxSdPm7.html").read_text(encoding="utf-8")
    assert "/user/profile/175075619" in html  # the Mercari Shops store links the seller's own Mercari account
    rakuma = read("rakuma", "rakuma/shop_3c65d78b.html")
    assert {x["seller_name"] for x in rakuma["listings"]} == {"ドレ買"}
    assert {x["seller_name"] for x in store["listings"]} == {"ドレ買ショップ"}


# profile -> (what its search_url asks, the saved page that shows the venue sorting so, what that page shows)
NEWEST_FIRST = {
    "booth": ("sort=new", "booth/search_tag_adult-include.html", "sort=new"),
    "paypay_fleamarket": ("sort=openTime&order=DESC", "paypay-fleamarket/search_yugioh-psa-shoki.html",
                          '"sort":"openTime","order":"DESC"'),
    "mercari": ("sort=created_time&order=desc", "mercari/api/search_sort_by_created_time_desc.yml",
                '"sort": "SORT_CREATED_TIME", "order":\n      "ORDER_DESC"'),
}


@pytest.mark.parametrize("name", sorted(NEWEST_FIRST))
def test_a_profile_that_searches_newest_first_asks_for_the_sort_its_venue_is_seen_using(name):
    """A `queries` search stops paging once the news runs out only where it really is sorted newest first: the
    profile's search URL carries the venue's own newest-first sort, as a saved page of that venue shows it in use
    (Mercari's web search: its sort/order parameters, as the saved search shows `sort=price&order=asc`)."""
    asks, saved, shown = NEWEST_FIRST[name]
    profile = get_profile(name)
    first, second = profile.search_url(profile.base_url, "AI美女 ポスター"), profile.search_url(profile.base_url, "x", 2)
    assert profile.newest_first and asks in first and asks in second
    assert shown in (PAGES / saved).read_text(encoding="utf-8")
    if name == "mercari":
        assert "sort=price&amp;order=asc" in (PAGES / "mercari/search_rendered_nintendo-switch.html").read_text("utf-8")
    others = [n for n in ("rakuma", "dlsite", "fanza", "fanbox", "surugaya", "ebay", "yahoo_auctions")
              if get_profile(n).newest_first]
    assert others == []  # no venue is said to sort newest first without a saved page that shows it


# --- the listing's block, which evidence screenshots alone beside the whole page ----------------------------
@pytest.mark.parametrize("site, page, has_block", [
    ("yahoo_auctions", "yahoo-auctions/item_s1238539612.html", True),
    ("yahoo_auctions", "yahoo-auctions/item_ended_n1235105710.html", True),
    ("mercari", "mercari/item_sold_m40062064121.html", True), ("mercari", "mercari/item_sold_m51411599843.html", True),
    ("mercari", "mercari/tw_item_81e2722f.html", False),  # Taiwan's pages have no stable block: the whole page
    ("paypay_fleamarket", "paypay-fleamarket/item_z627929888.html", True),
    ("paypay_fleamarket", "paypay-fleamarket/item_sold_z328124234.html", True),
    ("booth", "booth/item_1149620.html", True), ("dlsite", "dlsite/work_RJ01465184.html", True),
    ("fanza", "fanza/doujin_d_203316.html", True), ("ebay", "ebay/item_403760625150.html", True),
    ("buyee", "buyee/yahoo_item_l389909557.html", True), ("buyee", "buyee/mercari_item_m48967074463.html", True),
    ("buyee", "buyee/paypay_item_z654154608.html", False),
])
def test_the_listing_block_a_profile_names_holds_the_listings_title_and_price_on_its_saved_pages(site, page, has_block):
    """One element, smaller than the page, that shows what the listing is (its title and price, as the profile reads
    them): the crop a legal team reads first. Where a page has none, the capture keeps the whole page and says so."""
    import lxml.html

    profile = get_profile(site)
    html = decode_html((PAGES / page).read_bytes())
    listing = read(site, page)["listing"]
    found = lxml.html.fromstring(html).cssselect(profile.listing_block)
    assert bool(found) == has_block
    if has_block:
        text = unicodedata.normalize("NFKC", found[0].text_content())
        assert unicodedata.normalize("NFKC", listing["title"])[:12] in text
        assert str(listing["price"]).split(".")[0][-3:] in text.replace(",", "")
        assert len(lxml.html.tostring(found[0])) < len(html.encode("utf-8"))
