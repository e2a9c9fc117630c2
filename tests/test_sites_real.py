"""Site profiles on real pages that real marketplaces served (../shared/fixtures/real-pages).

Every expected value below is one the fixtures' MANIFEST.md gives. Each page is read twice: through
the library and through `auditor parse`, which must print the same thing.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner

from auditor.cli import cli
from auditor.crawl.charset import decode_html
from auditor.errors import ParseError
from auditor.sites import PROFILES, get_profile
from auditor.sites.saved import PAGE_STATES, as_json, parse_page

from conftest import SHARED

PAGES = SHARED / "fixtures" / "real-pages"
pytestmark = pytest.mark.skipif(not PAGES.is_dir(), reason=f"the saved real pages are not here ({PAGES})")
JST = timezone(timedelta(hours=9))


def read(site: str, page: str, via: str) -> dict:
    path = PAGES / page
    if via == "library":
        return as_json(parse_page(get_profile(site), decode_html(path.read_bytes()), path.resolve().as_uri()))
    result = CliRunner().invoke(cli, ["parse", "--site", site, str(path)])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


VIA = pytest.mark.parametrize("via", ["library", "cli"])


# --- Yahoo! Auctions ---------------------------------------------------------------------------------
@VIA
def test_yahoo_search_cards_with_both_prices_no_promoted_repeats(via):
    page = read("yahoo_auctions", "yahoo-auctions/search_yugioh-psa-shoki.html", via)
    first, second = page["listings"][:2]
    assert (first["item_id"], first["title"]) == ("s1238539612", "ARS10 遊戯王 はにわ 初期 Vol.1 PSA10相当")
    assert (first["price"], first["buy_now_price"], first["currency"], first["bids"]) == ("3440", "30000", "JPY", 11)
    assert first["end_time"] == datetime.fromtimestamp(1785679082, JST).isoformat()
    assert (second["item_id"], second["price"], second["buy_now_price"]) == ("m1238496717", "20305", None)
    assert len(page["listings"]) == len({x["item_id"] for x in page["listings"]}) == 50  # 53 cards, 3 promoted repeats
    assert page["total"] == 142
    assert page["item_urls"][0] == "https://auctions.yahoo.co.jp/jp/auction/s1238539612"
    assert "b=51" in page["next_url"]


@VIA
def test_yahoo_open_item_from_next_data(via):
    x = read("yahoo_auctions", "yahoo-auctions/item_s1238539612.html", via)["listing"]
    assert (x["item_id"], x["title"]) == ("s1238539612", "ARS10 遊戯王 はにわ 初期 Vol.1 PSA10相当")
    assert (x["price"], x["buy_now_price"], x["start_price"], x["bids"], x["currency"]) == ("3440", "30000", "1", 11, "JPY")
    assert x["end_time"] == "2026-08-02T22:58:02+09:00"
    assert (x["seller_name"], x["seller_id"]) == ("まるお", "13unCMsQyTixBUEkMisEyFbiSjw9t")
    assert len(x["image_urls"]) == 7 and x["status"] == "active"
    assert x["category"] == "オークション > おもちゃ、ゲーム > ゲーム > トレーディングカードゲーム > 遊戯王（コナミ） > シングルカード"
    assert x["description"].startswith("ご覧頂き有難うございます。")


@VIA
def test_yahoo_ended_item_is_sold_with_its_full_title(via):
    x = read("yahoo_auctions", "yahoo-auctions/item_ended_n1235105710.html", via)["listing"]
    assert x["item_id"] == "n1235105710"
    assert x["title"] == "【ARS10】魔法の筒 Magic Cylinder ウルトラ 鑑定書付 遊戯王 ARS鑑定10 PSA 芸術品"  # not the cut <title>
    assert (x["price"], x["bids"], x["buy_now_price"], x["status"]) == ("6350", 15, None, "sold")
    assert x["end_time"] == "2026-07-01T22:53:03+09:00" and x["seller_name"] == "Natural Cards"


@VIA
def test_yahoo_sold_listings_search_from_next_data_with_flea_market_items_apart(via):
    page = read("yahoo_auctions", "yahoo-auctions/closedsearch_yugioh-psa-shoki.html", via)
    first, second = page["listings"][:2]
    assert page["total"] == 833 and len(page["listings"]) == 50
    assert first["item_id"] == "l1238412091"
    assert first["title"] == ("遊戯王 マジシャン・オブ・ブラックカオス 初期 ウルトラレア PSA8 鑑定品 東京ドーム大会　"
                              "コレクション祭開催中　他多数出品中")
    assert (first["price"], first["bids"], first["end_time"], first["status"]) == ("20000", 23, "2026-08-01T22:17:22+09:00", "sold")
    assert (second["item_id"], second["site"]) == ("z646400662", "paypay_fleamarket")
    assert sum(x["site"] == "paypay_fleamarket" for x in page["listings"]) == 25
    assert len(page["item_urls"]) == 25  # only Yahoo! Auctions items are followed from here


@VIA
def test_yahoo_seller_page_lists_the_sellers_items_under_their_name(via):
    page = read("yahoo_auctions", "yahoo-auctions/seller_53dyMh3X.html", via)
    first = page["listings"][0]
    assert page["total"] == 5 and len(page["listings"]) == 5
    assert first["item_id"] == "e1239514318"
    assert first["title"] == "【ARS10】超竜バジュラ 旧枠 デュエルマスターズ DM-08 S4\\S5 スーパーレア 極美品 ARS鑑定"
    assert (first["price"], first["buy_now_price"], first["bids"]) == ("81000", "298000", 4)
    assert {x["seller_name"] for x in page["listings"]} == {"セプト"}


@VIA
def test_yahoo_2021_server_rendered_item(via):
    x = read("yahoo_auctions", "yahoo-auctions/item_ended_2021_trimmed.html", via)["listing"]
    assert x["title"] == "安心な整備済品！ 性能、構造上新品同様に使える！ルンバ iRo..."
    assert (x["price"], x["currency"]) == ("34840", "JPY")  # not the tax-inclusive 38,324 in the child span
    assert x["end_time"] == "2021-08-28T23:29:00+09:00"
    assert x["seller_name"] == "vendor001" and len(x["image_urls"]) == 10 and x["status"] in ("sold", "ended")


# --- PayPay Flea Market ------------------------------------------------------------------------------
@VIA
def test_paypay_search_from_next_data_with_hashtags(via):
    page = read("paypay_fleamarket", "paypay-fleamarket/search_yugioh-psa-shoki.html", via)
    items = page["listings"]
    assert page["total"] == 531 and len(items) == 100
    assert (sum(x["status"] == "active" for x in items), sum(x["status"] == "sold" for x in items)) == (47, 53)
    assert (items[0]["item_id"], items[0]["price"], items[0]["status"]) == ("z637920454", "3900", "active")
    assert items[0]["title"] == "大高騰中！コレクション入替　大特価♪ 遊戯王 高橋和希先生 書き下ろし サイン入②"
    assert (items[1]["item_id"], items[1]["price"], items[1]["tags"][0]) == ("z652989618", "550", "まとめて")


# --- Buyee -------------------------------------------------------------------------------------------
@VIA
def test_buyee_yahoo_item(via):
    x = read("buyee", "buyee/yahoo_item_r219564858.html", via)["listing"]
    assert x["title"] == "★超大判 縦長 セル画★ ポケットモンスター ピカチュウ セル画 ポケモン"
    assert (x["item_id"], x["price"], x["currency"], x["bids"]) == ("r219564858", "98000", "JPY", 0)
    assert x["end_time"] == "2018-07-19T23:33:56+09:00" and x["seller_name"] == "hu_7700"


@VIA
def test_buyee_yahoo_buy_now_only_item(via):
    x = read("buyee", "buyee/yahoo_item_l389909557.html", via)["listing"]
    assert x["title"] == "入手困難！■ポケモン ポケットモンスター カスミ ニョロモ トゲピー■大判 セル画 動画 原画 背景画■"
    assert (x["buy_now_price"], x["seller_name"]) == ("248000", "sekimikiki")


@VIA
def test_buyee_yahoo_search(via):
    page = read("buyee", "buyee/yahoo_search_pokemon_cat2084005356.html", via)
    first, second = page["listings"][:2]
    assert len(page["listings"]) == 9
    assert (first["item_id"], first["price"], first["currency"], first["seller_name"]) == ("l389909557", "248000", "JPY", "sekimikiki")
    assert (second["item_id"], second["price"]) == ("p607628719", "200000")


@VIA
def test_buyee_mercari_search_and_item(via):
    page = read("buyee", "buyee/mercari_search_yugioh-psa.html", via)
    first, second = page["listings"][:2]
    assert len(page["listings"]) == 96
    assert (first["item_id"], first["title"], first["price"]) == ("m44188672659", "【PSA10】【ワンピースカード】ミホーク　コミパラ", "219999")
    assert (second["item_id"], second["price"]) == ("m78086267905", "2200000")
    assert first["image_urls"][0].startswith("https://static.mercdn.net/")  # the lazy-loaded picture, not the spinner
    x = read("buyee", "buyee/mercari_item_m48967074463.html", via)["listing"]
    assert (x["title"], x["price"], x["currency"]) == ("【大人気/ARS9】ブラックマジシャンガール 初期 ウルトラ P4-01", "8299", "JPY")
    assert x["seller_id"] == "707214741"
    assert x["image_urls"] == ["https://static.mercdn.net/item/detail/orig/photos/m48967074463_1.jpg?1785389454"]


@VIA
def test_buyee_paypay_search_and_sold_item(via):
    page = read("buyee", "buyee/paypay_search_yugioh-psa.html", via)
    first, second = page["listings"][:2]
    assert len(page["listings"]) == 40
    assert (first["item_id"], first["price"]) == ("z654766192", "69800")
    assert first["title"] == "遊戯王 PSA10 アマゾネスの鎖使い UR [WJ-02] 週刊少年ジャンプ 2001年 35号 付録 GE MT"
    assert (second["item_id"], second["title"], second["price"]) == ("z654763518", "【PSA10】幽鬼うさぎ スタンプ", "14800")
    x = read("buyee", "buyee/paypay_item_z654154608.html", via)["listing"]
    assert x["title"] == "メガリザードンXex MA 223/193 PSA10 MEGAドリームex M2a Mega Charizard Pokemon"
    assert (x["price"], x["status"], x["item_id"]) == ("17000", "sold", "z654154608")


# --- Mercari -----------------------------------------------------------------------------------------
@VIA
def test_mercari_taiwan_item_from_the_app_router_page(via):
    x = read("mercari", "mercari/tw_item_81e2722f.html", via)["listing"]
    assert x["title"] == "【超稀少/蝕刻錯版】昆蟲女王 蝕刻 DL4【PSA3】"
    assert (x["price"], x["currency"]) == ("5751", "TWD")
    assert (x["seller_id"], x["seller_name"]) == ("707214741", "グレード9以下まとめ買い5%オフ｜スラリ")
    assert "jp_item:m51843705628" in x["tags"] and x["image_urls"]


# --- eBay --------------------------------------------------------------------------------------------
@VIA
def test_ebay_item_with_its_auction_price(via):
    x = read("ebay", "ebay/item_403760625150.html", via)["listing"]
    assert x["title"] == "Puma RS-Dreamer J. Cole Basketball Shoes Red 193990-16 Men's Size 10.0"
    assert (x["price"], x["currency"], x["bids"]) == ("0.01", "USD", 1)
    assert x["end_time"] == "2022-07-14T09:38:27-07:00"
    assert x["seller_id"] == "itzm-43" and x["item_id"] == "403760625150"
    assert x["image_urls"] == ["https://i.ebayimg.com/images/g/4ggAAOSwpk1ioTWz/s-l500.jpg"]


@VIA
def test_ebay_search_2022_markup_price_ranges_read_low(via):
    page = read("ebay", "ebay/search_red-basketball-shoes.html", via)
    first, second = page["listings"][:2]
    assert (first["item_id"], first["title"], first["price"]) == ("175065123030", "Reebok Answer IV Men's Basketball Shoes", "100.00")
    assert (second["item_id"], second["price"], second["currency"]) == ("265672133690", "119.90", "USD")
    assert second["title"] == "Air Jordan Stay Loyal Shoes Black Red White DB2884-001 Men's Multi Size NEW"
    assert page["total"] == 45000


@VIA
def test_ebay_search_2026_markup_without_placeholders_or_hidden_text(via):
    page = read("ebay", "ebay/search_rtx-3080.html", via)
    first, second = page["listings"][:2]
    assert first["item_id"] == "237017908881"
    assert first["title"] == "ASUS RTX 3080 10GB GDDR6X RTX3080-10G-ICE-V2 NO HEATSINK/COOLER GRAPHICS CARD"
    assert (first["price"], first["seller_id"]) == ("249.87", "cf3r")
    assert (second["item_id"], second["price"]) == ("358924239207", "250.00")
    assert page["total"] == 1800
    titles = [x["title"] for x in page["listings"]]
    assert not [t for t in titles if "Shop on eBay" in t or "New Listing" in t or "Opens in a new window" in t]


# --- every profile on every page ----------------------------------------------------------------------
ALL_PAGES = sorted(str(p.relative_to(PAGES)) for pattern in ("*/*.html", "*/*.json")
                   for p in PAGES.glob(pattern)) if PAGES.is_dir() else []
OWN = {"yahoo_auctions": ("yahoo-auctions/",), "paypay_fleamarket": ("paypay-fleamarket/",), "buyee": ("buyee/",),
       "mercari": ("mercari/",), "ebay": ("ebay/",), "booth": ("booth/",), "rakuma": ("rakuma/",),
       "dlsite": ("dlsite/",), "fanza": ("fanza/",), "fanbox": ("fanbox/",), "surugaya": ("surugaya/",)}


@pytest.mark.parametrize("site", sorted(set(PROFILES) - {"demo_auction", "demo_fleamarket"}))
def test_no_profile_raises_on_any_saved_page(site):
    """Every profile on every saved page gives listings, a page state (removed, blocked, unrendered, age gate)
    or a clear "not a ... page of SITE": never a traceback; and each venue's own pages are all placed."""
    profile = get_profile(site)
    outcomes = {}
    for page in ALL_PAGES:
        path = PAGES / page
        try:
            outcomes[page] = type(profile.parse(decode_html(path.read_bytes()), path.resolve().as_uri())).__name__
        except PAGE_STATES as e:
            outcomes[page] = e.kind
        except ParseError as e:  # a clear "not a ... page of SITE", never a traceback
            assert site in e.detail, e.detail
            outcomes[page] = "not its page"
    assert len(outcomes) == len(ALL_PAGES) > 0
    own = {k: v for k, v in outcomes.items() if k.startswith(OWN.get(site, ("-",)))}
    assert all(v != "not its page" for v in own.values()), own


