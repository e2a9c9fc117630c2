"""FANZA (www.dmm.co.jp, DMM's adult store): 同人 (dōjin) product pages.

Everything FANZA sells is for adults, so every listing is marked `adult`. A 同人 product page
(`/dc/doujin/-/detail/=/cid=d_…/`) gives its cid, its JSON-LD Product (name, pictures) written inside
`//<![CDATA[ … //]]>` (read by extract.json_ld), the circle (`.circleName__txt`, maker id) as the seller, the
campaign price (`.priceList__main`) and the circle's own price (サークル設定価格) apart, 配信開始日 as the publish
time, and the campaign badge (【30％OFF】), which is not part of the title. FANZA shows an age gate
(「年齢認証」) to visitors without its `age_check_done=1` cookie: set it on the target,
`headers: {Cookie: age_check_done=1}`.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

from auditor.errors import AgeGate, CrawlError, Removed
from auditor.models import Listing, PageKind, SearchPage
from auditor.sites.base import SiteProfile, text_of, visible_text, web_url
from auditor.sites.extract import ld_first, meta, parse_money
from auditor.sites.tree import tree

_CID = re.compile(r"cid=([a-z_0-9]+)")
_MAKER = re.compile(r"article=maker/id=(\d+)")
_DATE = re.compile(r"(\d{4})/(\d{2})/(\d{2})(?:\s+(\d{2}):(\d{2}))?")
JST = timezone(timedelta(hours=9))
AGE_COOKIE = "age_check_done=1"


class Fanza(SiteProfile):
    name = "fanza"
    listing_block = ".l-areaMainColumn"
    seller_page = r"^https?://www\.dmm\.co\.jp/dc/doujin/-/list/=/article=maker/id=(?P<id>\d+)"
    title = "FANZA (DMM) 同人"
    base_url = "https://www.dmm.co.jp"
    domains = ("dmm.co.jp",)  # its hosts, and their subdomains: how a saved page names its venue
    page_kinds = ("同人 product", "age gate (headers: {Cookie: age_check_done=1})", "removed")
    labels = ("adult", "ai_generated")
    age_cookie = AGE_COOKIE

    def search_url(self, base_url: str, query: str, page: int = 1, category: str | None = None) -> str:
        return f"{base_url.rstrip('/')}/dc/doujin/-/search/=/searchstr={quote(query)}/" + (f"page={page}/" if page > 1 else "")

    def page_kind(self, url: str) -> PageKind:
        return PageKind.ITEM if "/detail/=/cid=" in url else PageKind.SEARCH

    def detect_kind(self, html: str, url: str) -> PageKind | None:
        return PageKind.ITEM if "productTitle__txt" in html else None

    def page_state(self, html: str, url: str) -> CrawlError | None:
        state = super().page_state(html, url)
        if state is not None or "productTitle__txt" in html:
            return state
        shown = visible_text(html)
        if "年齢認証" in shown and ("18歳" in shown or "成人" in shown):
            return AgeGate(url, f"FANZA asks for age confirmation; set the target's headers: {{Cookie: {AGE_COOKIE}}} "
                                "(FANZA's own confirmation) to let a reviewer through")
        if "お探しの商品が見つかりません" in shown or "販売終了" in shown:
            return Removed(url, "FANZA says the product is no longer sold")
        return None

    def parse_search(self, html: str, url: str) -> SearchPage:
        raise self.not_a("search", url, "FANZA search pages are not read yet (no saved page); give product pages")

    def parse_item(self, html: str, url: str) -> Listing:
        if "productTitle__txt" not in html:
            raise self.not_a("item", url, "no product title (.productTitle__txt)")
        doc = tree(html)
        title_node = doc.select_one("h1.productTitle__headline, .productTitle__txt")
        if title_node is None:
            raise self.not_a("item", url, "no product title (.productTitle__txt)")
        product = (ld_first(html, "Product") or {})
        canonical = doc.select_one("link[rel=canonical][href]")
        home = canonical["href"] if canonical is not None else url
        cid = _CID.search(home) or _CID.search(url)
        badge = text_of(title_node.select_one(".productTitle__txt--campaign"))
        title = product.get("name") or text_of(title_node).replace(badge, "", 1).strip()
        circle = doc.select_one("a.circleName__txt[href]")
        maker = _MAKER.search(circle["href"]) if circle is not None else None
        price = parse_money(text_of(doc.select_one(".priceList__main")), "JPY")
        own = re.search(r"サークル設定価格\s*([\d,]+)\s*円", text_of(doc.select_one("[class*=priceList]")) or html)
        info = {text_of(dl.select_one("dt")): text_of(dl.select_one("dd")) for dl in doc.select("dl.informationList")}
        started = _DATE.search(info.get("配信開始日", ""))
        images = product.get("image")
        genres = [text_of(a) for a in doc.select(".genreTagList__txt, a.genreTag__txt")]
        return Listing(
            site=self.name, item_id=cid.group(1) if cid else url, url=url if url.startswith("http") else home,
            title=title, description=meta(doc, "og:description") or text_of(doc.select_one(".summary__txt")),
            price=price[0], currency="JPY",
            list_price=parse_money(own.group(1))[0] if own else None,
            seller_id=maker.group(1) if maker else None, seller_name=text_of(circle) or None,
            seller_url=web_url(url, self.base_url, circle["href"]) if circle is not None else None,
            tags=tuple(g for g in genres if g),
            image_urls=tuple(images if isinstance(images, list) else [images] if isinstance(images, str) else []),
            published_at=datetime(*(int(x or 0) for x in started.groups()), tzinfo=JST) if started else None,
            labels=("adult", "ai_generated") if "AI生成" in genres else ("adult",),
        )
