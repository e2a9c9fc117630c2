"""Mercari's own API (api.mercari.jp) as it answers: `v2/entities:search` and `items/get` JSON.

The web pages render in the browser from these answers; a saved answer (or one a run was handed) is read
here as a search or an item page. `isNoPrice` and the 9999999 placeholder are no price; sold and trading
items are sold; Mercari Shops items (ITEM_TYPE_BEYOND) are marked `shop`.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode, urlsplit, parse_qsl, urlunsplit

from auditor.errors import ParseError, Removed
from auditor.models import Listing, SearchPage
from auditor.sites.extract import to_decimal

NO_PRICE = 9_999_999  # what Mercari puts where a seller gave no price
WEB = "https://jp.mercari.com"
_SOLD = {"ITEM_STATUS_SOLD_OUT", "ITEM_STATUS_TRADING", "sold_out", "trading"}


def looks_like_api(text: str) -> bool:
    head = text.lstrip()[:200]
    return head.startswith("{") and ('"items"' in text[:5000] or '"result"' in head or '"data"' in head)


def load(text: str, url: str) -> dict:
    try:
        data = json.loads(text)
    except ValueError as e:
        raise ParseError(url, f"not Mercari API JSON: {e}") from None
    if not isinstance(data, dict):
        raise ParseError(url, "not Mercari API JSON: not an object")
    return data


def is_search(data: dict) -> bool:
    return isinstance(data.get("items"), list)


def _price(value, no_price: bool):
    price = to_decimal(value)
    return None if no_price or (price is not None and price >= NO_PRICE) else price


def _item_url(item_id: str, shop: bool) -> str:
    return f"{WEB}/shops/product/{item_id}" if shop else f"{WEB}/item/{item_id}"


def search(data: dict, url: str, site: str) -> SearchPage:
    listings = []
    for it in data["items"]:
        if not isinstance(it, dict) or not it.get("id"):
            continue
        shop = it.get("itemType") == "ITEM_TYPE_BEYOND"
        item_id = str(it["id"])
        listings.append(Listing(
            site=site, item_id=item_id, url=_item_url(item_id, shop), title=str(it.get("name") or ""),
            price=_price(it.get("price"), bool(it.get("isNoPrice"))), currency="JPY",
            seller_id=str(it["sellerId"]) if it.get("sellerId") else None,
            image_urls=tuple(str(u) for u in it.get("thumbnails") or [] if isinstance(u, str))[:1],
            status="sold" if it.get("status") in _SOLD else "active",
            labels=("shop",) if shop else (),
        ))
    meta = data.get("meta") if isinstance(data.get("meta"), dict) else {}
    token = meta.get("nextPageToken")
    total = meta.get("numFound")
    return SearchPage(tuple(x.url for x in listings), _with_token(url, token) if token else None, tuple(listings),
                      int(total) if str(total or "").isdigit() else None)


def _with_token(url: str, token: str) -> str:
    """The search's next page: its own address with the API's page token."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in ("page_token", "pageToken")]
    return urlunsplit(parts._replace(query=urlencode([*query, ("page_token", token)])))


def item(data: dict, url: str, site: str) -> Listing:
    body = data.get("data")
    if data.get("result") not in (None, "OK") or not isinstance(body, dict) or not body.get("id"):
        errors = data.get("errors") or data.get("result")
        raise Removed(url, f"Mercari's API says the item is not there ({json.dumps(errors, ensure_ascii=False)[:200]})")
    seller = body.get("seller") if isinstance(body.get("seller"), dict) else {}
    category = body.get("item_category") if isinstance(body.get("item_category"), dict) else {}
    path = [category.get(k) for k in ("root_category_name", "parent_category_name", "name")]
    condition = body.get("item_condition") if isinstance(body.get("item_condition"), dict) else {}
    shop = body.get("is_shop_item") == "yes"
    item_id = str(body["id"])
    return Listing(
        site=site, item_id=item_id, url=_item_url(item_id, shop), title=str(body.get("name") or ""),
        description=str(body.get("description") or ""),
        price=_price(body.get("price"), bool(body.get("is_no_price") or body.get("isNoPrice"))), currency="JPY",
        seller_id=str(seller["id"]) if seller.get("id") is not None else None, seller_name=seller.get("name"),
        seller_url=f"{WEB}/user/profile/{seller['id']}" if seller.get("id") is not None else None,
        category=" > ".join(str(p) for p in path if p) or None,
        tags=tuple(str(t) for t in body.get("hash_tags") or [] if isinstance(t, str)),
        image_urls=tuple(str(u) for u in body.get("photos") or [] if isinstance(u, str)),
        status="sold" if body.get("status") in _SOLD else "active",
        condition=condition.get("name"), labels=("shop",) if shop else (),
    )