def test_parse_names_the_site_and_kind_when_a_page_is_not_its_own():
    result = CliRunner().invoke(cli, ["parse", "--site", "ebay", str(PAGES / "amazon/item_B073WRF565.html")])
    assert result.exit_code == 2
    assert "neither a search nor an item page of ebay" in result.output and "Traceback" not in result.output


def test_search_urls_carry_the_query_and_category():
    yahoo = get_profile("yahoo_auctions")
    assert yahoo.search_url(yahoo.base_url, "AI美女 ポスター", 2, "2084005356") == (
        "https://auctions.yahoo.co.jp/search/search?p=AI%E7%BE%8E%E5%A5%B3%20%E3%83%9D%E3%82%B9%E3%82%BF%E3%83%BC"
        "&b=51&n=50&auccat=2084005356")
    assert get_profile("ebay").search_url("https://www.ebay.com", "ai poster").startswith(
        "https://www.ebay.com/sch/i.html?_nkw=ai%20poster")


def test_legacy_japanese_encodings_are_decoded():
    text = "<html><head><meta charset='Shift_JIS'></head><body>AI美女 ポスター</body></html>"
    assert "AI美女 ポスター" in decode_html(text.encode("shift_jis"))
    assert "AI美女 ポスター" in decode_html(text.replace("Shift_JIS", "x").encode("euc_jp"))  # no usable charset


def test_parse_without_a_site_reads_each_saved_page_with_its_own_venues_profile():
    from auditor.sites import guess_profile

    for page in ALL_PAGES:
        own = next((site for site, prefixes in OWN.items() if page.startswith(prefixes)), None)
        path = PAGES / page
        guessed = guess_profile(decode_html(path.read_bytes()), path.resolve().as_uri())
        assert (guessed[0].name if guessed else None) == own, page  # amazon, etsy, marktplaats: no profile of ours
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "auditor", "parse", str(PAGES / "rakuma/shop_3c65d78b.html")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "read with the rakuma profile: its address 'https://fril.jp/shop/" in done.stderr
    assert json.loads(done.stdout)["kind"] == "search"
    unknown = subprocess.run([sys.executable, "-m", "auditor", "parse", str(PAGES / "amazon/item_B073WRF565.html")],
                             capture_output=True, text=True, timeout=120)
    assert unknown.returncode == 2 and "names no venue auditor knows; give --site" in unknown.stdout + unknown.stderr
