"""Any shop that describes its pages with schema.org JSON-LD: `Product` / `Offer` items and `ItemList`s.

A fallback for marketplaces without a profile of their own: it reads only what the page declares
for search engines, so it keeps working when class names change, and says plainly when a page
declares nothing it can use.
"""

from __future__ import annotations

from urllib.parse import quote, urljoin

from auditor.models import Listing, PageKind, SearchPage
from auditor.sites.base import SiteProfile, parse_time
from auditor.sites.extract import json_ld, ld_types, to_decimal


def _first(value):
    return value[0] if isinstance(value, list) and value else value


def _text(value) -> str | None:
    value = _first(value)
    if isinstance(value, dict):
        value = value.get("name") or value.get("@id")
    return str(value) if value not in (None, "") else None


def products_in(doc) -> list[dict]:
    """The schema.org Product objects a page declares in its JSON-LD (doc: a parsed page, or its text)."""
    return [o for o in json_ld(doc) if "Product" in ld_types(o)]


class SchemaOrg(SiteProfile):
    name = "schema_org"
    title = "Any site with schema.org JSON-LD (Product, Offer, ItemList)"
    page_kinds = ("item list", "product")

    def search_url(self, base_url: str, query: str, page: int = 1, category: str | None = None) -> str:
        return f"{base_url.rstrip('/')}/search?q={quote(query)}&page={page}"

    def page_kind(self, url: str) -> PageKind:
        return PageKind.SEARCH

    def detect_kind(self, html: str, url: str) -> PageKind | None:
        objects = json_ld(html)
        if any("Product" in ld_types(o) for o in objects):
            return PageKind.ITEM
        if any("ItemList" in ld_types(o) for o in objects):
            return PageKind.SEARCH
        return None

    def parse_search(self, html: str, url: str) -> SearchPage:
        lists = [o for o in json_ld(html) if "ItemList" in ld_types(o)]
        if not lists:
            raise self.not_a("search", url, "no schema.org ItemList in the page's JSON-LD")
        urls, listings = [], []
        for entry in lists[0].get("itemListElement") or []:
            if not isinstance(entry, dict):
                continue
            item = entry.get("item") if isinstance(entry.get("item"), dict) else entry
            link = entry.get("url") or (item.get("url") if isinstance(item, dict) else None) or \
                (entry.get("item") if isinstance(entry.get("item"), str) else None)
            if not link:
                continue
            urls.append(urljoin(url, str(link)))
            if isinstance(item, dict) and "Product" in ld_types(item):
                listings.append(self.listing_from(item, urls[-1]))
        return SearchPage(tuple(dict.fromkeys(urls)), None, tuple(listings), lists[0].get("numberOfItems"))

    def parse_item(self, html: str, url: str) -> Listing:
        products = products_in(html)
        if not products:
            raise self.not_a("item", url, "no schema.org Product in the page's JSON-LD")
        return self.listing_from(products[0], url)

    def listing_from(self, product: dict, url: str) -> Listing:
        """A listing from a schema.org Product object (with its Offer), under this profile's name."""
        offer = _first(product.get("offers")) or {}
        if isinstance(offer, dict) and "AggregateOffer" in ld_types(offer):
            price = to_decimal(offer.get("lowPrice"))
        else:
            price = to_decimal(offer.get("price")) if isinstance(offer, dict) else None
        availability = str(offer.get("availability") or "") if isinstance(offer, dict) else ""
        images = product.get("image") or []
        images = [images] if isinstance(images, (str, dict)) else images
        seller = offer.get("seller") if isinstance(offer, dict) else None
        return Listing(
            site=self.name, item_id=str(product.get("sku") or product.get("productID") or product.get("url") or product.get("@id") or url),
            url=str(product.get("url") or url), title=str(product.get("name") or ""),
            description=str(product.get("description") or ""), price=price,
            currency=offer.get("priceCurrency") if isinstance(offer, dict) else None,
            seller_name=_text(seller), seller_id=_text(seller), category=_text(product.get("category")),
            image_urls=tuple(str(i.get("url") if isinstance(i, dict) else i) for i in images if i),
            end_time=parse_time(offer.get("priceValidUntil")) if isinstance(offer, dict) else None,
            status="sold" if availability.endswith(("SoldOut", "OutOfStock", "Discontinued")) else "active",
        )
