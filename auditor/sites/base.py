"""What every site profile provides, and the small parsing helpers they share."""

from __future__ import annotations

import re
import unicodedata
from abc import ABC, abstractmethod
from functools import lru_cache
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from auditor.crawl.blocked import block_reason
from auditor.errors import Blocked, CrawlError, ParseError, Removed
from auditor.models import Listing, PageKind, SearchPage

if TYPE_CHECKING:
    from auditor.sites.tree import Node


MAX_PROOF = 2_000_000  # characters of a removed page kept as its proof


class SiteProfile(ABC):
    """One marketplace: where its searches live and how to read its pages."""

    name: str
    title: str
    base_url: str = ""  # where the site lives; targets may point elsewhere (a mirror, a test server)
    needs_browser: bool = False
    ready_selector: str | None = None  # the browser waits for this before reading the page
    listing_block: str | None = None  # CSS: the listing's main block on its item page (evidence crops a screenshot to it)
    page_kinds: tuple[str, ...] = ("search", "item")  # what it reads, for `auditor sites`
    labels: tuple[str, ...] = ()  # the venue's own marks it reads (auditor.models.LABELS)
    has_category: bool = False  # search_url takes a category
    newest_first: bool = False  # search_url sorts newest first: a `queries` search stops paging once the news runs out
    headers: dict[str, str] = {}  # what the venue needs on every request (FANBOX's Origin); a target's own win
    age_cookie: str | None = None  # the documented age confirmation ("adult=t"), set by a target's headers

    domains: tuple[str, ...] = ()  # the venue's hosts (a subdomain counts): `auditor parse` without --site reads them
    marks: tuple[str, ...] = ()  # words every page of the venue carries (its domain): a page naming none is not its own
    seller_page: str | None = None  # a regex whose group "id" is the seller id in a URL of the venue's seller pages

    def seller_in_url(self, url: str) -> str | None:
        """The seller id (as this profile stores it) of a URL of one of this venue's seller pages, else None."""
        if not self.seller_page:
            return None
        m = _seller_pattern(self.seller_page).search(url)
        return m.group("id") if m else None

    def target_notes(self, start_urls: list[str], headers: dict[str, str]) -> list[tuple[str, str]]:
        """What a target of this venue must know before it runs, as (level, message): level "error" (it cannot
        be fetched as configured) or "warning" (some pages will be recorded unchecked). Checked at config load."""
        cookie = next((v for k, v in headers.items() if k.lower() == "cookie"), "")
        if self.age_cookie and self.age_cookie not in cookie.replace(" ", ""):
            return [("warning", f"{self.name} puts adult works behind an age gate: they are recorded unchecked "
                                f"(age gate); for an adult reviewer's audit set headers: {{Cookie: {self.age_cookie}}}")]
        return []

    @abstractmethod
    def search_url(self, base_url: str, query: str, page: int = 1, category: str | None = None) -> str: ...

    @abstractmethod
    def page_kind(self, url: str) -> PageKind: ...

    @abstractmethod
    def parse_search(self, html: str, url: str) -> SearchPage: ...

    @abstractmethod
    def parse_item(self, html: str, url: str) -> Listing: ...

    def detect_kind(self, html: str, url: str) -> PageKind | None:
        """The kind of a page from its content, for saved files whose URL says nothing (None: unknown)."""
        return None

    def needs_javascript(self, html: str) -> bool:
        """Whether a page it could not read over plain HTTP is a shell that JavaScript would fill."""
        lowered = html.lower()
        return len(lowered) < 200_000 and "<script" in lowered and (
            '<div id="app"></div>' in lowered or '<div id="root"></div>' in lowered or "enable javascript" in lowered)

    def page_state(self, html: str, url: str) -> CrawlError | None:
        """What the page is when it holds nothing to read: Removed (the venue says the listing no longer exists),
        Blocked (a bot wall, captcha or challenge, whatever its HTTP status), Unrendered (a skeleton or shell
        JavaScript had not filled), AgeGate; None for a search or item page. Bot walls are told the same way for
        every venue; a profile adds its venue's own removed, skeleton and age-gate pages."""
        reason = block_reason(0, html)
        return Blocked(url, f"a bot wall: {reason}") if reason else None

    def parse(self, html: str, url: str, kind: PageKind | None = None, *,
              hint: PageKind | None = None) -> SearchPage | Listing:
        """Read a page: first what it is (page_state raises for a page with nothing to read), then as the kind
        given (`kind`, a person's explicit choice), else the kind its content shows, else the caller's `hint`
        (the crawl's expectation: a start URL, an item link), else the kind its URL suggests."""
        state = self.page_state(html, url)
        if state is not None:
            if isinstance(state, Removed):
                state.page = html[:MAX_PROOF]  # the venue's own words that the listing is gone: the proof
            raise state
        if self.marks and not any(m in html for m in self.marks):  # another venue's page: said at once, not parsed
            raise ParseError(url, f"neither a search nor an item page of {self.name}: it names none of "
                                  f"{', '.join(self.marks)}")
        kind = kind or self.detect_kind(html, url) or hint
        if kind is not None:
            return self.parse_search(html, url) if kind is PageKind.SEARCH else self.parse_item(html, url)
        first = self.page_kind(url)  # the content did not say: try the URL's kind, then the other
        readers = [self.parse_search, self.parse_item] if first is PageKind.SEARCH else [self.parse_item, self.parse_search]
        reasons = []
        for read in readers:
            try:
                return read(html, url)
            except ParseError as e:
                reasons.append(e.detail)
        raise ParseError(url, f"neither a search nor an item page of {self.name} ({'; '.join(reasons)})")

    def not_a(self, kind: str, url: str, why: str) -> ParseError:
        article = "an" if kind[:1] in "aeiou" else "a"
        return ParseError(url, f"not {article} {kind} page of {self.name}: {why}")


