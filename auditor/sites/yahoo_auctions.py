"""Yahoo! Auctions Japan (auctions.yahoo.co.jp).

- Search results (`/search/search`): server-rendered cards, `li.Product`, with stable BEM classes;
  the data sits in `data-auction-*` attributes. Promoted cards repeat: one listing per id.
- Sold-listings search (`/closedsearch/...`) and seller pages (`/seller/ID`): Next.js; the results
  are in `__NEXT_DATA__` under initialState.search.items.listing. Flea-market (`z…`) items among
  them belong to PayPay Flea Market and are not followed from here.
- Item pages (`/jp/auction/ID`): Next.js with build-hashed class names; everything is read from
  `__NEXT_DATA__` (initialState.item.detail.item). The 2021 server-rendered markup
  (`h1.ProductTitle__text`) is still read, as a fallback.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from urllib.parse import quote, urljoin, urlsplit

from auditor.models import Listing, PageKind, SearchPage
from auditor.sites.base import SiteProfile, next_link, parse_int, parse_time, text_of, web_url
from auditor.sites.extract import dig, next_data_of, parse_money, to_decimal
from auditor.sites.tree import Node, tree

JST = timezone(timedelta(hours=9))
PER_PAGE = 50
_ITEM_PATH = re.compile(r"/jp/auction/([a-z]\d+)")


def _listing_path(data: dict | None) -> dict | None:
    return dig(data, "props", "pageProps", "initialState", "search", "items", "listing")


def _item_detail(data: dict | None) -> dict | None:
    return dig(data, "props", "pageProps", "initialState", "item", "detail", "item")


def _status(open_or_closed: str | None, bids: int | None) -> str:
    if (open_or_closed or "open").lower() in ("open", "active"):
        return "active"
    return "sold" if bids else "ended"


class YahooAuctions(SiteProfile):
    name = "yahoo_auctions"
    listing_block = "main"
    marks = ("yahoo.co.jp", "yimg.jp")
    seller_page = r"^https?://auctions\.yahoo\.co\.jp/seller/(?P<id>[A-Za-z0-9_-]+)"
    title = "Yahoo! Auctions Japan (ヤフオク!)"
    base_url = "https://auctions.yahoo.co.jp"
    domains = ("auctions.yahoo.co.jp",)  # its hosts, and their subdomains: how a saved page names its venue
    needs_browser = False
    page_kinds = ("search", "sold search", "seller", "item", "ended item")
    has_category = True

    def search_url(self, base_url: str, query: str, page: int = 1, category: str | None = None) -> str:
        url = f"{base_url.rstrip('/')}/search/search?p={quote(query)}&b={(page - 1) * PER_PAGE + 1}&n={PER_PAGE}"
        return url + (f"&auccat={quote(category)}" if category else "")

    def page_kind(self, url: str) -> PageKind:
        return PageKind.ITEM if _ITEM_PATH.search(urlsplit(url).path) else PageKind.SEARCH

    def detect_kind(self, html: str, url: str) -> PageKind | None:
        if "ProductTitle__text" in html:
            return PageKind.ITEM
        if "Product__titleLink" in html:
            return PageKind.SEARCH
        data = next_data_of(html) if "__NEXT_DATA__" in html else None
        if isinstance(_item_detail(data), dict):
            return PageKind.ITEM
        if isinstance(_listing_path(data), dict):
            return PageKind.SEARCH
        return None


    # --- search pages ----------------------------------------------------------------------------
    def parse_search(self, html: str, url: str) -> SearchPage:
        doc, data = tree(html), next_data_of(html)
        listing = _listing_path(data)
        if isinstance(listing, dict) and isinstance(listing.get("items"), list):
            closed = "closedsearch" in str((data or {}).get("page") or url)  # sold listings, not open ones
            return self._search_from_json(doc, data, listing, url, closed)
        cards = doc.select("li.Product")
        if cards:
            return self._search_from_cards(doc, cards, url)
        raise self.not_a("search", url, "no result cards (li.Product) and no search data in __NEXT_DATA__")

    def _search_from_cards(self, doc: Node, cards, url: str) -> SearchPage:
        seen: dict[str, Listing] = {}
        for card in cards:
            link = card.select_one("a.Product__titleLink[data-auction-id]")
            if link is None:
                continue
            item_id = link["data-auction-id"]
            if item_id in seen:
                continue  # a promoted card shown again further down
            bonus = card.select_one(".Product__bonus") or link
            prices = {text_of(p.select_one(".Product__label")): p.select_one(".Product__priceValue")
                      for p in card.select(".Product__price")}
            current = parse_money(text_of(prices.get("現在")), "JPY")[0] if prices.get("現在") else None
            buy_now = parse_money(text_of(prices.get("即決")), "JPY")[0] if prices.get("即決") else None
            end = bonus.get("data-auction-endtime")
            seen[item_id] = Listing(
                site=self.name, item_id=item_id, url=urljoin(url, link.get("href") or f"/jp/auction/{item_id}"),
                title=link.get("data-auction-title") or text_of(link),
                price=current if current is not None else to_decimal(link.get("data-auction-price")), currency="JPY",
                buy_now_price=buy_now if buy_now is not None else to_decimal(
                    None if bonus.get("data-auction-buynowprice") in (None, "", "0") else bonus.get("data-auction-buynowprice")),
                start_price=to_decimal(bonus.get("data-auction-startprice")),
                bids=parse_int(text_of(card.select_one(".Product__bid"))),
                seller_id=bonus.get("data-auction-auc-seller-id") or None,
                category=link.get("data-auction-category") or None,
                tags=tuple(text_of(i) for i in card.select(".Product__icon")),
                image_urls=tuple(u for u in [link.get("data-auction-img")] if u),
                end_time=datetime.fromtimestamp(int(end), JST) if end and end.isdigit() else None,
            )
        total = parse_int(text_of(doc.select_one("li.Tab__item--current span.Tab__subText")))
        listings = tuple(seen.values())
        return SearchPage(tuple(x.url for x in listings), next_link(doc, url, self.base_url, ".Pager__list--next a[href]"),
                          listings, total)

    def _search_from_json(self, doc: Node, data: dict, listing: dict, url: str, closed: bool) -> SearchPage:
        listings = []
        for it in listing["items"]:
            if not isinstance(it, dict) or not it.get("auctionId"):
                continue
            item_id = str(it["auctionId"])
            flea = bool(it.get("isFleamarketItem"))
            item_url = (f"https://paypayfleamarket.yahoo.co.jp/item/{item_id}" if flea
                        else web_url(url, self.base_url, f"/jp/auction/{item_id}"))
            seller = it.get("seller") or {}
            bids = it.get("bidCount")
            end = parse_time(it.get("endTime"))
            listings.append(Listing(
                site="paypay_fleamarket" if flea else self.name, item_id=item_id, url=item_url,
                title=str(it.get("title") or ""), price=to_decimal(it.get("price")), currency="JPY",
                buy_now_price=to_decimal(it.get("buyNowPrice")), bids=bids,
                seller_id=seller.get("userId") or None,
                seller_name=None if set(str(seller.get("displayName") or "*")) == {"*"} else seller.get("displayName"),
                category=" > ".join(c.get("name", "") for c in it.get("categoryPath") or [] if isinstance(c, dict)) or None,
                image_urls=tuple(u for u in [it.get("imageUrl")] if u), end_time=end,
                status=_status("closed" if closed else "open", bids),
            ))
        owner = dig(data, "props", "pageProps", "initialState", "user", "seller")  # on a seller's page
        if isinstance(owner, dict) and owner.get("aucUserId"):
            listings = [replace(x, seller_id=owner["aucUserId"], seller_name=owner.get("displayName"),
                                seller_url=web_url(url, self.base_url, f"/seller/{owner['aucUserId']}"))
                        if x.site == self.name else x for x in listings]
        own = tuple(x.url for x in listings if x.site == self.name)
        return SearchPage(own, next_link(doc, url, self.base_url, ".Pager__list--next a[href]"), tuple(listings),
                          listing.get("totalResultsAvailable"))

    # --- item pages ------------------------------------------------------------------------------
    def parse_item(self, html: str, url: str) -> Listing:
        doc, item = tree(html), _item_detail(next_data_of(html))
        if isinstance(item, dict) and item.get("auctionId"):
            return self._item_from_json(doc, item, url)
        if doc.select_one("h1.ProductTitle__text") is not None:
            return self._item_from_markup(doc, url)
        raise self.not_a("item", url, "no item data in __NEXT_DATA__ and no h1.ProductTitle__text")

    def _item_from_json(self, doc: Node, item: dict, url: str) -> Listing:
        seller = item.get("seller") or {}
        bids = item.get("bids")
        description = item.get("description")  # a list of lines, cut short on long descriptions
        if item.get("descriptionHtml"):
            description = tree(str(item["descriptionHtml"])).get_text("\n", strip=True)
        elif isinstance(description, list):
            description = "\n".join(str(line) for line in description).strip()
        path = dig(item, "category", "path") or []
        seller_id = seller.get("aucUserId")
        return Listing(
            site=self.name, item_id=str(item["auctionId"]),
            url=url if url.startswith(("http://", "https://")) else item.get("auctionItemUrl") or url,
            title=text_of(doc.select_one("h1")) if not item.get("title") else str(item["title"]),
            description=str(description or ""), price=to_decimal(item.get("price")), currency="JPY",
            buy_now_price=to_decimal(item.get("bidorbuy")), start_price=to_decimal(item.get("initPrice")), bids=bids,
            seller_id=seller_id, seller_name=seller.get("displayName"),
            seller_url=web_url(url, self.base_url, f"/seller/{seller_id}") if seller_id else None,
            category=" > ".join(str(c.get("name", "")) for c in path if isinstance(c, dict)) or None,
            tags=tuple(t.strip() for t in str(item.get("keyword") or "").split(",") if t.strip()),
            image_urls=tuple(i["image"] for i in item.get("img") or [] if isinstance(i, dict) and i.get("image")),
            end_time=parse_time(item.get("endTime")), status=_status(item.get("status"), bids),
        )

    def _item_from_markup(self, doc: Node, url: str) -> Listing:
        rows = {text_of(dt): dt.next_element() for dt in doc.select(".ProductDetail__title")}

        def row(label: str) -> str:
            node = rows.get(label)
            return text_of(node).lstrip("：:").strip() if node is not None else ""

        price_node = doc.select_one(".Price__value")
        price_text = price_node.own_text() if price_node else ""
        seller = doc.select_one(".Seller__name a") or doc.select_one(".Seller__name")
        m = _ITEM_PATH.search(urlsplit(url).path)
        ended = doc.select_one(".ClosedHeader__tag") is not None
        bids_node = doc.select_one(".Count__number")
        bids = parse_int(bids_node.first_own_text() if bids_node else None)
        return Listing(
            site=self.name, item_id=row("オークションID") or (m.group(1) if m else url), url=url,
            title=text_of(doc.select_one("h1.ProductTitle__text")),
            description=text_of(doc.select_one(".ProductExplanation__commentBody")),
            price=parse_money(price_text, "JPY")[0], currency="JPY",
            start_price=parse_money(row("開始価格"), "JPY")[0] if row("開始価格") else None, bids=bids,
            seller_id=(seller.get("href") or "").rstrip("/").rsplit("/", 1)[-1] or None if seller else None,
            seller_name=text_of(seller) or None, seller_url=urljoin(url, seller["href"]) if seller is not None and seller.get("href") else None,
            image_urls=tuple(i.get("src") for i in doc.select("li.ProductImage__image img") if i.get("src")),
            end_time=_old_time(row("終了日時")), status=_status("closed" if ended else "open", bids),
        )


_OLD_TIME = re.compile(r"(\d{4})\.(\d{1,2})\.(\d{1,2})\D+(\d{1,2}):(\d{2})")


def _old_time(text: str) -> datetime | None:
    """'2021.08.28（土）23:29' in Japan time."""
    m = _OLD_TIME.search(text or "")
    if not m:
        return None
    y, mo, d, h, mi = map(int, m.groups())
    return datetime(y, mo, d, h, mi, tzinfo=JST)
