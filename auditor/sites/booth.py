"""BOOTH (booth.pm, pixiv's marketplace; shops at SHOP.booth.pm), where AI illustration prints and R-18 goods sell.

Pages are rendered on the server:
- a **search** (keyword or tag, with or without `adult=include`) or a **shop** page: `li.item-card`
  cards whose `data-product-*` attributes give id, price, shop and category; the title anchor holds the
  full name (`data-product-name` is cut with "..."); `div.badge.adult` (R-18) marks the card `adult`;
  a price "¥ 750~" is a product with variations, read as its lowest price;
- an **item** page: JSON-LD Product (name, price, availability, the shop as brand) and the
  `data-product-*` attributes; every picture (`market-item-detail-item-image`). BOOTH's "OutOfStock"
  is out of stock for now (restockable), not sold: the listing stays active;
- a **removed** page (BOOTH's 404: 「お探しのページは見つかりませんでした」) and the **age gate** BOOTH shows an
  R-18 item to visitors who have not confirmed their age. A reviewer gets through it with BOOTH's own
  confirmation cookie, set on the target: `headers: {Cookie: adult=t}`.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from auditor.errors import AgeGate, CrawlError, Removed
from auditor.models import Listing, PageKind, SearchPage
from auditor.sites.base import SiteProfile, next_link, text_of, visible_text, web_url
from auditor.sites.extract import ld_first, meta, parse_money, to_decimal
from auditor.sites.tree import tree

_ITEM = re.compile(r"/items/(\d+)")
_SHOP = re.compile(r"https?://([a-z0-9-]+)\.booth\.pm", re.I)
_TOTAL = re.compile(r"([\d,]+)件あります")
_GONE = ("お探しのページは見つかりませんでした", "ページが見つかりません", "この商品は削除されました")
_GATE = ("18歳以上ですか", "年齢確認", "you 18 or older")
AGE_COOKIE = "adult=t"



class Booth(SiteProfile):
    name = "booth"
    listing_block = ".market-item-detail"
    seller_page = r"^https?://(?!www\.|accounts\.|checkout\.|manage\.)(?P<id>[a-z0-9][a-z0-9-]*)\.booth\.pm(?:/|$)"
    title = "BOOTH (pixiv)"
    base_url = "https://booth.pm"
    domains = ("booth.pm",)  # its hosts, and their subdomains: how a saved page names its venue
    page_kinds = ("search (keyword, tag, adult=include)", "item", "shop (same cards; no saved page)", "removed",
                  "age gate (headers: {Cookie: adult=t})")
    labels = ("adult", "shop")
    age_cookie = AGE_COOKIE

    newest_first = True  # sort=new (新着順), as the saved search's own pager links ask

    def search_url(self, base_url: str, query: str, page: int = 1, category: str | None = None) -> str:
        url = f"{base_url.rstrip('/')}/ja/items?adult=include&q={quote(query)}&sort=new"
        return url + (f"&page={page}" if page > 1 else "")

    def page_kind(self, url: str) -> PageKind:
        return PageKind.ITEM if _ITEM.search(urlsplit(url).path) else PageKind.SEARCH

    def detect_kind(self, html: str, url: str) -> PageKind | None:
        if 'data-product-list="market_show"' in html or ld_first(html, "Product") is not None:
            return PageKind.ITEM
        if "item-card" in html:
            return PageKind.SEARCH
        return None

    def page_state(self, html: str, url: str) -> CrawlError | None:
        state = super().page_state(html, url)
        if state is not None or "item-card" in html or 'data-product-list="market_show"' in html:
            return state
        shown = visible_text(html)
        if any(w in shown for w in _GATE):
            return AgeGate(url, f"BOOTH asks for age confirmation; set the target's headers: {{Cookie: {AGE_COOKIE}}} "
                                "(BOOTH's own confirmation) to let a reviewer through")
        gone = next((w for w in _GONE if w in shown), None)
        if gone:
            return Removed(url, f"BOOTH says 「{gone}」")
        return None

    def parse_search(self, html: str, url: str) -> SearchPage:
        if "item-card" not in html:
            raise self.not_a("search", url, "no item cards (li.item-card)")
        doc = tree(html)
        listings: dict[str, Listing] = {}
        for card in doc.select("li.item-card[data-product-id]"):
            item_id = card["data-product-id"]
            if item_id in listings:
                continue
            anchor = card.select_one(".item-card__title a[href]")
            shop = card.select_one("a.item-card__shop-name-anchor[href]")
            shown_price = text_of(card.select_one(".price"))
            price = to_decimal(card.get("data-product-price")) if card.get("data-product-price") else \
                parse_money(shown_price, "JPY")[0]
            images = [a.get("data-original") for a in card.select(".item-card__thumbnail-image[data-original]")]
            shop_match = _SHOP.match(shop["href"]) if shop is not None else None
            listings[item_id] = Listing(
                site=self.name, item_id=item_id,
                url=web_url(url, self.base_url, anchor["href"] if anchor is not None else f"/ja/items/{item_id}"),
                title=text_of(anchor) or card.get("data-product-name", ""), price=price, currency="JPY",
                seller_id=shop_match.group(1) if shop_match else card.get("data-product-brand"),
                seller_name=text_of(card.select_one(".item-card__shop-name")) or None,
                seller_url=shop["href"] if shop is not None else None,
                category=text_of(card.select_one(".item-card__category")) or None,
                image_urls=tuple(u for u in images if u),
                labels=tuple(x for x, on in (("adult", card.select_one(".badge.adult") is not None), ("shop", True)) if on),
            )
        if not listings:
            raise self.not_a("search", url, "no item cards (li.item-card)")
        found = tuple(listings.values())
        total = _TOTAL.search(text_of(doc.select_one(".u-d-flex, .search-result, h1, h2")) or "") or _TOTAL.search(html)
        return SearchPage(tuple(x.url for x in found), next_link(doc, url, self.base_url, ".pager a[rel~=next][href]"),
                          found, int(total.group(1).replace(",", "")) if total else None)

    def parse_item(self, html: str, url: str) -> Listing:
        if 'data-product-list="market_show"' not in html:
            raise self.not_a("item", url, "no BOOTH item (data-product-list=market_show)")
        product = ld_first(html, "Product")
        doc = tree(html)
        node = doc.select_one("[data-product-list=market_show][data-product-id]")
        product = product or {}
        offers = product.get("offers") if isinstance(product.get("offers"), dict) else {}
        brand = product.get("brand") if isinstance(product.get("brand"), dict) else {}
        canonical = doc.select_one("link[rel=canonical][href]")
        home = canonical["href"] if canonical is not None else (product.get("url") or url)
        m = _ITEM.search(urlsplit(home).path) or _ITEM.search(urlsplit(url).path)
        item_id = (node.get("data-product-id") if node is not None else None) or (m.group(1) if m else url)
        images = [img.get("data-origin") or img.get("src") for img in doc.select("img.market-item-detail-item-image")]
        shop_url = brand.get("url") or None
        shop_match = _SHOP.match(shop_url or "")
        adult = doc.select_one(".badge.adult, .adult-badge") is not None or "R-18" in text_of(doc.select_one("h2, h1"))
        category = " > ".join(a.get_text(strip=True) for a in doc.select("a[href*='/browse/']")
                              if a.find_parent("li", class_="item-card") is None) or None  # not the shop's other items
        return Listing(
            site=self.name, item_id=item_id, url=url if url.startswith("http") else home,
            title=product.get("name") or (node.get("data-product-name") if node is not None else "") or
            (meta(doc, "og:title") or ""), description=product.get("description") or (meta(doc, "og:description") or ""),
            price=to_decimal(offers.get("price")) if offers.get("price") is not None else
            to_decimal(node.get("data-product-price") if node is not None else None),
            currency=offers.get("priceCurrency") or "JPY",
            seller_id=shop_match.group(1) if shop_match else (node.get("data-product-brand") if node is not None else None),
            seller_name=brand.get("name"), seller_url=shop_url,
            category=category, image_urls=tuple(dict.fromkeys(u for u in images if u)) or
            tuple(u for u in [product.get("image")] if isinstance(u, str)),
            status="active",  # OutOfStock on BOOTH is "sold out for now": restockable, never "sold"
            labels=tuple(x for x, on in (("adult", adult), ("shop", True)) if on),
        )
