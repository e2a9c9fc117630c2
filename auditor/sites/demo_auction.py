"""The demo marketplace's auction section: server-rendered pages, like Yahoo! Auctions."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import lxml.html

from auditor.errors import AgeGate, CrawlError, ParseError, Removed, Unrendered
from auditor.models import Listing, PageKind, SearchPage
from auditor.sites.base import SiteProfile, absolute, parse_int, parse_price, parse_time, text_of
from auditor.sites.tree import tree
from auditor.values import stored_labels


class DemoAuction(SiteProfile):
    name = "demo_auction"
    listing_block = "main.ProductDetail"
    labels = ("adult", "ai_generated")
    title = "Demo marketplace: auctions (server-rendered)"
    needs_browser = False

    newest_first = True  # its search takes sort=new

    def search_url(self, base_url: str, query: str, page: int = 1, category: str | None = None) -> str:
        return f"{base_url.rstrip('/')}/auction/search?q={quote(query)}&p={page}&sort=new"

    def page_kind(self, url: str) -> PageKind:
        return PageKind.ITEM if urlsplit(url).path.startswith("/auction/item/") else PageKind.SEARCH

    def page_state(self, html: str, url: str) -> CrawlError | None:
        """The demo's own pages that hold nothing to read (its pages are ours: plain string checks suffice)."""
        state = super().page_state(html, url)
        if state is not None:
            return state
        if 'class="Removed"' in html:
            return Removed(url, "the demo marketplace says 「この商品は削除されました」")
        if 'class="AgeGate"' in html:
            return AgeGate(url, "the demo marketplace asks for age confirmation; set the target's "
                                "headers: {Cookie: age_ok=1} to let a reviewer through")
        if 'class="Skeleton"' in html and 'class="Product"' not in html:
            cells = html.count('class="Skeleton"')
            return Unrendered(url, f"{cells} result cells not drawn yet (not 0 results)")
        return None

    def parse_search(self, html: str, url: str) -> SearchPage:
        doc = tree(html)
        if doc.select_one("ul.Products__items") is None:
            raise ParseError(url, f"not a search page of {self.name}: no result list found")
        links, cards = [], []
        for li in doc.select("li.Product"):
            a = li.select_one("a.Product__titleLink")
            link = absolute(url, a.get("href")) if a is not None else None
            if not link:
                continue
            links.append(link)
            seller = li.select_one(".Product__seller")
            price = parse_price(text_of(li.select_one(".Product__priceValue")))
            end, mark = li.select_one("time.Product__time"), li.select_one(".Product__status")  # the card's marks:
            # an auction's end and a sold or ended listing, which the crawl budget compares with what is stored
            cards.append(Listing(site=self.name, item_id=li.get("data-item-id") or link.rsplit("/", 1)[-1], url=link,
                                 title=text_of(a), price=price, currency="JPY" if price is not None else None,
                                 bids=parse_int(text_of(li.select_one(".Product__bid"))),
                                 seller_id=seller.get("data-seller-id") if seller is not None else None,
                                 seller_name=text_of(seller) or None,
                                 end_time=parse_time(end.get("datetime")) if end is not None else None,
                                 status=(mark.get("data-status") if mark is not None else None) or "active"))
        nxt = doc.select_one("a.Pager__link[rel=next]")
        return SearchPage(tuple(dict.fromkeys(links)), absolute(url, nxt.get("href")) if nxt else None, tuple(cards))

    def parse_item(self, html: str, url: str) -> Listing:
        # lxml and XPath straight, not a BeautifulSoup tree: this page is read on every audit, thousands of times
        doc = lxml.html.fromstring(html)
        main = _one(doc, "//main[contains(@class, 'ProductDetail')][@data-item-id]")
        title = _one(main, ".//h1[contains(@class, 'ProductTitle__text')]") if main is not None else None
        if main is None or title is None:
            raise ParseError(url, f"not an item page of {self.name}: no {'item' if main is None else 'title'} found")
        price = _one(main, ".//dd[contains(@class, 'Price__value')]")
        buy_now = _one(main, ".//dd[contains(@class, 'Price__buynow')]")
        seller = _one(main, ".//a[contains(@class, 'Seller__name')]")
        end = _one(main, ".//time[contains(@class, 'EndTime')]")
        status = _one(main, ".//*[contains(@class, 'Status')]")
        category = _one(main, ".//ul[contains(@class, 'Category')]/li")
        return Listing(
            site=self.name,
            item_id=main.get("data-item-id"),
            url=url,
            title=_text(title),
            description=_text(_one(main, ".//*[contains(@class, 'ProductExplanation__commentBody')]")),
            price=parse_price(price.get("data-price") if price is not None else None),
            currency="JPY" if price is not None else None,
            buy_now_price=parse_price(buy_now.get("data-price") if buy_now is not None else None),
            bids=parse_int(_text(_one(main, ".//dd[contains(@class, 'Count__bids')]"))),
            seller_id=seller.get("data-seller-id") if seller is not None else None,
            seller_name=_text(seller) or None,
            category=_text(category) or None,
            tags=tuple(_text(li) for li in main.xpath(".//ul[contains(@class, 'Tags')]/li")),
            labels=stored_labels([li.get("data-label") for li in main.xpath(".//ul[contains(@class, 'Badges')]/li")]),
            image_urls=tuple(u for u in (absolute(url, i.get("src"))
                                         for i in main.xpath(".//*[contains(@class, 'ProductImage')]//img")) if u),
            end_time=parse_time(end.get("datetime") if end is not None else None),
            status=(status.get("data-status") if status is not None else None) or "active",
            seller_url=absolute(url, seller.get("href")) if seller is not None else None,
        )


def _one(node, xpath: str):
    found = node.xpath(xpath)
    return found[0] if found else None


def _text(node) -> str:
    """Text as BeautifulSoup's get_text(" ", strip=True) gives it: pieces stripped, joined by a space."""
    if node is None:
        return ""
    return " ".join(t.strip() for t in node.itertext() if t.strip())
