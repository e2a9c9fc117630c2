"""Values checked where they enter: every Listing a site profile reads passes through `clean_listing`.

Pages are written by the people being audited, so what a profile reads can be anything: a price
of NaN or 1e1000000, a bid count of 10**30, a seller id that is a JSON object, a lone surrogate
or a NUL in a title, a date in the year 40000. Values are repaired where that is safe (a number
written in full-width digits, a control character dropped, an overlong text cut) and dropped
where it is not (an impossible price becomes "unknown"); a listing without a usable id or
title is a parse failure of its page. Nothing downstream (matching, the store, seller rules,
reports) ever sees a value it cannot handle.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import unicodedata
from dataclasses import replace
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from auditor.errors import ParseError
from auditor.models import LABELS, Listing

MAX_PRICE = Decimal(10) ** 12  # a trillion of any currency: anything above is not a real price
MAX_BIDS = 2 ** 63 - 1
STATUSES = ("active", "ended", "sold")
_LIMITS = {"item_id": 200, "title": 1_000, "description": 20_000, "seller_id": 200, "seller_name": 300,
           "category": 300, "currency": 10, "url": 2_000, "seller_url": 2_000, "site": 100}
_LIST_LIMITS = {"tags": (50, 100), "image_urls": (50, 2_000), "image_meta": (10, 5_000), "seller_links": (20, 2_000)}
# C0 and C1 controls but tab and newline; lone surrogates; non-characters.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def web_url(value: object) -> bool:
    """An http(s) address of a sane length: the only kind a listing may point at, or the crawl may follow."""
    return isinstance(value, str) and len(value) <= _LIMITS["url"] and value.lower().startswith(("http://", "https://"))


def clean_text(value: object, limit: int, *, multiline: bool = False) -> str | None:
    """A string safe to store and show: no lone surrogates or control characters, at most `limit` long."""
    if value is None or isinstance(value, (dict, list, tuple, set, bytes)):
        return None
    text = value if isinstance(value, str) else str(value)
    text = _UNSAFE.sub("", text)
    if not multiline:
        text = text.replace("\n", " ").replace("\t", " ")
    return text.strip()[:limit]


def clean_amount(value: object) -> Decimal | None:
    """A finite, non-negative amount below MAX_PRICE; full-width digits and separators are read as such."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).replace(",", "").strip()
        m = re.search(r"-?\d+(\.\d+)?([eE][+-]?\d+)?", text)
        if not m:
            return None
        value = m.group(0)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    try:
        amount = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError):
        return None
    if not amount.is_finite() or amount < 0 or amount >= MAX_PRICE:
        return None
    return amount


def clean_count(value: object) -> int | None:
    """A non-negative whole number below 2**63 (a bid count); anything else is unknown."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).replace(",", "").strip()
        if not text.isdigit() or len(text) > 19:
            return None
        value = int(text)
    if isinstance(value, float):
        if not math.isfinite(value) or value != int(value):
            return None
        value = int(value)
    if isinstance(value, Decimal):
        if not value.is_finite() or value != value.to_integral_value():
            return None
        value = int(value)
    if not isinstance(value, int) or not 0 <= value <= MAX_BIDS:
        return None
    return value


def clean_time(value: object) -> datetime | None:
    """A time that survives conversion to UTC and back, between the years 2000 and 2200."""
    if not isinstance(value, datetime):
        return None
    try:
        aware = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        aware.astimezone(timezone.utc).isoformat()
    except (OverflowError, ValueError):
        return None
    return aware if 2000 <= aware.year <= 2200 else None


def _clean_list(values: object, count: int, limit: int, *, urls: bool = False) -> tuple[str, ...]:
    if not isinstance(values, (list, tuple)):
        return ()
    out = []
    for v in values[:count * 2]:
        text = clean_text(v, limit)
        if text and (not urls or web_url(text)) and text not in out:
            out.append(text)
    return tuple(out[:count])


def clean_listing(listing: Listing, page_url: str) -> Listing:
    """The listing with every value safe, or ParseError (a `parse` failure of its page) when it has no id or title."""
    texts = {name: clean_text(getattr(listing, name), limit, multiline=name == "description")
             for name, limit in _LIMITS.items()}
    if not texts["item_id"]:
        raise ParseError(page_url, "the page gives no usable item id")
    if texts["title"] is None:
        raise ParseError(page_url, "the page gives no usable title")
    url = texts["url"] if web_url(texts["url"]) else page_url
    seller_url = texts["seller_url"] if web_url(texts["seller_url"]) else None
    return replace(
        listing,
        **{k: v for k, v in texts.items() if k not in ("url", "seller_url", "description")},
        description=texts["description"] or "",
        url=url, seller_url=seller_url,
        price=clean_amount(listing.price), buy_now_price=clean_amount(listing.buy_now_price),
        start_price=clean_amount(listing.start_price), bids=clean_count(listing.bids),
        end_time=clean_time(listing.end_time),
        status=listing.status if listing.status in STATUSES else "active",
        tags=_clean_list(listing.tags, *_LIST_LIMITS["tags"]),
        image_urls=_clean_list(listing.image_urls, *_LIST_LIMITS["image_urls"], urls=True),
        image_meta=_clean_list(listing.image_meta, *_LIST_LIMITS["image_meta"]),
        seller_links=_clean_list(listing.seller_links, *_LIST_LIMITS["seller_links"], urls=True),
        labels=tuple(x for x in LABELS if isinstance(listing.labels, (list, tuple)) and x in listing.labels),
        list_price=clean_amount(listing.list_price), condition=clean_text(listing.condition, 100),
        published_at=clean_time(listing.published_at),
    )


def stored_labels(value) -> tuple[str, ...]:
    """A listing's labels as the store keeps them (JSON text) or as a tuple, only the ones auditor knows
    (LABELS), whatever an older or hand-edited row holds: a page shows them and never fails on them."""
    import json

    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return ()
    if not isinstance(value, (list, tuple)):
        return ()
    return tuple(x for x in LABELS if x in value)


def card_digest(card: Listing) -> str:
    """What a search result card shows of a listing, as one digest: two equal digests mean the card has nothing
    new to tell (title, prices, bids, end time, status, first picture; the picture by its path, so a marketplace
    served from another address tomorrow, the demo on another port, reads the same)."""
    first = urlsplit(card.image_urls[0]) if card.image_urls else None
    shown = [card.title, str(card.price) if card.price is not None else None,
             str(card.buy_now_price) if card.buy_now_price is not None else None, card.bids,
             card.end_time.isoformat() if card.end_time else None, card.status,
             f"{first.path}?{first.query}" if first else None]
    return hashlib.sha256(json.dumps(shown, ensure_ascii=False).encode()).hexdigest()[:32]
