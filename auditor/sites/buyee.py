"""Buyee (buyee.jp), the proxy-buying service, and its mirrors of Yahoo! Auctions, Mercari and PayPay.

Buyee shows the same listings as the marketplaces, in an English (or Japanese) frame, rendered on
the server. One profile reads all three mirrors, told apart by their paths:
`/item/yahoo/auction/ID`, `/mercari/item/ID`, `/paypayfleamarket/item/ID`, and the search pages
that lead there. Prices are in yen; the converted amount in brackets is left out.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from urllib.parse import quote, urlsplit

from auditor.models import Listing, PageKind, SearchPage
from auditor.sites.base import SiteProfile, next_link, parse_int, text_of, web_url
from auditor.sites.extract import meta, parse_money
from auditor.sites.tree import Node, tree

JST = timezone(timedelta(hours=9))
_ITEM = re.compile(r"/(?:item/yahoo/auction|mercari/item|paypayfleamarket/item)/([A-Za-z0-9]+)")
_MIRROR = {"yahoo": "yahoo_auctions", "mercari": "mercari", "paypayfleamarket": "paypay_fleamarket"}


def _mirror(path: str) -> str:
    if path.startswith("/mercari/"):
        return "mercari"
    if path.startswith("/paypayfleamarket/"):
        return "paypayfleamarket"
    return "yahoo"


def _price(node) -> tuple:
    """'248,000 yen <span>(€1 974,08)</span>': the yen amount, without the converted one."""
    if node is None:
        return None, None
    own = node.own_text() or text_of(node)
    return parse_money(own, "JPY")


class Buyee(SiteProfile):
    name = "buyee"
    listing_block = "#content"
    marks = ("buyee",)
    title = "Buyee (mirrors of Yahoo! Auctions, Mercari, PayPay Flea Market)"
    base_url = "https://buyee.jp"
    domains = ("buyee.jp",)  # its hosts, and their subdomains: how a saved page names its venue
    page_kinds = ("yahoo search", "yahoo item", "mercari search", "mercari item", "paypay search", "paypay item")

    def search_url(self, base_url: str, query: str, page: int = 1, category: str | None = None) -> str:
        base = base_url.rstrip("/")
        if "/mercari" in base or "/paypayfleamarket" in base:
            return f"{base}/search?keyword={quote(query)}&page={page}"
        return f"{base}/item/search/query/{quote(query)}" + (f"/category/{quote(category)}" if category else "") + f"?page={page}"

    def page_kind(self, url: str) -> PageKind:
        return PageKind.ITEM if _ITEM.search(urlsplit(url).path) else PageKind.SEARCH

    def detect_kind(self, html: str, url: str) -> PageKind | None:
        if any(m in html for m in ('id="itemHeader"', 'class="m-goodsName', 'class="flmIdp__itemName')):
            return PageKind.ITEM
        if any(m in html for m in ('class="product_whole"', 'class="item-lists"')):
            return PageKind.SEARCH
        return None

    def _home(self, doc: Node, url: str) -> str:
        canonical = doc.select_one("link[rel=canonical][href]")
        return url if url.startswith("http") else (canonical["href"] if canonical else self.base_url)

    # --- search pages ----------------------------------------------------------------------------
    def parse_search(self, html: str, url: str) -> SearchPage:
        doc = tree(html)
        listings: list[Listing] = []
        cards = doc.select(".product_field.list_layout .product_whole") or doc.select(".product_field .product_whole")
        for card in cards:  # Yahoo! Auctions results
            link = card.child("a", href=True)
            m = _ITEM.search(link["href"]) if link else None
            if not m:
                continue
            seller = text_of(card.select_one(".product_seller")) or None
            image = card.select_one(".product_image[data-src]")
            listings.append(Listing(
                site=self.name, item_id=m.group(1), url=web_url(url, self.base_url, link["href"]),
                title=text_of(card.select_one(".product_title")), price=_price(card.select_one(".product_price"))[0],
                currency="JPY", buy_now_price=_price(card.select_one(".product_bidorbuy"))[0],
                bids=parse_int(text_of(card.select_one(".product_em_status_bids"))), seller_id=seller, seller_name=seller,
                image_urls=tuple(u for u in [image.get("data-src") if image else None] if u),
                tags=("mirror:yahoo_auctions",),
            ))
        for card in doc.select("ul.item-lists > li.list"):  # Mercari and PayPay Flea Market results
            link = card.select_one("a[href]")
            m = _ITEM.search(link["href"]) if link else None
            if not m:
                continue
            image = card.select_one("img[data-bind]")
            lazy = re.search(r"imagePath:\s*'([^']+)'", image.get("data-bind", "")) if image else None
            mirror = _MIRROR[_mirror(urlsplit(link["href"]).path)]
            listings.append(Listing(
                site=self.name, item_id=m.group(1), url=web_url(url, self.base_url, link["href"].split("?")[0]),
                title=text_of(card.select_one("h2.name")), price=_price(card.select_one("p.price"))[0], currency="JPY",
                image_urls=tuple("https:" + lazy.group(1) if lazy.group(1).startswith("//") else lazy.group(1)
                                 for _ in [0] if lazy),
                status="sold" if card.select_one(".soldOut__text, .soldOut") else "active",
                tags=(f"mirror:{mirror}",),
            ))
        if not listings:
            raise self.not_a("search", url, "no result cards (.product_whole or ul.item-lists > li.list)")
        unique = tuple({x.item_id: x for x in listings}.values())
        return SearchPage(tuple(x.url for x in unique), next_link(doc, url, self.base_url, ".pagination .next a[href]"), unique)

    # --- item pages ------------------------------------------------------------------------------
    def parse_item(self, html: str, url: str) -> Listing:
        doc = tree(html)
        if doc.select_one("#itemHeader h1"):
            return self._yahoo_item(doc, url)
        if doc.select_one("h1.m-goodsName"):
            return self._flea_item(doc, url, "h1.m-goodsName", ".m-goodsDetail__price", 'a[href^="/mercari/search?seller="]')
        if doc.select_one("h1.flmIdp__itemName"):
            return self._flea_item(doc, url, "h1.flmIdp__itemName", ".flmIdp__itemPrice",
                                   'a[href^="/paypayfleamarket/search?seller_id="]')
        raise self.not_a("item", url, "no Yahoo (#itemHeader), Mercari (h1.m-goodsName) or PayPay (h1.flmIdp__itemName) item")

    def _yahoo_item(self, doc: Node, url: str) -> Listing:
        rows = {}
        for li in doc.select("#itemDetail_data li"):
            label, value = li.select_one("em"), li.select_one("span")
            if label is not None and value is not None:
                rows[" ".join(label.own_texts()).split("(")[0].strip() or text_of(label)] = text_of(value)
        seller = None
        for dl in doc.select("dl"):
            if "Seller" in text_of(dl.select_one("dt")):
                seller = dl.select_one("dd a")
                break
        seller_name = text_of(seller) or None
        current = _price(doc.select_one(".current_price .current_price_output em"))[0]
        buy_now = _price(doc.select_one(".current_price .snaipe_price em"))[0]
        m = _ITEM.search(urlsplit(url).path)
        item_id = rows.get("Auction ID") or (m.group(1) if m else url)
        return Listing(
            site=self.name, item_id=item_id, url=web_url(url, self.base_url, f"/item/yahoo/auction/{item_id}") if not m else url, title=text_of(doc.select_one("#itemHeader h1")),
            description=text_of(doc.select_one("#auction_item_description")),
            price=current if current is not None else buy_now, currency="JPY", buy_now_price=buy_now,
            start_price=parse_money(rows.get("Opening Price"), "JPY")[0], bids=parse_int(rows.get("Number of Bids")),
            seller_id=seller_name, seller_name=seller_name,
            seller_url=web_url(url, self.base_url, seller["href"]) if seller is not None and seller.get("href") else None,
            category=" > ".join(text_of(a) for a in doc.select(".cat_navi a")) or None,
            image_urls=tuple(a["href"] for a in doc.select("#itemPhoto_sec .slides a[href]")),
            end_time=_english_time(_row_starting(rows, "Closing Time")),
            tags=("mirror:yahoo_auctions",),
        )

    def _flea_item(self, doc: Node, url: str, title_sel: str, price_sel: str, seller_sel: str) -> Listing:
        home = self._home(doc, url)
        m = _ITEM.search(urlsplit(home).path) or _ITEM.search(urlsplit(meta(doc, "og:url") or "").path)
        seller = doc.select_one(seller_sel)
        seller_id = re.search(r"seller(?:_id)?=([^&]+)", seller["href"]).group(1) if seller is not None else None
        price, currency = parse_money(text_of(doc.select_one(price_sel)), "JPY")
        image = meta(doc, "og:image")
        mirror = _MIRROR[_mirror(urlsplit(home).path)]
        return Listing(
            site=self.name, item_id=m.group(1) if m else url, url=home.split("?")[0], title=text_of(doc.select_one(title_sel)),
            price=price, currency=currency, seller_id=seller_id, seller_name=text_of(seller) or None,
            seller_url=web_url(url, self.base_url, seller["href"]) if seller is not None else None,
            image_urls=(image,) if image else (), status="sold" if doc.select_one(".soldOut, .soldOut__text") else "active",
            tags=(f"mirror:{mirror}",),
        )


def _row_starting(rows: dict[str, str], prefix: str) -> str | None:
    return next((v for k, v in rows.items() if k.startswith(prefix)), None)


def _english_time(text: str | None) -> datetime | None:
    """'19 Jul 2018 23:33:56' (Japan time)."""
    if not text:
        return None
    try:
        return datetime.strptime(" ".join(text.split()[:4]), "%d %b %Y %H:%M:%S").replace(tzinfo=JST)
    except ValueError:
        return None
