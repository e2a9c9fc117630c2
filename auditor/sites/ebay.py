"""eBay (ebay.com and its country sites): search results in both markups seen, and item pages.

- Search (`/sch/`): the 2022 `li.s-item` cards and the 2026 `li.s-card` cards. The first card of
  each is a "Shop on eBay" placeholder that links nowhere real: only cards with an item id count.
  "New Listing" and the hidden "Opens in a new window or tab" are not part of a title.
- Item (`/itm/ID`): schema.org microdata for the price (`itemprop=price@content` and
  `priceCurrency`), the title heading, the bid count, the end time and the seller block.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from urllib.parse import quote, urlsplit

from auditor.models import Listing, PageKind, SearchPage
from auditor.sites.base import SiteProfile, next_link, parse_int, text_of, web_url
from auditor.sites.extract import meta, parse_money, to_decimal
from auditor.sites.tree import Node, tree

_ITEM = re.compile(r"/itm/(?:[^/?#]+/)?(\d{9,})")
_ZONES = {"PDT": -7, "PST": -8, "EDT": -4, "EST": -5, "CDT": -5, "CST": -6, "MDT": -6, "MST": -7, "BST": 1,
          "GMT": 0, "UTC": 0, "CET": 1, "CEST": 2, "JST": 9, "AEST": 10, "AEDT": 11}
_HIDDEN = ".s-card__new-listing, .clipped, .LIGHT_HIGHLIGHT, .s-item__title--tagblock, .s-item__title--tag"


def _title(node: Node | None) -> str:
    """The title as shown: eBay's "New Listing" tag and its clipped, screen-reader-only copies left out (the tree is
    shared, so they are skipped, not removed)."""
    if node is None:
        return ""
    hidden = {h.el.mem_id for h in node.select(_HIDDEN)}
    parts = []
    for text in node.el.traverse(include_text=True):
        if not text.is_text_node:
            continue
        up, shown = text.parent, True
        while up is not None and shown and up.mem_id != node.el.mem_id:
            shown = up.mem_id not in hidden and up.tag not in ("script", "style")
            up = up.parent
        if shown and node.el.mem_id not in hidden and (part := (text.text_content or "").strip()):
            parts.append(part)
    return re.sub(r"^New Listing\s*", "", " ".join(parts))


def _end_time(text: str) -> datetime | None:
    """'(Jul 14, 2022 09:38:27 PDT)'"""
    m = re.search(r"([A-Z][a-z]{2} \d{1,2}, \d{4} \d{1,2}:\d{2}:\d{2})\s*([A-Z]{2,4})?", text or "")
    if not m:
        return None
    t = datetime.strptime(m.group(1), "%b %d, %Y %H:%M:%S")
    return t.replace(tzinfo=timezone(timedelta(hours=_ZONES.get(m.group(2) or "UTC", 0))))


class Ebay(SiteProfile):
    name = "ebay"
    listing_block = "#CenterPanel"
    marks = ("ebay", "eBay")
    seller_page = r"^https?://(?:www\.)?ebay\.[a-z.]+/usr/(?P<id>[A-Za-z0-9._-]+)"
    title = "eBay"
    base_url = "https://www.ebay.com"
    domains = ("ebay.com", "ebay.co.uk", "ebay.de", "ebay.fr", "ebay.it", "ebay.es", "ebay.com.au", "ebay.ca")  # its hosts, and their subdomains: how a saved page names its venue
    page_kinds = ("search (s-item and s-card markup)", "item")
    has_category = True

    def search_url(self, base_url: str, query: str, page: int = 1, category: str | None = None) -> str:
        return f"{base_url.rstrip('/')}/sch/i.html?_nkw={quote(query)}&_sacat={quote(category or '0')}&_pgn={page}"

    def page_kind(self, url: str) -> PageKind:
        return PageKind.ITEM if _ITEM.search(urlsplit(url).path) else PageKind.SEARCH

    def detect_kind(self, html: str, url: str) -> PageKind | None:
        if "x-item-title__mainTitle" in html or 'id="descItemNumber"' in html:
            return PageKind.ITEM
        if "s-item__title" in html or "s-card__title" in html:
            return PageKind.SEARCH
        return None

    def parse_search(self, html: str, url: str) -> SearchPage:
        doc = tree(html)
        listings: dict[str, Listing] = {}
        for card in doc.select("ul.srp-results > li.s-item, li.s-item, li.s-card"):
            link = card.select_one('a[href*="/itm/"]')
            m = _ITEM.search(urlsplit(link["href"]).path) if link else None
            item_id = card.get("data-listingid") or (m.group(1) if m else None)
            if not item_id or not (card.get("id", "").startswith("item") or card.name == "li" and "s-item" in (card.get("class") or "").split()):
                continue  # "Shop on eBay" placeholders carry no real item
            if item_id in listings or (m and m.group(1) == "123456"):
                continue
            title = _title(card.select_one(".s-card__title") or card.select_one(".s-item__title"))
            if not title or title.casefold() == "shop on ebay":
                continue
            price, currency = parse_money(text_of(card.select_one(".s-card__price, .s-item__price")), "USD")
            rows = [text_of(r) for r in card.select(".s-card__attribute-row")]
            seller = text_of(card.select_one(".s-item__seller-info-text")) or next(
                (r for r in rows if "positive" in r), None)
            image = card.select_one("img.s-card__image, .s-item__image-img, img")
            listings[item_id] = Listing(
                site=self.name, item_id=item_id, url=web_url(url, self.base_url, f"/itm/{item_id}"), title=title,
                price=price, currency=currency, seller_id=seller.split()[0] if seller else None, seller_name=seller,
                category=text_of(card.select_one(".s-card__subtitle, .s-item__subtitle")) or None,
                bids=parse_int(text_of(card.select_one(".s-item__bids, .s-card__bids"))) if card.select_one(".s-item__bids, .s-card__bids") else None,
                image_urls=tuple(u for u in [image.get("src") if image else None] if u and u.startswith("http")),
            )
        if not listings:
            raise self.not_a("search", url, "no result cards (li.s-item or li.s-card with an item id)")
        total = parse_int(text_of(doc.select_one("h1.srp-controls__count-heading")))
        found = tuple(listings.values())
        return SearchPage(tuple(x.url for x in found), next_link(doc, url, self.base_url, "a.pagination__next[href]"),
                          found, total)

    def parse_item(self, html: str, url: str) -> Listing:
        doc = tree(html)
        heading = doc.select_one("h1.x-item-title__mainTitle") or doc.select_one("h1#itemTitle")
        if heading is None:
            raise self.not_a("item", url, "no item title (h1.x-item-title__mainTitle)")
        price_node = doc.select_one("[itemprop=price]")
        currency_node = doc.select_one("[itemprop=priceCurrency]")
        text_price, text_currency = parse_money(text_of(price_node), "USD")
        price = to_decimal(price_node.get("content")) if price_node is not None and price_node.get("content") else text_price
        og = meta(doc, "og:url") or ""
        m = _ITEM.search(urlsplit(url).path) or _ITEM.search(urlsplit(og).path)
        item_id = text_of(doc.select_one("#descItemNumber")) or (m.group(1) if m else url)
        seller = doc.select_one(".ux-seller-section__item--seller")
        seller_link = seller.select_one("a[href]") if seller is not None else None
        bids = doc.select_one(".vi-bidC, [data-testid=x-bid-count]")
        image = doc.select_one("#icImg") or doc.select_one(".ux-image-carousel-item img")
        ended = doc.select_one(".vi-cmb-msg, .d-statusmessage") is not None and "ended" in text_of(doc.select_one(".vi-cmb-msg, .d-statusmessage")).lower()
        return Listing(
            site=self.name, item_id=item_id,
            url=url if url.startswith("http") and _ITEM.search(urlsplit(url).path) else web_url(url, self.base_url, f"/itm/{item_id}"),
            title=_title(heading), price=price,
            currency=(currency_node.get("content") if currency_node is not None else None) or text_currency,
            bids=parse_int(text_of(bids)) if bids is not None else None,
            seller_id=(text_of(seller).split()[0] if text_of(seller) else None), seller_name=text_of(seller) or None,
            seller_url=seller_link["href"] if seller_link is not None else None,
            category=" > ".join(text_of(a) for a in doc.select("nav.breadcrumbs a, #vi-VR-brumb-lnkLst a")) or None,
            image_urls=tuple(u for u in [image.get("src") if image is not None else None, meta(doc, "og:image")] if u)[:1],
            end_time=_end_time(text_of(doc.select_one(".vi-tm-left"))),
            status="ended" if ended else "active",
        )
