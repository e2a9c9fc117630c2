"""What every site profile provides, and the small parsing helpers they share."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from datetime import datetime
from decimal import Decimal, InvalidOperation
from urllib.parse import urljoin

from bs4 import BeautifulSoup, Tag

from auditor.errors import ParseError
from auditor.models import Listing, PageKind, SearchPage


class SiteProfile(ABC):
    """One marketplace: where its searches live and how to read its pages."""

    name: str
    title: str
    needs_browser: bool = False
    ready_selector: str | None = None  # the browser waits for this before reading the page

    @abstractmethod
    def search_url(self, base_url: str, query: str, page: int = 1) -> str: ...

    @abstractmethod
    def page_kind(self, url: str) -> PageKind: ...

    @abstractmethod
    def parse_search(self, html: str, url: str) -> SearchPage: ...

    @abstractmethod
    def parse_item(self, html: str, url: str) -> Listing: ...

    def parse(self, html: str, url: str) -> SearchPage | Listing:
        if self.page_kind(url) is PageKind.SEARCH:
            return self.parse_search(html, url)
        return self.parse_item(html, url)


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "lxml")


def text_of(node: Tag | None) -> str:
    return node.get_text(" ", strip=True) if node is not None else ""


def required(node: Tag | None, what: str, url: str, site: str) -> Tag:
    if node is None:
        raise ParseError(url, f"not an item page of {site}: no {what} found")
    return node


_NUMBER = re.compile(r"\d[\d,.\s]*")


def parse_price(text: str | None) -> Decimal | None:
    """'3,440円', '¥3,440', '3440' -> Decimal('3440'); None when there is no number."""
    if not text:
        return None
    m = _NUMBER.search(text)
    if not m:
        return None
    try:
        return Decimal(m.group(0).replace(",", "").replace(" ", "").strip().rstrip("."))
    except InvalidOperation:
        return None


def parse_int(text: str | None) -> int | None:
    value = parse_price(text)
    return int(value) if value is not None else None


def parse_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def absolute(base: str, href: str | None) -> str | None:
    return urljoin(base, href) if href else None
