"""Rakuma (ラクマ, fril.jp), Rakuten's flea market.

Proven on a saved **shop page** (fril.jp/shop/…: a seller's listings): `div.item[data-test=item]` cells
whose links carry Rakuten's analytics attributes, `data-rat-itemid` = "seller user id / numeric item id",
`data-rat-price` = "[25000]", `data-rat-item_name`, `data-rat-igenrenamepath` = the category path; the
listing's own id is the hash in its address (item.fril.jp/HASH); the shop (JSON-LD Store) is the seller.
**Search and item pages** are read by the same cell markup and by JSON-LD Product where it holds: no saved
page of either was available, so those readers are unproven (`auditor sites` says so).
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote, urlsplit

from auditor.errors import CrawlError, Removed
from auditor.models import Listing, PageKind, SearchPage
from auditor.sites.base import SiteProfile, next_link, text_of, visible_text, web_url
from auditor.sites.extract import json_ld, ld_first, ld_types, meta, parse_money, to_decimal
from auditor.sites.tree import tree

_ITEM = re.compile(r"item\.fril\.jp/([0-9a-f]{16,})")
_SHOP = re.compile(r"fril\.jp/shop/([0-9a-f]+)")
_GONE = ("この商品は削除されました", "ページが見つかりません", "お探しの商品は存在しません")


def _first(raw: str | None):
    """data-rat-price="[25000]" -> 25000."""
    try:
        value = json.loads(raw) if raw else None
    except ValueError:
        return raw
    return value[0] if isinstance(value, list) and value else value


class Rakuma(SiteProfile):
    name = "rakuma"
    title = "Rakuma (ラクマ, fril.jp)"
    base_url = "https://fril.jp"
    domains = ("fril.jp",)  # its hosts, and their subdomains: how a saved page names its venue
    page_kinds = ("shop (a seller's listings)", "search (same cells; no saved page: unproven)",
                  "item (JSON-LD; no saved page: unproven)", "removed")

    def search_url(self, base_url: str, query: str, page: int = 1, category: str | None = None) -> str:
        return f"{base_url.rstrip('/')}/s?query={quote(query)}" + (f"&page={page}" if page > 1 else "")

    def page_kind(self, url: str) -> PageKind:
        return PageKind.ITEM if _ITEM.search(url) else PageKind.SEARCH

    def detect_kind(self, html: str, url: str) -> PageKind | None:
        if 'data-test="item"' in html:
            return PageKind.SEARCH
        if any("Product" in ld_types(o) for o in json_ld(html)):
            return PageKind.ITEM
        return None

    def page_state(self, html: str, url: str) -> CrawlError | None:
        state = super().page_state(html, url)
        if state is not None or 'data-test="item"' in html:
            return state
        gone = next((w for w in _GONE if w in visible_text(html)), None)
        return Removed(url, f"Rakuma says 「{gone}」") if gone else None

    def parse_search(self, html: str, url: str) -> SearchPage:
        if 'data-test="item"' not in html:
            raise self.not_a("search", url, "no item cells (div.item[data-test=item])")
        doc = tree(html)
        store = (ld_first(html, "Store") or {})
        canonical = doc.select_one("link[rel=canonical][href]")
        shop_url = canonical["href"].split("?")[0] if canonical is not None and _SHOP.search(canonical["href"]) else None
        listings: dict[str, Listing] = {}
        for cell in doc.select("div.item[data-test=item]"):
            link = cell.select_one("a[data-rat-itemid][href]")
            if link is None:
                continue
            m = _ITEM.search(link["href"])
            if not m or m.group(1) in listings:
                continue
            seller_id, _, _numeric = (link.get("data-rat-itemid") or "").partition("/")
            image = cell.select_one("img[data-original], noscript img[src]")
            price = _first(link.get("data-rat-price"))
            sold = cell.select_one(".item-box__soldout_ribbon, .soldout, [class*=sold]") is not None
            listings[m.group(1)] = Listing(
                site=self.name, item_id=m.group(1), url=link["href"],
                title=link.get("data-rat-item_name") or text_of(cell.select_one(".item-box__item-name")),
                price=to_decimal(price) if price is not None else parse_money(text_of(cell.select_one(".item-box__item-price")), "JPY")[0],
                currency="JPY", seller_id=seller_id or None, seller_name=store.get("name") if shop_url else None,
                seller_url=shop_url, category=(link.get("data-rat-igenrenamepath") or None),
                image_urls=tuple(u for u in [image.get("data-original") or image.get("src")] if u) if image is not None else (),
                status="sold" if sold else "active",
            )
        if not listings:
            raise self.not_a("search", url, "no item cells (div.item[data-test=item])")
        found = tuple(listings.values())
        return SearchPage(tuple(x.url for x in found), next_link(doc, url, self.base_url, ".pager a[rel~=next][href]"), found)

    def parse_item(self, html: str, url: str) -> Listing:
        product = ld_first(html, "Product")
        if product is None:
            raise self.not_a("item", url, "no JSON-LD Product (Rakuma item pages are unproven: no saved page)")
        doc = tree(html)
        offers = product.get("offers") if isinstance(product.get("offers"), dict) else {}
        m = _ITEM.search(url) or _ITEM.search(str(offers.get("url") or meta(doc, "og:url") or ""))
        images = product.get("image")
        availability = str(offers.get("availability") or "")
        return Listing(
            site=self.name, item_id=m.group(1) if m else url, url=url if url.startswith("http") else web_url(url, "https://item.fril.jp", urlsplit(url).path),
            title=str(product.get("name") or ""), description=str(product.get("description") or ""),
            price=to_decimal(offers.get("price")), currency=offers.get("priceCurrency") or "JPY",
            image_urls=tuple(images if isinstance(images, list) else [images] if isinstance(images, str) else []),
            status="sold" if "SoldOut" in availability else "active",
        )
