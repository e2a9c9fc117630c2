"""Mercari (jp.mercari.com, and tw.mercari.com, its Taiwan cross-border site), Mercari Shops, and Mercari's API.

Pages render in the browser. What a page is comes from its content, never its address alone:
- a **search** (`__NEXT_DATA__` page `/search`, or `[data-testid=item-cell]` cells): item cells and Mercari
  Shops tiles (`/shops/product/…`, marked `shop`), auctions (「現在 ¥」, marked `auction`); skeleton cells
  (`merSkeleton`) are counted as not rendered, and a search with no drawn cell at all is *unrendered*,
  never "0 results" (its sidebar's 価格 filter carries `data-testid="price"` too: that is not an item);
- a **Mercari Shops shop** (`/shops/profile/…`): its `item-tile`s, the shop (JSON-LD Store) as the seller;
- an **item**: the 2025 pages router (JSON-LD Product, `data-testid` nodes: seller link, 商品の状態,
  breadcrumb category) or the 2026 app router (flight data); sold is sold (JSON-LD SoldOut, the sold
  badge, 売り切れました), whatever else the page shows. An item shell with no price node, no JSON-LD
  and no flight price is *unrendered*, never a listing and never gone;
- an **API answer** (api.mercari.jp JSON: see mercari_api).
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from auditor.errors import CrawlError, Removed, Unrendered
from auditor.models import Listing, PageKind, SearchPage
from auditor.sites import mercari_api as api
from auditor.sites.base import SiteProfile, next_link, text_of, visible_text, web_url
from auditor.sites.extract import flight_text, ld_first, meta, parse_money, to_decimal, urls_in
from auditor.sites.tree import tree

_ITEM = re.compile(r"/(?:items?|shops/product)/([A-Za-z0-9-]{8,})")
_SELLER_PAGE = re.compile(r"^https?://jp\.mercari\.com/(?:[a-z]{2}(?:-[A-Z]{2})?/)?(user/profile|shops/profile)/([A-Za-z0-9]+)")
_SELLER = re.compile(r'"sellerId":"([^"]+)","sellerName":"([^"]*)"')
_JP_ID = re.compile(r"/photos/(m\d{8,})_")
_REMOVED = ("該当する商品は削除されています", "この商品は削除されました", "お探しの商品は見つかりませんでした")
_NEXT = ("[data-testid=pagination-next-button] a[href]", "a[data-testid=pagination-next-button][href]")




class Mercari(SiteProfile):
    name = "mercari"
    listing_block = "#item-info"
    title = "Mercari (メルカリ), Japan and Taiwan sites, Mercari Shops"
    base_url = "https://jp.mercari.com"
    domains = ("mercari.com", "mercari-shops.com", "mercdn.net")  # its hosts, and their subdomains: how a saved page names its venue
    needs_browser = True
    ready_selector = ("[data-testid=thumbnail-item-name], [data-testid=item-tile], [data-testid=main-price], "
                      "[data-testid=checkout-button], script[type='application/ld+json']")
    page_kinds = ("search (rendered: item cells, Shops tiles, auctions)", "item (2025 pages router, 2026 app router)",
                  "Mercari Shops shop", "Mercari Shops product (JSON-LD; no saved page)",
                  "API JSON (entities:search, items/get)", "removed", "unrendered", "blocked")
    labels = ("shop", "auction")

    def seller_in_url(self, url: str) -> str | None:
        m = _SELLER_PAGE.search(url)
        return (("shop:" if m.group(1) == "shops/profile" else "") + m.group(2)) if m else None

    def target_notes(self, start_urls: list[str], headers: dict[str, str]) -> list[tuple[str, str]]:
        api = [u for u in start_urls if urlsplit(u).hostname == "api.mercari.jp"]
        if api:
            return [("error", f"{api[0]}: api.mercari.jp answers only requests signed by Mercari's own web app (a DPoP "
                              "token made in the page), so auditor cannot fetch it; give jp.mercari.com search or item "
                              "URLs (read through the browser), or `auditor parse` a saved API answer")]
        return []

    newest_first = True  # sort=created_time&order=desc (新しい順): the saved search shows the sort/order parameters,
    #                      the saved API answer the created-time sort (SORT_CREATED_TIME, descending)

    def search_url(self, base_url: str, query: str, page: int = 1, category: str | None = None) -> str:
        url = f"{base_url.rstrip('/')}/search?keyword={quote(query)}&sort=created_time&order=desc"
        return url + (f"&page_token=v1%3A{page - 1}" if page > 1 else "")

    def page_kind(self, url: str) -> PageKind:
        return PageKind.ITEM if _ITEM.search(urlsplit(url).path) else PageKind.SEARCH

    # --- what the page is -----------------------------------------------------------------------------
    def _web_kind(self, html: str) -> PageKind | None:
        """The Next.js page first (an item page lists other items' cells too; a search's sidebar has a price)."""
        if '"page":"/item/[itemId]"' in html or '"page":"/shops/product/[productId]"' in html:
            return PageKind.ITEM
        if '"page":"/search"' in html or '"page":"/[locale]/shops/profile/[shopId]"' in html:
            return PageKind.SEARCH
        if "main-price" in html or 'data-testid="checkout-button"' in html or ld_first(html, "Product") is not None:
            return PageKind.ITEM
        if 'data-testid="item-cell"' in html or 'data-testid="item-tile"' in html:
            return PageKind.SEARCH
        return None

    def _search_like(self, html: str) -> bool:
        return self._web_kind(html) is PageKind.SEARCH

    def detect_kind(self, html: str, url: str) -> PageKind | None:
        if api.looks_like_api(html):
            return PageKind.SEARCH if api.is_search(api.load(html, url)) else PageKind.ITEM
        return self._web_kind(html)

    def page_state(self, html: str, url: str) -> CrawlError | None:
        state = super().page_state(html, url)
        if state is not None or api.looks_like_api(html):
            return state
        said = [w for w in _REMOVED if w in html]  # the words sit in every page's message bundle: shown ones count
        if said and (shown := [w for w in said if w in visible_text(html)]):
            return Removed(url, f"Mercari says the item is gone ({shown[0]})")
        if self._search_like(html):
            cells = html.count('data-testid="item-cell"') + html.count('data-testid="item-tile"')
            drawn = html.count('data-testid="thumbnail-link"') + html.count('data-testid="item-tile"')
            if not drawn:
                return Unrendered(url, f"a Mercari search that had not rendered: {cells} result cells, none drawn "
                                       "(not 0 results)")
            return None
        if ("main-price" not in html and 'data-testid="price"' not in html and ld_first(html, "Product") is None
                and not _SELLER.search(flight_text(html))):
            if "merSkeleton" in html or meta(tree(html), "og:title"):
                return Unrendered(url, "a Mercari item page that had not rendered: no price, no JSON-LD, no item data "
                                       "(not gone)")
        return None

    # --- search pages ---------------------------------------------------------------------------------
    def parse_search(self, html: str, url: str) -> SearchPage:
        if api.looks_like_api(html):
            data = api.load(html, url)
            if api.is_search(data):
                return api.search(data, url, self.name)
            raise self.not_a("search", url, "a Mercari API item answer")
        if 'data-testid="item-cell"' not in html and 'data-testid="item-tile"' not in html:
            raise self.not_a("search", url, "no result cells ([data-testid=item-cell]); search pages need a browser")
        doc = tree(html)
        if doc.select_one("a[data-testid=item-tile]") is not None:
            return self._shop(doc, html, url)
        listings: dict[str, Listing] = {}
        skeletons = 0
        for cell in doc.select("[data-testid=item-cell]"):
            link = cell.select_one("a[data-testid=thumbnail-link][href], a[href*='/item'], a[href*='/shops/product/']")
            if link is None:
                skeletons += "merSkeleton" in str(cell)
                continue
            card = self._card(cell, link, url)
            if card is not None and card.item_id not in listings:
                listings[card.item_id] = card
        if not listings:
            raise self.not_a("search", url, "no rendered result cells ([data-testid=item-cell]); search pages need a browser")
        found = tuple(listings.values())
        return SearchPage(tuple(x.url for x in found), next_link(doc, url, self.base_url, *_NEXT), found,
                          unrendered=skeletons)

    def _card(self, cell, link, url: str) -> Listing | None:
        m = _ITEM.search(urlsplit(link["href"]).path)
        if not m:
            return None
        shop = "/shops/product/" in link["href"]
        thumb = cell.select_one("[aria-label][role=img]")
        price_text = text_of(cell.select_one(".merPrice, [class*=price]"))
        price = parse_money(price_text, "JPY")
        image = cell.select_one("img[src]")
        title = text_of(cell.select_one("[data-testid=thumbnail-item-name]")) or \
            re.sub(r"の画像 .*$", "", thumb.get("aria-label", "") if thumb else "")
        return Listing(
            site=self.name, item_id=m.group(1), url=web_url(url, self.base_url, link["href"]), title=title,
            price=price[0], currency=price[1], image_urls=(image["src"],) if image is not None else (),
            labels=tuple(x for x, on in (("shop", shop), ("auction", "現在" in price_text)) if on),
        )

    def _shop(self, doc, html: str, url: str) -> SearchPage:
        """A Mercari Shops shop: its product tiles, the shop itself as their seller."""
        store = ld_first(html, "Store") or {}
        canonical = doc.select_one("link[rel=canonical][href]")
        home = canonical["href"] if canonical is not None else url
        shop_id = (re.search(r"/shops/profile/([A-Za-z0-9]+)", home) or re.search(r"/shops/profile/([A-Za-z0-9]+)", url))
        about = store.get("description") or (doc.select_one("meta[name=description]") or {}).get("content") or ""
        links = urls_in(about if isinstance(about, str) else "", 20)
        listings: dict[str, Listing] = {}
        for tile in doc.select("a[data-testid=item-tile][href]"):
            m = _ITEM.search(urlsplit(tile["href"]).path)
            if not m or m.group(1) in listings:
                continue
            image = tile.select_one("img")
            title = text_of(tile.select_one("p")) or (image.get("alt", "") if image is not None else "")
            shown = re.search(r"[¥￥]\s*[\d,]+", text_of(tile))  # the price, not the title's leading number
            price = parse_money(shown.group(0) if shown else None, "JPY")
            listings[m.group(1)] = Listing(
                site=self.name, item_id=m.group(1), url=web_url(url, self.base_url, tile["href"]), title=title,
                price=price[0], currency=price[1], seller_id=f"shop:{shop_id.group(1)}" if shop_id else None,
                seller_name=store.get("name"), seller_url=home if home.startswith("http") else None,
                image_urls=(image["src"],) if image is not None and image.get("src") else (), labels=("shop",),
                seller_links=links,  # the accounts the shop itself names (its owner's Mercari account)
            )
        found = tuple(listings.values())
        return SearchPage(tuple(x.url for x in found), next_link(doc, url, self.base_url, *_NEXT), found)

    # --- item pages -----------------------------------------------------------------------------------
    def parse_item(self, html: str, url: str) -> Listing:
        if api.looks_like_api(html):
            data = api.load(html, url)
            if api.is_search(data):
                raise self.not_a("item", url, "a Mercari API search answer")
            return api.item(data, url, self.name)
        product = ld_first(html, "Product")
        if product is None and "main-price" not in html and 'data-testid="price"' not in html:
            raise self.not_a("item", url, "no price ([data-testid=main-price]) and no JSON-LD Product")
        doc = tree(html)
        price_node = doc.select_one("[data-testid=main-price]") or doc.select_one(
            "[data-testid=checkout-button] ~ * [data-testid=price], #item-info [data-testid=price], [data-testid=price]")
        if product is None and price_node is None:
            raise self.not_a("item", url, "no price ([data-testid=main-price]) and no JSON-LD Product")
        flight = flight_text(html)
        canonical = doc.select_one("link[rel=canonical][href]")
        offers = product.get("offers") if product and isinstance(product.get("offers"), dict) else {}
        home = url if url.startswith("http") else (canonical["href"] if canonical else (offers.get("url") or url))
        m = _ITEM.search(urlsplit(home).path) or _ITEM.search(urlsplit(str(offers.get("url") or "")).path)
        item_id = (m.group(1) if m else None) or (str(product.get("productID")) if product and product.get("productID") else url)
        image = doc.select_one("[data-testid=item-carousel-main-image]")
        title = (product or {}).get("name") or (image.get("name") if image is not None else None) or \
            text_of(doc.select_one("h1")) or re.split(r"\s[‐-]\s|\sby\s", meta(doc, "og:title") or "")[0]
        if offers.get("price") is not None:
            price, currency = to_decimal(offers.get("price")), offers.get("priceCurrency") or "JPY"
        else:
            price, currency = parse_money(text_of(price_node), "JPY")
        seller_id, seller_name = self._seller(doc, flight, html)
        photos = self._photos(product, flight, item_id)
        jp = _JP_ID.search(" ".join(photos) or (meta(doc, "og:image") or ""))
        description = (product or {}).get("description") or text_of(doc.select_one("[data-testid=description]")) or \
            (meta(doc, "og:description") or "")
        category = " > ".join(a.get_text(strip=True) for a in doc.select(
            'a[data-location="item_details:breadcrumb:category_link"]')) or None
        shop = "/shops/product/" in home
        return Listing(
            site=self.name, item_id=item_id, url=home, title=title or "", description=description,
            price=price, currency=currency, seller_id=seller_id, seller_name=seller_name,
            seller_url=web_url(url, self.base_url, f"/user/profile/{seller_id}") if seller_id and not shop else None,
            image_urls=photos or tuple(u for u in [meta(doc, "og:image")] if u),
            tags=(f"jp_item:{jp.group(1)}",) if jp and jp.group(1) != item_id else (),
            category=category, condition=text_of(doc.select_one("[data-testid='商品の状態']")) or None,
            status="sold" if self._sold(doc, flight, offers) else "active", labels=("shop",) if shop else (),
        )

    @staticmethod
    def _sold(doc, flight: str, offers: dict) -> bool:
        availability = str(offers.get("availability") or "")
        button = text_of(doc.select_one("[data-testid=checkout-button]"))
        return ("SoldOut" in availability or doc.select_one("[data-testid=item-sold-out-badge]") is not None
                or "売り切れ" in button or '"status":"sold_out"' in flight or '"status":"trading"' in flight)

    @staticmethod
    def _seller(doc, flight: str, html: str) -> tuple[str | None, str | None]:
        m = _SELLER.search(flight) or _SELLER.search(html.replace('\\"', '"'))
        if m:
            return m.group(1), m.group(2)
        node = doc.select_one("[data-testid=seller-link]")
        link = node.find_parent("a", href=True) if node is not None else None
        link = link or doc.select_one('a[href^="/user/profile/"]')
        if link is None:
            return None, None
        found = re.search(r"/user/profile/(\d+)", link["href"])
        name = text_of(node.select_one("p")) if node is not None else None
        return (found.group(1) if found else None), name or None

    @staticmethod
    def _photos(product: dict | None, flight: str, item_id: str) -> tuple[str, ...]:
        """The item's own pictures (the page also shows other items' thumbnails: those are left out)."""
        images = (product or {}).get("image")
        if isinstance(images, str):
            images = [images]
        if isinstance(images, list) and images:
            return tuple(dict.fromkeys(str(u) for u in images if isinstance(u, str)))
        found = re.findall(r"https://static\.mercdn\.net/item/detail/[^\"\\\s]+?_\d+\.jpg(?:\?\d+)?", flight)
        return tuple(dict.fromkeys(found))

