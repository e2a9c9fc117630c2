"""Yahoo!フリマ / PayPay Flea Market (paypayfleamarket.yahoo.co.jp).

Next.js pages; every page's `__NEXT_DATA__` holds props.initialState with both a `searchState` and an
`itemsState` (no `pageProps` level), so what a page is comes from which of them is filled:
- an **item** page: itemsState.items.item (id, title, price, OPEN / SOLD, every picture, hashtags as tags,
  condition, seller id and nickname, createDate as its publish time, purchaseDate as the time it sold);
- a **removed** item: itemsState.items.error with status 404 (「この商品は存在しません」): never a listing;
- a **search** page: searchState.search.result; the sibling `auctionItemsModule` (Yahoo! Auctions
  promotions) is skipped, and result items that are Yahoo! Auctions lots (ids not starting with `z`) are
  kept as such. Item pages without that state fall back to JSON-LD and meta tags.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from auditor.errors import CrawlError, Removed
from auditor.models import Listing, PageKind, SearchPage
from auditor.sites.base import SiteProfile, next_link, parse_time, text_of, web_url
from auditor.sites.extract import dig, meta, next_data_of, parse_money, to_decimal
from auditor.sites.schema_org import SchemaOrg, products_in
from auditor.sites.tree import tree

_ITEM = re.compile(r"/item/(z\d+)")


class PaypayFleamarket(SiteProfile):
    name = "paypay_fleamarket"
    listing_block = "[class*=ItemMain__Component]"
    seller_page = r"^https?://paypayfleamarket\.yahoo\.co\.jp/user/(?P<id>[A-Za-z0-9_-]+)"
    title = "Yahoo!フリマ / PayPay Flea Market"
    base_url = "https://paypayfleamarket.yahoo.co.jp"
    domains = ("paypayfleamarket.yahoo.co.jp",)  # its hosts, and their subdomains: how a saved page names its venue
    page_kinds = ("search", "item (open, sold)", "removed")

    newest_first = True  # sort=openTime&order=DESC (新着順), as the saved search's state shows it in use

    def search_url(self, base_url: str, query: str, page: int = 1, category: str | None = None) -> str:
        url = f"{base_url.rstrip('/')}/search/{quote(query)}?page={page}&sort=openTime&order=DESC"
        return url + (f"&categoryIds={quote(category)}" if category else "")

    def page_kind(self, url: str) -> PageKind:
        return PageKind.ITEM if _ITEM.search(urlsplit(url).path) else PageKind.SEARCH

    @staticmethod
    def _state(html: str) -> dict:
        return (dig(next_data_of(html), "props", "initialState") or {}) if "initialState" in html else {}

    def detect_kind(self, html: str, url: str) -> PageKind | None:
        state = self._state(html)
        items = dig(state, "itemsState", "items") or {}
        if isinstance(items, dict) and (isinstance(items.get("item"), dict) or items.get("error")):
            return PageKind.ITEM
        if isinstance(dig(state, "searchState", "search", "result", "items"), list):
            return PageKind.SEARCH
        return None

    def page_state(self, html: str, url: str) -> CrawlError | None:
        state = super().page_state(html, url)
        if state is not None:
            return state
        error = dig(self._state(html), "itemsState", "items", "error")
        if isinstance(error, dict) and error.get("status") in (404, 410):
            return Removed(url, f"Yahoo!フリマ says the item does not exist (この商品は存在しません; "
                                f"{error.get('message') or ''} {error.get('code') or ''}, status {error.get('status')})")
        return None

    def parse_search(self, html: str, url: str) -> SearchPage:
        result = dig(self._state(html), "searchState", "search", "result")
        if not isinstance(result, dict) or not isinstance(result.get("items"), list):
            raise self.not_a("search", url, "no search result in __NEXT_DATA__ (props.initialState.searchState)")
        doc = tree(html)
        listings = []
        for it in result["items"]:
            if not isinstance(it, dict) or not it.get("id"):
                continue
            item_id = str(it["id"])
            own = item_id.startswith("z")  # others are Yahoo! Auctions lots shown among the results
            category = it.get("category") or {}
            listings.append(Listing(
                site=self.name if own else "yahoo_auctions", item_id=item_id,
                url=web_url(url, self.base_url, f"/item/{item_id}") if own else f"https://auctions.yahoo.co.jp/jp/auction/{item_id}",
                title=str(it.get("title") or ""), price=to_decimal(it.get("price")), currency="JPY",
                seller_id=it.get("sellerId"),
                category=" > ".join(str(c.get("name")) for c in category.get("path") or [] if isinstance(c, dict)) or None,
                tags=tuple(str(t) for t in it.get("hashtag") or []),
                image_urls=tuple(u for u in [it.get("thumbnailImageUrl")] if u),
                end_time=parse_time(it.get("endTime")),
                status="sold" if str(it.get("itemStatus", "")).upper() == "SOLD" else "active",
            ))
        found = tuple(listings)
        return SearchPage(tuple(x.url for x in found if x.site == self.name), next_link(doc, url, self.base_url), found,
                          result.get("totalResultsAvailable"))

    def parse_item(self, html: str, url: str) -> Listing:
        item = dig(self._state(html), "itemsState", "items", "item")
        if isinstance(item, dict) and item.get("id"):
            return self._item(item, url)
        if "paypayfleamarket" not in html:
            raise self.not_a("item", url, "no item (itemsState) and not a Yahoo!フリマ page")
        doc = tree(html)
        products = products_in(html)
        try:
            listing = SchemaOrg().listing_from(products[0], url) if products else None
        except Exception:  # noqa: BLE001 - JSON-LD it cannot read: fall back to what the meta tags say
            listing = None
        m = _ITEM.search(urlsplit(url).path) or _ITEM.search(urlsplit(meta(doc, "og:url") or "").path)
        title = (listing.title if listing else None) or meta(doc, "og:title") or text_of(doc.select_one("h1"))
        if not m or not title:
            raise self.not_a("item", url, "no item id (/item/z…) with a title (JSON-LD Product or og:title)")
        price = listing.price if listing else parse_money(meta(doc, "product:price:amount"), "JPY")[0]
        return Listing(
            site=self.name, item_id=m.group(1), url=url if url.startswith("http") else web_url(url, self.base_url, m.group(0)),
            title=title, description=(listing.description if listing else "") or meta(doc, "og:description") or "",
            price=price, currency="JPY", image_urls=(listing.image_urls if listing else ()) or
            tuple(u for u in [meta(doc, "og:image")] if u), status=listing.status if listing else "active",
        )

    def _item(self, it: dict, url: str) -> Listing:
        item_id = str(it["id"])
        seller = it.get("seller") if isinstance(it.get("seller"), dict) else {}
        condition = it.get("condition") if isinstance(it.get("condition"), dict) else {}
        images = [i.get("url") for i in it.get("images") or [] if isinstance(i, dict)]
        categories = [c.get("name") for c in it.get("categoryList") or [] if isinstance(c, dict)]
        status = str(it.get("status") or "").upper()
        return Listing(
            site=self.name, item_id=item_id,
            url=url if url.startswith("http") else web_url(url, self.base_url, f"/item/{item_id}"),
            title=str(it.get("title") or ""), description=str(it.get("description") or ""),
            price=None if it.get("noPriceItem") else to_decimal(it.get("price")), currency="JPY",
            seller_id=seller.get("id"), seller_name=seller.get("nickname"),
            seller_url=web_url(url, self.base_url, f"/user/{seller['id']}") if seller.get("id") else None,
            category=" > ".join(str(c) for c in categories if c) or None,
            tags=tuple(str(t) for t in it.get("hashtags") or [] if isinstance(t, str)),
            image_urls=tuple(str(u) for u in images if u), condition=condition.get("text"),
            status="sold" if status in ("SOLD", "SOLD_OUT", "TRADING") else "ended" if status == "CLOSED" else "active",
            published_at=parse_time(it.get("createDate")), end_time=parse_time(it.get("purchaseDate")),
        )
