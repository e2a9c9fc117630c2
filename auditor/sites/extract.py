"""Reading data where marketplaces keep it: embedded JSON first, then what the page shows.

- `next_data_of`: Next.js pages router, `<script id="__NEXT_DATA__" type="application/json">`.
- `flight_text`: Next.js app router, the `self.__next_f.push([1, "..."])` chunks, joined and unescaped.
- `json_ld`: every schema.org object in `<script type="application/ld+json">`, `@graph`s flattened.
- `parse_money`: "3,440円", "US $0.01", "EUR 10,79", "€ 1,00", "NT$ 5,751", "$100.00 to $150.00"
  as an exact Decimal and an ISO currency code.
"""

from __future__ import annotations

import json
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Iterator

if TYPE_CHECKING:
    from auditor.sites.tree import Node


# Longest marks first: "NT$" and "US $" before "$".
_CURRENCIES = [
    ("NT$", "TWD"), ("TWD", "TWD"), ("US $", "USD"), ("US$", "USD"), ("USD", "USD"), ("C $", "CAD"), ("CAD", "CAD"),
    ("AU $", "AUD"), ("AUD", "AUD"), ("HK$", "HKD"), ("円", "JPY"), ("JPY", "JPY"), ("YEN", "JPY"), ("¥", "JPY"),
    ("￥", "JPY"), ("EUR", "EUR"), ("€", "EUR"), ("GBP", "GBP"), ("£", "GBP"), ("$", "USD"),
]
_URL = re.compile(r"https?://[^\s\"'<>()（）「」、。]+")  # up to a space, a quote, a bracket or Japanese punctuation


def urls_in(text: str, most: int) -> tuple[str, ...]:
    """The first `most` web addresses written in a text (a description, a shop's profile)."""
    return tuple(_URL.findall(text or ""))[:most]


_AMOUNT = re.compile(r"\d[\d.,\s\u00a0\u202f]*")
NO_DECIMALS = {"JPY", "TWD"}


def currency_of(text: str) -> str | None:
    upper = text.upper()
    for mark, code in _CURRENCIES:
        if mark.upper() in upper:
            return code
    return None


def _number(raw: str, currency: str | None) -> Decimal | None:
    digits = re.sub(r"[\s\u00a0\u202f]", "", raw).strip(".,")
    if not digits:
        return None
    last_comma, last_dot = digits.rfind(","), digits.rfind(".")
    if last_comma >= 0 and last_dot >= 0:  # both: the later one is the decimal mark
        decimal_mark = "," if last_comma > last_dot else "."
    elif last_comma >= 0 or last_dot >= 0:
        mark = "," if last_comma >= 0 else "."
        tail = digits.rsplit(mark, 1)[1]
        grouped = len(tail) == 3 and (digits.count(mark) > 1 or currency in NO_DECIMALS or mark == "," or currency == "EUR")
        decimal_mark = None if grouped or currency in NO_DECIMALS else mark
    else:
        decimal_mark = None
    thousands = {",", "."} - {decimal_mark}
    cleaned = "".join(ch for ch in digits if ch not in thousands)
    if decimal_mark:
        cleaned = cleaned.replace(decimal_mark, ".")
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        return None


def parse_money(text: str | None, default_currency: str | None = None) -> tuple[Decimal | None, str | None]:
    """The first amount in a price text, and its currency; a range gives its low end."""
    if not text:
        return None, default_currency
    text = " ".join(unicodedata.normalize("NFKC", text).split())  # １，０００円 is 1,000円
    first = re.split(r"\(|（| to | - |〜|~", text, maxsplit=1)[0]  # "8,299 YEN (NT$1,782)", "$100 to $150"
    currency = currency_of(first) or currency_of(text) or default_currency
    m = _AMOUNT.search(first)
    return (_number(m.group(0), currency) if m else None), currency


_NEXT_DATA = re.compile(r'<script[^>]*\bid="__NEXT_DATA__"[^>]*>(.*?)</script>', re.S)


@lru_cache(maxsize=8)
def next_data_of(html: str) -> dict | None:
    """`__NEXT_DATA__` straight from the page's text (no tree of the page); the last few pages are remembered,
    since a profile asks for it while deciding what the page is and again while reading it."""
    m = _NEXT_DATA.search(html)
    if m is None:
        return None
    try:
        data = json.loads(m.group(1))
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def dig(data: Any, *path: str | int) -> Any:
    """data[p0][p1]... or None where any step is missing."""
    for step in path:
        if isinstance(data, dict) and isinstance(step, str):
            data = data.get(step)
        elif isinstance(data, list) and isinstance(step, int) and -len(data) <= step < len(data):
            data = data[step]
        else:
            return None
    return data


_FLIGHT = re.compile(r"self\.__next_f\.push\(\[1,\s*(?=\")")
_JSON = json.JSONDecoder(strict=False)  # as the regex it replaced, a raw control character is taken


def flight_text(html: str) -> str:
    """The app router's flight chunks as one unescaped text (data is found in it with regexes). Each chunk's
    string literal is read by json's C decoder where it starts (a regex walking it character by character cost
    ten times the page's parse on a 350 KB item page)."""
    out = []
    for m in _FLIGHT.finditer(html):
        try:
            chunk, end = _JSON.raw_decode(html, m.end())
        except ValueError:
            continue
        if isinstance(chunk, str) and html.startswith("])", end):
            out.append(chunk)
    return "".join(out)


_CDATA = re.compile(r"^\s*(?://\s*)?<!\[CDATA\[|(?://\s*)?\]\]>\s*$")


def _flatten(obj: Any) -> Iterator[dict]:
    if isinstance(obj, list):
        for x in obj:
            yield from _flatten(x)
    elif isinstance(obj, dict):
        yield obj
        if "@graph" in obj:
            yield from _flatten(obj["@graph"])


def json_ld(html: str) -> list[dict]:
    """The JSON-LD objects a page declares, read from the page's one tree; the last few pages' objects are
    remembered (a profile asks while deciding what a page is, and again while reading it)."""
    return list(_json_ld_of(html))


@lru_cache(maxsize=8)
def _json_ld_of(html: str) -> tuple[dict, ...]:
    return tuple(_json_ld(html))


def _json_ld(html: str) -> list[dict]:
    out = []
    for text in _ld_texts(html):
        text = _CDATA.sub("", text)  # FANZA writes its JSON-LD inside //<![CDATA[ ... //]]>
        try:
            out.extend(_flatten(json.loads(text)))
        except ValueError:
            continue
    return out


def _ld_texts(html: str) -> list[str]:
    from auditor.sites.tree import tree  # the page's one parse, shared with the profile reading it

    return [s.el.text(deep=True) for s in tree(html).select("script[type]")
            if (s.get("type") or "").strip().lower() == "application/ld+json"]


def ld_first(page: str, kind: str) -> dict | None:
    """A page's first JSON-LD object of a schema.org type (Product, Store, ...), or None."""
    return next((o for o in json_ld(page) if kind in ld_types(o)), None)


def ld_types(obj: dict) -> set[str]:
    t = obj.get("@type")
    return set(t) if isinstance(t, list) else {t} if isinstance(t, str) else set()


def meta(doc: Node, prop: str) -> str | None:
    tag = doc.select_one(f'meta[property="{prop}"]') or doc.select_one(f'meta[name="{prop}"]')
    return tag.get("content") if tag else None


def to_decimal(value: Any) -> Decimal | None:
    if value is None or value == "" or isinstance(value, (bool, dict, list, tuple)):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return parse_money(str(value))[0]

