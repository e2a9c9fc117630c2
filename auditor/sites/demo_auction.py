"""The demo marketplace's auction section: server-rendered pages, like Yahoo! Auctions."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from auditor.errors import ParseError
from auditor.models import Listing, PageKind, SearchPage
from auditor.sites.base import SiteProfile, absolute, parse_int, parse_price, parse_time, required, soup, text_of


class DemoAuction(SiteProfile):
    name = "demo_auction"
    title = "Demo marketplace: auctions (server-rendered)"
    needs_browser = False

    def search_url(self, base_url: str, query: str, page: int = 1, category: str | None = None) -> str:
        return f"{base_url.rstrip('/')}/auction/search?q={quote(query)}&p={page}"

    def page_kind(self, url: str) -> PageKind:
        return PageKind.ITEM if urlsplit(url).path.startswith("/auction/item/") else PageKind.SEARCH

    def parse_search(self, html: str, url: str) -> SearchPage:
        doc = soup(html)
        if doc.select_one("ul.Products__items") is None:
            raise ParseError(url, f"not a search page of {self.name}: no result list found")
        links = [absolute(url, a.get("href")) for a in doc.select("li.Product a.Product__titleLink")]
        nxt = doc.select_one("a.Pager__link[rel=next]")
        return SearchPage(tuple(dict.fromkeys(u for u in links if u)), absolute(url, nxt.get("href")) if nxt else None)

    def parse_item(self, html: str, url: str) -> Listing:
        doc = soup(html)
        main = required(doc.select_one("main.ProductDetail[data-item-id]"), "item", url, self.name)
        title = text_of(required(main.select_one("h1.ProductTitle__text"), "title", url, self.name))
        price = main.select_one("dd.Price__value")
        buy_now = main.select_one("dd.Price__buynow")
        seller = main.select_one("a.Seller__name")
        end = main.select_one("time.EndTime")
        status = main.select_one(".Status")
        return Listing(
            site=self.name,
            item_id=str(main["data-item-id"]),
            url=url,
            title=title,
            description=text_of(main.select_one(".ProductExplanation__commentBody")),
            price=parse_price(price.get("data-price") if price else None),
            currency="JPY" if price else None,
            buy_now_price=parse_price(buy_now.get("data-price") if buy_now else None),
            bids=parse_int(text_of(main.select_one("dd.Count__bids"))),
            seller_id=seller.get("data-seller-id") if seller else None,
            seller_name=text_of(seller) or None,
            category=text_of(main.select_one("ul.Category li")) or None,
            tags=tuple(text_of(li) for li in main.select("ul.Tags li")),
            image_urls=tuple(u for u in (absolute(url, i.get("src")) for i in main.select(".ProductImage img")) if u),
            end_time=parse_time(end.get("datetime") if end else None),
            status=(status.get("data-status") if status else None) or "active",
            seller_url=absolute(url, seller.get("href")) if seller else None,
        )
