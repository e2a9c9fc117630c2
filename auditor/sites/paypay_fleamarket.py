"""Yahoo!フリマ / PayPay Flea Market (paypayfleamarket.yahoo.co.jp).

Next.js pages: search results are read from `__NEXT_DATA__` at
props.initialState.searchState.search.result (no `pageProps` level); the sibling
`auctionItemsModule` (Yahoo! Auctions promotions) is skipped, and so are result items that are
Yahoo! Auctions lots (ids not starting with `z`). Seller hashtags become the listing's tags.
Item pages are read from their schema.org JSON-LD and meta tags: no saved item page of this site
was available to build a closer reader against.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from auditor.models import Listing, PageKind, SearchPage
from auditor.sites.base import SiteProfile, next_link, parse_time, soup, text_of, web_url
from auditor.sites.extract import dig, meta, next_data, parse_money, to_decimal
from auditor.sites.schema_org import SchemaOrg, products_in

_ITEM = re.compile(r"/item/(z\d+)")


class PaypayFleamarket(SiteProfile):
    name = "paypay_fleamarket"
    title = "Yahoo!フリマ / PayPay Flea Market"
    base_url = "https://paypayfleamarket.yahoo.co.jp"
    page_kinds = ("search", "item (from JSON-LD, unverified)")

    def search_url(self, base_url: str, query: str, page: int = 1, category: str | None = None) -> str:
        url = f"{base_url.rstrip('/')}/search/{quote(query)}?page={page}"
        return url + (f"&categoryIds={quote(category)}" if category else "")

    def page_kind(self, url: str) -> PageKind:
        return PageKind.ITEM if _ITEM.search(urlsplit(url).path) else PageKind.SEARCH

    def detect_kind(self, html: str, url: str) -> PageKind | None:
        if "searchState" in html:
            return PageKind.SEARCH
        return None

    def parse_search(self, html: str, url: str) -> SearchPage:
        doc = soup(html)
        result = dig(next_data(doc), "props", "initialState", "searchState", "search", "result")
        if not isinstance(result, dict) or not isinstance(result.get("items"), list):
            raise self.not_a("search", url, "no search result in __NEXT_DATA__ (props.initialState.searchState)")
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
        doc = soup(html)
        products = products_in(doc)
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
