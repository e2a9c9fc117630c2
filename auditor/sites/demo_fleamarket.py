"""The demo marketplace's flea-market section: rendered in the browser from a JSON API, like Mercari."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from auditor.errors import ParseError, Removed
from auditor.models import Listing, PageKind, SearchPage
from auditor.sites.base import SiteProfile, absolute, parse_price, required, text_of
from auditor.sites.tree import tree
from auditor.values import stored_labels


class DemoFleamarket(SiteProfile):
    name = "demo_fleamarket"
    listing_block = "main[data-testid=item]"
    labels = ("adult", "ai_generated")
    title = "Demo marketplace: flea market (rendered by JavaScript)"
    needs_browser = True
    ready_selector = "body[data-ready]"

    def search_url(self, base_url: str, query: str, page: int = 1, category: str | None = None) -> str:
        return f"{base_url.rstrip('/')}/flea/search?keyword={quote(query)}&page={page}"

    def page_kind(self, url: str) -> PageKind:
        return PageKind.ITEM if urlsplit(url).path.startswith("/flea/item/") else PageKind.SEARCH

    def parse_search(self, html: str, url: str) -> SearchPage:
        doc = tree(html)
        items = doc.select_one("ul#items")
        if items is None:
            raise ParseError(url, f"not a rendered search page of {self.name}: no item list (needs a browser)")
        links, cards = [], []
        for li in items.select("li.item-card"):
            a = li.select_one("a[href]")
            link = absolute(url, a.get("href")) if a is not None else None
            if not link:
                continue
            links.append(link)
            price = parse_price(text_of(li.select_one(".price")))
            cards.append(Listing(site=self.name, item_id=li.get("data-id") or link.rsplit("/", 1)[-1], url=link,
                                 title=text_of(a), price=price, currency="JPY" if price is not None else None))
        nxt = doc.select_one("a#next")
        return SearchPage(tuple(dict.fromkeys(links)), absolute(url, nxt.get("href")) if nxt else None, tuple(cards))

    def parse_item(self, html: str, url: str) -> Listing:
        doc = tree(html)
        if doc.select_one("[data-testid=error]") is not None:
            raise Removed(url, "the page says the listing was removed")
        main = required(doc.select_one("main[data-testid=item]"), "rendered item (needs a browser)", url, self.name)
        price = main.select_one("[data-testid=price]")
        seller = main.select_one("[data-testid=seller]")
        status = main.select_one("[data-testid=status]")
        return Listing(
            site=self.name,
            item_id=str(main["data-item-id"]),
            url=url,
            title=text_of(required(main.select_one("[data-testid=name]"), "title", url, self.name)),
            description=text_of(main.select_one("[data-testid=description]")),
            price=parse_price(price.get("data-value") if price else None),
            currency="JPY" if price else None,
            seller_id=seller.get("data-seller-id") if seller else None,
            seller_name=text_of(seller) or None,
            category=text_of(main.select_one("[data-testid=category]")) or None,
            tags=tuple(text_of(li) for li in main.select("[data-testid=tags] li")),
            labels=stored_labels([li.get("data-value") for li in main.select("[data-testid=labels] li")]),
            image_urls=tuple(u for u in (absolute(url, i.get("src")) for i in main.select("[data-testid=images] img")) if u),
            status="sold" if status is not None and status.get("data-value") == "sold" else "active",
            seller_url=absolute(url, seller.get("href")) if seller else None,
        )
