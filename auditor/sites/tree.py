"""A page as a Lexbor tree (selectolax) behind the few BeautifulSoup calls the profiles use (select, select_one, get,
get_text, find_parent, and the own-text, child and sibling steps of the auction pages), so a profile reads a
venue's page faster than lxml parses it.

BeautifulSoup builds a Python object for every node: on the venues' 100 KB–600 KB pages that costs 10 to 30
times lxml's own parse, and a daily crawl reads thousands of them (bench/sites.py measures it). Lexbor is a
browser engine's HTML parser and CSS selector engine in C: it parses a page as a browser does (the HTML
standard's tree building: <template> contents apart, misnested markup repaired the standard way) in about a
third of lxml's time, and answers a card's selectors in a few microseconds each, with a browser's meaning
(the scope itself may match; the parts left of the last may match above the scope, as querySelectorAll's do).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Iterator

from selectolax.lexbor import LexborHTMLParser

_SKIPPED = ("script", "style")  # BeautifulSoup's get_text leaves their text out too (a <template>'s is apart)
_CUT = "\x00"  # joins the parts Lexbor gives, then is cut on: HTML parsing turns every NUL of a page into U+FFFD


class Node:
    """One element of the page."""

    __slots__ = ("el",)

    def __init__(self, el) -> None:
        self.el = el

    @property
    def name(self) -> str:
        tag = self.el.tag
        return tag if tag and not tag.startswith("-") else ""

    def select(self, css: str) -> list["Node"]:
        return [Node(e) for e in self.el.css(css)]

    def select_one(self, css: str) -> "Node | None":
        found = self.el.css_first(css)
        return Node(found) if found is not None else None

    def get(self, key: str, default=None):
        attrs = self.el.attrs
        if key not in attrs:
            return default
        return attrs[key] or ""  # <input disabled>: present, with no value

    def __getitem__(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def _strings(self) -> Iterator[str]:
        for node in self.el.traverse(include_text=True):
            if node.is_text_node:
                parent = node.parent
                if parent is None or parent.tag not in _SKIPPED:
                    yield node.text_content or ""

    def get_text(self, separator: str = "", strip: bool = False) -> str:
        if self.el.css_first("script, style") is None:  # the common case: Lexbor joins the text in C
            parts = self.el.text(deep=True, separator=_CUT, strip=strip).split(_CUT)
        else:
            parts = [s.strip() for s in self._strings()] if strip else list(self._strings())
        return separator.join(p for p in parts if p)

    def own_texts(self) -> list[str]:
        """The texts directly inside the element, not its children's (BeautifulSoup's
        find_all(string=True, recursive=False)): ["248,000 yen "] of '248,000 yen <span>(€1 974)</span>'."""
        return [c.text_content or "" for c in self.el.iter(include_text=True) if c.is_text_node]

    def own_text(self) -> str:
        return "".join(self.own_texts())

    def first_own_text(self) -> str | None:
        """The first text directly inside the element (BeautifulSoup's find(string=True, recursive=False))."""
        return next(iter(self.own_texts()), None)

    def child(self, name: str, href: bool = False) -> "Node | None":
        """The first child element of that name (with an href if asked): find(name, href=True, recursive=False)."""
        return next((Node(c) for c in self.el.iter() if c.tag == name and (not href or "href" in c.attrs)), None)

    def next_element(self) -> "Node | None":
        """The next element beside this one (BeautifulSoup's find_next_sibling())."""
        up = self.el.next
        while up is not None and not up.is_element_node:
            up = up.next
        return Node(up) if up is not None else None

    def find_parent(self, name: str | None = None, class_: str | None = None, href: bool = False) -> "Node | None":
        up = self.el.parent
        while up is not None and up.is_element_node:
            if (not name or up.tag == name) and (not class_ or class_ in (up.attrs.get("class") or "").split()) \
                    and (not href or "href" in up.attrs):
                return Node(up)
            up = up.parent
        return None

    def __str__(self) -> str:
        return self.el.html or ""


@lru_cache(maxsize=4)
def tree(html: str) -> Node:
    """The page's root element. The last few pages' trees are kept: a profile asks what the page is, reads its
    JSON-LD and its visible text, then reads it, from one parse. The trees are shared, so nothing may change them."""
    root = LexborHTMLParser(html).root  # each node holds its parser, which owns the tree
    return Node(root if root is not None else LexborHTMLParser("<html><body></body></html>").root)
