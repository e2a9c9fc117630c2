"""Mercari (jp.mercari.com, and tw.mercari.com, its Taiwan cross-border site).

Mercari's pages are built by the Next.js app router: no `__NEXT_DATA__`; the data comes in
`self.__next_f.push(...)` flight chunks, and search results render in the browser (a plain fetch
of a search page has no results). Item pages are read from the server-rendered `data-testid`
attributes and the flight text; the seller from `"sellerId":"…","sellerName":"…"` in it.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from auditor.models import Listing, PageKind, SearchPage
from auditor.sites.base import SiteProfile, next_link, soup, text_of, web_url
from auditor.sites.extract import flight_text, meta, parse_money

_ITEM = re.compile(r"/items?/([A-Za-z0-9-]{8,})")
_SELLER = re.compile(r'"sellerId":"([^"]+)","sellerName":"([^"]*)"')
_JP_ID = re.compile(r"/photos/(m\d{8,})_")


class Mercari(SiteProfile):
    name = "mercari"
    title = "Mercari (メルカリ), Japan and Taiwan sites"
    base_url = "https://jp.mercari.com"
    needs_browser = True
    ready_selector = "[data-testid=price], [data-testid=main-price], [data-testid=item-cell], [data-testid=search-item-grid]"
    page_kinds = ("search (rendered in the browser)", "item")

    def search_url(self, base_url: str, query: str, page: int = 1, category: str | None = None) -> str:
        url = f"{base_url.rstrip('/')}/search?keyword={quote(query)}"
        return url + (f"&page_token=v1%3A{page - 1}" if page > 1 else "")

    def page_kind(self, url: str) -> PageKind:
        return PageKind.ITEM if _ITEM.search(urlsplit(url).path) else PageKind.SEARCH

    def detect_kind(self, html: str, url: str) -> PageKind | None:
        if "main-price" in html or 'data-testid="price"' in html:
            return PageKind.ITEM
        if 'data-testid="item-cell"' in html:
            return PageKind.SEARCH
        return None

    def parse_search(self, html: str, url: str) -> SearchPage:
        doc = soup(html)
        listings = {}
        for cell in doc.select('[data-testid=item-cell] a[href*="/item"]'):
            m = _ITEM.search(urlsplit(cell["href"]).path)
            if not m or m.group(1) in listings:
                continue
            thumb = cell.select_one("[aria-label], [data-testid=thumbnail-item-name]")
            price = parse_money(text_of(cell.select_one("[class*=price], .merPrice")), "JPY")
            listings[m.group(1)] = Listing(
                site=self.name, item_id=m.group(1), url=web_url(url, self.base_url, cell["href"]),
                title=text_of(cell.select_one("[data-testid=thumbnail-item-name]")) or (thumb.get("aria-label", "") if thumb else ""),
                price=price[0], currency=price[1],
            )
        if not listings:
            raise self.not_a("search", url, "no rendered result cells ([data-testid=item-cell]); search pages need a browser")
        found = tuple(listings.values())
        return SearchPage(tuple(x.url for x in found), next_link(doc, url, self.base_url, "[data-testid=pagination-next-button] a[href]"), found)

    def parse_item(self, html: str, url: str) -> Listing:
        doc = soup(html)
        price_node = doc.select_one("[data-testid=main-price]") or doc.select_one("[data-testid=price]")
        if price_node is None:
            raise self.not_a("item", url, "no price ([data-testid=main-price]); Mercari item pages may need a browser")
        flight = flight_text(html)
        image = doc.select_one("[data-testid=item-carousel-main-image]")
        title = (image.get("name") if image is not None else None) or text_of(doc.select_one("h1")) or \
            re.split(r"\s[‐-]\s", meta(doc, "og:title") or "")[0]
        price, currency = parse_money(text_of(price_node), "JPY")
        seller = _SELLER.search(flight) or _SELLER.search(html.replace('\\"', '"'))
        canonical = doc.select_one("link[rel=canonical][href]")
        home = url if url.startswith("http") else (canonical["href"] if canonical else url)
        m = _ITEM.search(urlsplit(home).path)
        photos = tuple(dict.fromkeys(re.findall(r"https://static\.mercdn\.net/item/detail/[^\"\\\s]+?_\d+\.jpg(?:\?\d+)?", flight)))
        jp = _JP_ID.search(" ".join(photos) or (meta(doc, "og:image") or ""))
        description = text_of(doc.select_one("[data-testid=description]")) or (meta(doc, "og:description") or "")
        return Listing(
            site=self.name, item_id=m.group(1) if m else url, url=home, title=title or "", description=description,
            price=price, currency=currency, seller_id=seller.group(1) if seller else None,
            seller_name=seller.group(2) if seller else None,
            seller_url=web_url(url, self.base_url, f"/user/profile/{seller.group(1)}") if seller else None,
            image_urls=photos or tuple(u for u in [meta(doc, "og:image")] if u),
            tags=(f"jp_item:{jp.group(1)}",) if jp else (),
            status="sold" if doc.select_one("[data-testid=item-sold-out-badge]") or '"status":"sold_out"' in flight else "active",
        )
