"""A page as an lxml tree behind the few BeautifulSoup calls the profiles use (select, select_one, get, get_text,
find_parent), so a profile reads a venue's page at lxml's speed.

BeautifulSoup builds a Python object for every node: on the venues' 100 KB–600 KB pages that costs 10 to 30
times lxml's own parse, and a daily crawl reads thousands of them (bench/sites.py measures it). The selectors
the profiles write are answered by css.py over an index of the page, made once; any other selector by lxml's
compiled XPath (lxml.cssselect, the cssselect package), compiled once and kept.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import islice
from typing import Iterator

import lxml.etree
import lxml.html
from lxml.cssselect import CSSSelector

from auditor.sites.css import Index, compile_css

_SKIPPED = {"script", "style", "template"}  # BeautifulSoup's get_text leaves their text out too


@lru_cache(maxsize=512)
def _compiled(css: str) -> CSSSelector:
    return CSSSelector(css, translator="html")


def _in_template(el) -> bool:
    """Inside a <template>: markup a script may stamp out later, not the page (BeautifulSoup does not match it)."""
    return any(up.tag == "template" for up in el.iterancestors())


class Node:
    """One element of the page."""

    __slots__ = ("el", "page")

    def __init__(self, el, page: "_Page") -> None:
        self.el = el
        self.page = page

    @property
    def name(self) -> str:
        return self.el.tag if isinstance(self.el.tag, str) else ""

    def _found(self, css: str, first: bool = False) -> list:
        selector = compile_css(css)
        if selector is None:  # outside the subset css.py reads: lxml's compiled XPath
            found = (e for e in _compiled(css)(self.el) if not (self.page.templates and _in_template(e)))
            return list(islice(found, 1) if first else found)
        return self.page.index.find(selector, self.el, first)

    def select(self, css: str) -> list["Node"]:
        return [Node(e, self.page) for e in self._found(css)]

    def select_one(self, css: str) -> "Node | None":
        found = self._found(css, first=True)
        return Node(found[0], self.page) if found else None

    def get(self, key: str, default=None):
        return self.el.get(key, default)

    def __getitem__(self, key: str) -> str:
        value = self.el.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def _strings(self) -> Iterator[str]:
        for node in self.el.iter():
            if not isinstance(node.tag, str) or node.tag in _SKIPPED:
                if node is not self.el and node.tail:  # a comment's or a script's tail is the page's text
                    yield node.tail
                continue
            if node.text:
                yield node.text
            if node is not self.el and node.tail:
                yield node.tail

    def get_text(self, separator: str = "", strip: bool = False) -> str:
        parts = (s.strip() for s in self._strings()) if strip else self._strings()
        return separator.join(p for p in parts if p)

    def find_parent(self, name: str | None = None, class_: str | None = None, href: bool = False) -> "Node | None":
        for up in self.el.iterancestors():
            if name and up.tag != name:
                continue
            if class_ and class_ not in (up.get("class") or "").split():
                continue
            if href and up.get("href") is None:
                continue
            return Node(up, self.page)
        return None

    def __str__(self) -> str:
        return lxml.html.tostring(self.el, encoding="unicode")


_PARSER = lxml.etree.HTMLParser()  # lxml.html's parser with plain elements: its class lookup ran Python code for
# every element a profile touched, and the profiles use none of HtmlElement's methods


def _parse(text: str | bytes):
    root = lxml.etree.fromstring(text, _PARSER)
    if root is None:
        raise lxml.etree.ParserError("Document is empty")
    return root


@lru_cache(maxsize=4)
def tree(html: str) -> Node:
    """The page's root element (an empty document for a text lxml cannot take). The last few pages' trees are
    kept: a profile asks what the page is, reads its JSON-LD and its visible text, then reads it, from one parse.
    The trees are shared, so nothing may change them."""
    try:
        root = _parse(html)
    except ValueError:  # a str with an XML encoding declaration: lxml wants bytes for those
        try:
            root = _parse(html.encode("utf-8", "surrogatepass"))
        except (ValueError, lxml.etree.ParserError):
            root = _parse("<html><body></body></html>")
    except lxml.etree.ParserError:
        root = _parse("<html><body></body></html>")
    return Node(root, _Page(root, "<template" in html))


class _Page:
    """What the nodes of one page share: whether it has <template>s, and its index, made at the first select."""

    __slots__ = ("root", "templates", "_index")

    def __init__(self, root, templates: bool) -> None:
        self.root, self.templates, self._index = root, templates, None

    @property
    def index(self) -> Index:
        if self._index is None:
            self._index = Index(self.root, self.templates)
        return self._index
