"""DLsite (www.dlsite.com: maniax, girls, home, pro, books, …), the largest download shop of dōjin works.

Rendered on the server:
- a **search** (`/SITE/fsr/=/…`): `#search_result_img_box > li` with `data-list_item_product_id`; the
  circle (`.maker_name a`, maker_id RG…) is the seller; the current price (`.work_price_base`) and the
  list price (`.strike`) apart; a hidden `__product_attributes` value lists the work's codes, among them
  `adl` (18禁). DLsite marks the all-ages works (全年齢), not the adult ones: a work without the 全年齢
  mark, or with `adl`, is marked `adult`; a work in the AI生成 genre (or with the `aix`/`AIG` code) `ai_generated`;
- a **work** page (`/SITE/work/=/product_id/RJ….html`): `#work_name`, `.maker_name`, the price block,
  `#work_outline` (販売日 as the publish time, 年齢指定, 作品形式 as the category, ジャンル as tags), the
  main and sample pictures (`RJ…_img_main`, `_smp1…`). Its JSON-LD is only BreadcrumbList / WebSite.
- an **age gate**: DLsite asks adult-site visitors to confirm their age; the documented way through is
  its `adultchecked=1` cookie, set on the target: `headers: {Cookie: adultchecked=1}`.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

from auditor.errors import AgeGate, CrawlError, Removed
from auditor.models import Listing, PageKind, SearchPage
from auditor.sites.base import SiteProfile, next_link, text_of, visible_text
from auditor.sites.extract import meta, parse_money
from auditor.sites.tree import tree

_WORK = re.compile(r"/product_id/([A-Z]{2}\d{6,})")
_MAKER = re.compile(r"/maker_id/([A-Z]{2}\d+)")
_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
_AI_CODES = {"aix", "AIG", "AIP"}
JST = timezone(timedelta(hours=9))
AGE_COOKIE = "adultchecked=1"


def _price(node) -> tuple:
    return parse_money(text_of(node), "JPY") if node is not None else (None, "JPY")


def _labels(adult: bool, ai: bool) -> tuple[str, ...]:
    return tuple(x for x, on in (("adult", adult), ("ai_generated", ai)) if on)


class Dlsite(SiteProfile):
    name = "dlsite"
    listing_block = "#container"
    seller_page = r"^https?://www\.dlsite\.com/[a-z]+/circle/profile/=/maker_id/(?P<id>[A-Z]{2}\d+)"
    title = "DLsite (maniax, girls, home, pro, books, …)"
    base_url = "https://www.dlsite.com"
    domains = ("dlsite.com",)  # its hosts, and their subdomains: how a saved page names its venue
    page_kinds = ("search", "work", "age gate (headers: {Cookie: adultchecked=1})", "removed")
    labels = ("adult", "ai_generated")
    age_cookie = AGE_COOKIE

    def search_url(self, base_url: str, query: str, page: int = 1, category: str | None = None) -> str:
        section = category or "maniax"
        return f"{base_url.rstrip('/')}/{section}/fsr/=/keyword/{quote(query)}" + (f"/page/{page}" if page > 1 else "")

    def page_kind(self, url: str) -> PageKind:
        return PageKind.ITEM if "/work/=/product_id/" in url else PageKind.SEARCH

    def detect_kind(self, html: str, url: str) -> PageKind | None:
        if 'id="work_name"' in html:
            return PageKind.ITEM
        if 'id="search_result_img_box"' in html:
            return PageKind.SEARCH
        return None

    def page_state(self, html: str, url: str) -> CrawlError | None:
        state = super().page_state(html, url)
        if state is not None or 'id="work_name"' in html or 'id="search_result_img_box"' in html:
            return state
        shown = visible_text(html)
        if "年齢認証" in shown or "18歳以上" in shown and "はい" in shown:
            return AgeGate(url, f"DLsite asks for age confirmation; set the target's headers: {{Cookie: {AGE_COOKIE}}} "
                                "(DLsite's own confirmation) to let a reviewer through")
        if "お探しの作品は見つかりませんでした" in shown or "販売を終了" in shown or "ページが見つかりません" in shown:
            return Removed(url, "DLsite says the work is no longer sold or not found")
        return None

    def parse_search(self, html: str, url: str) -> SearchPage:
        if 'id="search_result_img_box"' not in html:
            raise self.not_a("search", url, "no works (#search_result_img_box > li)")
        doc = tree(html)
        listings: dict[str, Listing] = {}
        for li in doc.select("#search_result_img_box > li[data-list_item_product_id]"):
            work_id = li["data-list_item_product_id"]
            if work_id in listings:
                continue
            anchor = li.select_one(".work_name a[href]")
            maker = li.select_one(".maker_name a[href]")
            codes = set((li.select_one("input.__product_attributes") or {}).get("value", "").split(","))
            genres = [a.get_text(strip=True) for a in li.select(".work_genre a, .search_tag a")]
            sample = re.search(r"//img\.dlsite\.jp/[^'\"\s]+_img_main\.(?:jpg|png)", str(li))
            price = _price(li.select_one(".work_price_base"))
            listing_price = _price(li.select_one(".strike"))[0]
            maker_id = _MAKER.search(maker["href"]) if maker is not None else None
            listings[work_id] = Listing(
                site=self.name, item_id=work_id, url=anchor["href"] if anchor is not None else url,
                title=(anchor.get("title") or text_of(anchor)) if anchor is not None else "",
                price=price[0], currency=price[1] or "JPY", list_price=listing_price,
                seller_id=maker_id.group(1) if maker_id else None, seller_name=text_of(maker) or None,
                seller_url=maker["href"] if maker is not None else None,
                category=text_of(li.select_one(".work_category")) or None, tags=tuple(genres),
                image_urls=(f"https:{sample.group(0)}",) if sample else (),
                labels=_labels("adl" in codes or li.select_one(".icon_GEN") is None,
                               bool(codes & _AI_CODES) or "AI生成" in genres),
            )
        if not listings:
            raise self.not_a("search", url, "no works (#search_result_img_box > li)")
        found = tuple(listings.values())
        total = re.search(r"([\d,]+)\s*件中", text_of(doc.select_one(".page_total, .search_result_num, .result_number")))
        here = re.search(r"/page/(\d+)", url)
        following = doc.select_one(f"a[data-value='{int(here.group(1)) + 1 if here else 2}'][href]")
        return SearchPage(tuple(x.url for x in found), following["href"] if following is not None else next_link(
            doc, url, self.base_url), found, int(total.group(1).replace(",", "")) if total else None)

    def parse_item(self, html: str, url: str) -> Listing:
        if 'id="work_name"' not in html:
            raise self.not_a("item", url, "no #work_name")
        doc = tree(html)
        name = doc.select_one("#work_name")
        if name is None:
            raise self.not_a("item", url, "no #work_name")
        canonical = doc.select_one("link[rel=canonical][href]")
        home = canonical["href"] if canonical is not None else url
        m = _WORK.search(home) or _WORK.search(url)
        outline = {text_of(tr.select_one("th")): tr.select_one("td") for tr in doc.select("#work_outline tr")
                   if tr.select_one("th") is not None and tr.select_one("td") is not None}
        maker = doc.select_one(".maker_name a[href]")
        maker_id = _MAKER.search(maker["href"]) if maker is not None else None
        price = _price(doc.select_one(".work_buy_content .price, .work_buy_content"))
        official = re.search(r'data-official_price="(\d+)"', html)
        list_price = _price(doc.select_one(".work_buy_content .strike"))[0]
        if list_price is None and official and price[0] is not None and int(official.group(1)) != price[0]:
            list_price = parse_money(official.group(1))[0]
        released = _DATE.search(text_of(outline.get("販売日")))
        genres = [a.get_text(strip=True) for a in outline["ジャンル"].select("a")] if "ジャンル" in outline else []
        age = text_of(outline.get("年齢指定"))
        work_id = m.group(1) if m else url
        pictures = re.findall(rf"//img\.dlsite\.jp/modpub/images2/work/[a-z]+/[A-Z]{{2}}\d+/{work_id}_img_(?:main|smp\d+)\.(?:jpg|png)", html)
        return Listing(
            site=self.name, item_id=work_id, url=url if url.startswith("http") else home, title=text_of(name),
            description=meta(doc, "og:description") or text_of(doc.select_one("[itemprop=description]")),
            price=price[0], currency=price[1] or "JPY", list_price=list_price,
            seller_id=maker_id.group(1) if maker_id else None, seller_name=text_of(maker) or None,
            seller_url=maker["href"] if maker is not None else None,
            category=text_of(outline.get("作品形式")) or None, tags=tuple(genres),
            image_urls=tuple(dict.fromkeys(f"https:{p}" for p in pictures)),
            published_at=datetime(*map(int, released.groups()), tzinfo=JST) if released else None,
            labels=_labels(bool(age) and "全年齢" not in age, "AI生成" in genres or "AI生成" in age),
        )
