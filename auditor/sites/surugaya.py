"""Suruga-ya (駿河屋, www.suruga-ya.jp): search pages.

Rendered on the server: 24 `div.item` a page, each with its product (`/product/detail/CODE`), its title
(`h3.product-name`), the shop's own price (`.price_teika`: "中古：￥160 税込"), the maker (`.brand`) and release date.
A product the shop has sold out says 「品切れ」: it has no price (never a price of 0) and is `sold`; the
marketplace sellers' offers shown under it (マケプレ "以下からもご購入頂けます") are other sellers' prices, not
the shop's, and are not read as its price. The page's safe-search offer (セーフサーチを設定する) is left to the
target's own search address.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

from auditor.models import Listing, PageKind, SearchPage
from auditor.sites.base import SiteProfile, next_link, text_of, web_url
from auditor.sites.extract import meta, parse_money
from auditor.sites.tree import tree

_PRODUCT = re.compile(r"/product/(?:detail|other)/([A-Za-z0-9-]+)")
_HITS = re.compile(r"該当件数\s*[:：]\s*([\d,]+)件")
_RELEASED = re.compile(r"発売日[:：]\s*(\d{4})/(\d{1,2})/(\d{1,2})")
JST = timezone(timedelta(hours=9))


class Surugaya(SiteProfile):
    name = "surugaya"
    title = "Suruga-ya (駿河屋)"
    base_url = "https://www.suruga-ya.jp"
    domains = ("suruga-ya.jp",)  # its hosts, and their subdomains: how a saved page names its venue
    page_kinds = ("search",)

    def search_url(self, base_url: str, query: str, page: int = 1, category: str | None = None) -> str:
        url = f"{base_url.rstrip('/')}/search?category=&search_word={quote(query)}"
        return url + (f"&category1={quote(category)}" if category else "") + (f"&page={page}" if page > 1 else "")

    def page_kind(self, url: str) -> PageKind:
        return PageKind.ITEM if "/product/detail/" in url else PageKind.SEARCH

    def detect_kind(self, html: str, url: str) -> PageKind | None:
        return PageKind.SEARCH if 'class="item_detail"' in html else None

    def parse_search(self, html: str, url: str) -> SearchPage:
        if 'class="item_detail"' not in html:
            raise self.not_a("search", url, "no products (div.item with /product/detail/ links)")
        doc = tree(html)
        listings: dict[str, Listing] = {}
        for item in doc.select("div.item"):
            link = item.select_one(".title a[href], .thum a[href]")
            m = _PRODUCT.search(link["href"]) if link is not None else None
            if not m or m.group(1) in listings:
                continue
            price_box = item.select_one(".item_price")
            own = price_box.select_one(".price_teika, p.price") if price_box is not None else None
            shown = text_of(own)
            sold_out = "品切れ" in shown
            price = (None, "JPY") if sold_out or not shown else parse_money(shown, "JPY")
            released = _RELEASED.search(text_of(item.select_one(".release_date")))
            image = item.select_one(".thum img[src]")
            brand = text_of(item.select_one(".brand")).strip("[] ") or None
            listings[m.group(1)] = Listing(
                site=self.name, item_id=m.group(1), url=web_url(url, self.base_url, link["href"]),
                title=text_of(item.select_one("h3.product-name")) or text_of(link), price=price[0], currency="JPY",
                category=text_of(item.select_one("p.condition.background-kishu")) or None, tags=(brand,) if brand else (),
                image_urls=(web_url(url, self.base_url, image["src"]),) if image is not None else (),
                condition=shown.split("：")[0].strip() if "：" in shown else None,
                status="sold" if sold_out else "active",
                published_at=datetime(*map(int, released.groups()), tzinfo=JST) if released else None,
            )
        if not listings:
            raise self.not_a("search", url, "no products (div.item with /product/detail/ links)")
        found = tuple(listings.values())
        hits = _HITS.search(text_of(doc.select_one(".hit")))
        return SearchPage(tuple(x.url for x in found), next_link(doc, url, self.base_url), found,
                          int(hits.group(1).replace(",", "")) if hits else None)

    def parse_item(self, html: str, url: str) -> Listing:
        if "suruga-ya" not in html:
            raise self.not_a("item", url, "not a Suruga-ya page (no saved item page yet)")
        doc = tree(html)
        title = text_of(doc.select_one("h1#item_title, h1.h1_title_product, h1"))
        m = _PRODUCT.search(url) or _PRODUCT.search(meta(doc, "og:url") or "")
        if not title or not m:
            raise self.not_a("item", url, "no product title with a /product/detail/ code (no saved item page yet)")
        price = parse_money(text_of(doc.select_one(".price_group .text-price-detail, .price")), "JPY")
        return Listing(site=self.name, item_id=m.group(1), url=url, title=title, price=price[0], currency="JPY",
                       image_urls=tuple(u for u in [meta(doc, "og:image")] if u))