_UNSEEN = frozenset(("script", "style", "noscript", "template"))


@lru_cache(maxsize=4)
def visible_text(html: str) -> str:
    """The text a person sees on the page (scripts, styles and templates left out), for the words a venue shows
    on a removed or age-gate page, which its message bundles also carry unseen."""
    from auditor.sites.tree import tree  # the page's one parse, shared with the profile reading it

    body = tree(html).select_one("body")
    if body is None:
        return ""
    return " ".join(n.text_content or "" for n in body.el.traverse(include_text=True, skip_empty=True)
                    if n.is_text_node and n.parent.tag not in _UNSEEN)  # a script's text is never even read


@lru_cache(maxsize=64)
def _seller_pattern(pattern: str) -> re.Pattern:
    return re.compile(pattern)


def text_of(node: Node | None) -> str:
    return node.get_text(" ", strip=True) if node is not None else ""


def required(node: Node | None, what: str, url: str, site: str) -> Node:
    if node is None:
        raise ParseError(url, f"not an item page of {site}: no {what} found")
    return node


_NUMBER = re.compile(r"\d[\d,.\s]*")


def parse_price(text: str | None) -> Decimal | None:
    """'3,440円', '¥3,440', '3440' -> Decimal('3440'); None when there is no number."""
    if not text:
        return None
    m = _NUMBER.search(unicodedata.normalize("NFKC", text))  # full-width digits and commas: １，０００円
    if not m:
        return None
    try:
        return Decimal(m.group(0).replace(",", "").replace(" ", "").strip().rstrip("."))
    except InvalidOperation:
        return None


def parse_int(text: str | None) -> int | None:
    value = parse_price(text)
    return int(value) if value is not None else None


def parse_time(value) -> datetime | None:
    """An ISO 8601 date or date-time (a 'Z' too), aware where it gives its offset; None if unreadable."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def absolute(base: str, href: str | None) -> str | None:
    return urljoin(base, href) if href else None


NEXT_TEXTS = {">", "›", "»", "次へ", "次のページ", "next", "next page", "next ›", "next >"}


def next_link(doc: Node, url: str, base_url: str, *selectors: str) -> str | None:
    """The next results page: the site's own selectors first, then rel=next, then a link saying "next"."""
    for selector in (*selectors, "a[rel~=next][href]", "link[rel~=next][href]"):
        node = doc.select_one(selector)
        if node is not None and node.get("href"):
            return web_url(url, base_url, node["href"])
    for a in doc.select("a[href]"):
        if a.get_text(" ", strip=True).casefold() in NEXT_TEXTS and not a["href"].startswith(("#", "javascript:")):
            return web_url(url, base_url, a["href"])
    return None


def web_url(page_url: str, base_url: str, path: str) -> str:
    """A link on the page's own host; the links of a saved file (file://) go to the real site."""
    return urljoin(page_url if page_url.startswith(("http://", "https://")) else base_url, path)
