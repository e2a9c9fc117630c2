"""The few CSS selectors the profiles write, matched in Python over a card's handful of elements.

lxml's compiled XPath (cssselect) costs 20–40 µs a call on a 30-element search card, most of it setting up the
evaluation and testing `normalize-space(@class)` on every node; a profile asks a card 6 to 10 questions, so
reading a 50-card page cost several times its parse (bench/sites.py). Here the page's elements are listed once
with their tags and classes (Index), and a selector's candidates are looked up by key within a card's range.

The subset: type, `#id`, `.class`, `[attr]`, `[attr=v]`, `[attr~=v]`, `[attr^=v]`, `[attr$=v]`, `[attr*=v]`,
`[attr|=v]` (values bare or quoted), the descendant and child (`>`) combinators, and `,` groups. A selector
outside it (pseudo-classes, `+`, `~`) gives None, and the caller uses cssselect. The meaning is cssselect's, so
both answer alike (tests/test_css.py compares them on every saved page): the leftmost part may match the scope
itself, and no part matches above the scope.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache

import lxml.etree

_ATTR = re.compile(r"""\[\s*([\w:-]+)\s*(?:([~^$*|]?=)\s*(?:"([^"]*)"|'([^']*)'|([^\]\s"']+))\s*)?\]""")
_PART = re.compile(r"([#.])([\w-]+)")
_TAG = re.compile(r"[a-zA-Z][\w-]*|\*")


@dataclass(frozen=True)
class Compound:
    """One element's test: tag, id, classes, attribute tests."""

    tag: str | None
    id: str | None
    classes: frozenset[str]
    attrs: tuple[tuple[str, str | None, str], ...]  # (name, operator or None for presence, value)

    def matches(self, el, tag: str, classes: frozenset[str]) -> bool:
        if self.tag is not None and tag != self.tag:
            return False
        if self.classes and not self.classes <= classes:
            return False
        if self.id is not None and el.get("id") != self.id:
            return False
        for name, op, want in self.attrs:
            have = el.get(name)
            if have is None:
                return False
            if op is None:
                continue
            if op == "=":
                ok = have == want
            elif op == "~=":
                ok = want in have.split()
            elif op == "^=":
                ok = bool(want) and have.startswith(want)
            elif op == "$=":
                ok = bool(want) and have.endswith(want)
            elif op == "*=":
                ok = bool(want) and want in have
            else:  # |=
                ok = have == want or have.startswith(want + "-")
            if not ok:
                return False
        return True


@dataclass(frozen=True)
class Selector:
    """A `,` group of chains; a chain is compounds left to right, each after a combinator (" " or ">")."""

    chains: tuple[tuple[tuple[str, Compound], ...], ...]


class Index:
    """A page's elements in document order, with each one's tag and classes, and where each tag, class, id and
    attribute occurs: a selector's candidates are found by key, in a scope as a range of positions (a subtree
    is the run of positions from its root to its last descendant). Built once per page; the page never changes.
    Elements inside a <template> (markup a script may stamp out later) are listed but never found."""

    def __init__(self, root, templates: bool) -> None:
        self.order = list(root.iter(lxml.etree.Element))
        self.pos = {el: i for i, el in enumerate(self.order)}
        self.tags = [el.tag for el in self.order]
        self.classes: list[frozenset[str]] = []
        hidden = set()
        if templates:
            for t in root.iter("template"):
                hidden.update(self.pos[e] for e in t.iterdescendants(lxml.etree.Element))
        self.hidden = hidden
        self.by_tag: dict[str, list[int]] = {}
        self.by_class: dict[str, list[int]] = {}
        self.by_attr: dict[str, list[int]] = {}
        self.ends: dict[int, int] = {}
        for i, el in enumerate(self.order):
            value = el.get("class")
            found = frozenset(value.split()) if value else _NONE
            self.classes.append(found)
            if i in hidden:
                continue
            self.by_tag.setdefault(self.tags[i], []).append(i)
            for c in found:
                self.by_class.setdefault(c, []).append(i)

    def span(self, el) -> tuple[int, int]:
        """The positions of el's subtree: [its own, one past its last descendant)."""
        first = self.pos[el]
        if first in self.ends:
            return first, self.ends[first]
        last = el
        while True:
            child = next((c for c in reversed(last) if isinstance(c.tag, str)), None)
            if child is None:
                self.ends[first] = self.pos[last] + 1
                return first, self.ends[first]
            last = child

    def _with_attr(self, name: str) -> list[int]:
        if name not in self.by_attr:
            self.by_attr[name] = [i for i, el in enumerate(self.order) if i not in self.hidden and el.get(name) is not None]
        return self.by_attr[name]

    def _candidates(self, compound: Compound) -> list[int]:
        if compound.classes:
            return min((self.by_class.get(c, _EMPTY) for c in compound.classes), key=len)
        if compound.id is not None:
            return [i for i in self._with_attr("id") if self.order[i].get("id") == compound.id]
        if compound.tag is not None:
            return self.by_tag.get(compound.tag, _EMPTY)
        if compound.attrs:
            return self._with_attr(compound.attrs[0][0])
        return [i for i in range(len(self.order)) if i not in self.hidden]

    def find(self, selector: Selector, scope, first: bool = False) -> list:
        """The elements of scope's subtree (scope included) that the selector matches, in document order."""
        lo, hi = self.span(scope)
        found: set[int] = set()
        for chain in selector.chains:
            positions = self._candidates(chain[-1][1])
            for i in positions[bisect_left(positions, lo):bisect_left(positions, hi)]:
                if i not in found and self._chain(chain, len(chain) - 1, i, lo):
                    found.add(i)
                    if first and len(selector.chains) == 1:
                        break
        return [self.order[i] for i in sorted(found)][: 1 if first else None]

    def _chain(self, chain, k: int, i: int, lo: int) -> bool:
        combinator, compound = chain[k]
        if not compound.matches(self.order[i], self.tags[i], self.classes[i]):
            return False
        if k == 0:
            return True
        up = self.order[i].getparent()
        while up is not None:
            j = self.pos[up]
            if j < lo:
                return False  # the parts to the left would have to match above the scope
            if self._chain(chain, k - 1, j, lo):
                return True
            if combinator == ">":
                return False
            up = up.getparent()
        return False


_NONE: frozenset[str] = frozenset()
_EMPTY: list[int] = []


def _compound(text: str) -> Compound | None:
    m = _TAG.match(text)
    tag = None
    rest = text
    if m:
        tag = None if m.group(0) == "*" else m.group(0).lower()
        rest = text[m.end():]
    ident, classes, attrs = None, set(), []
    while rest:
        if rest[0] in "#.":
            part = _PART.match(rest)
            if part is None:
                return None
            if part.group(1) == "#":
                ident = part.group(2)
            else:
                classes.add(part.group(2))
            rest = rest[part.end():]
        elif rest[0] == "[":
            a = _ATTR.match(rest)
            if a is None:
                return None
            value = next((v for v in a.group(3, 4, 5) if v is not None), "")
            attrs.append((a.group(1).lower(), a.group(2), value))
            rest = rest[a.end():]
        else:
            return None  # a pseudo-class or anything else outside the subset
    if tag is None and ident is None and not classes and not attrs and not m:
        return None
    return Compound(tag, ident, frozenset(classes), tuple(attrs))


_TOKENS = re.compile(r"""\s*(>)\s*|\s+|((?:[^\s>,\["']|\[(?:[^\]"']|"[^"]*"|'[^']*')*\])+)|(,)""")


@lru_cache(maxsize=1024)
def compile_css(css: str) -> Selector | None:
    """The selector in the subset, or None where cssselect must answer."""
    chains, chain, combinator, pos = [], [], " ", 0
    text = css.strip()
    while pos < len(text):
        m = _TOKENS.match(text, pos)
        if m is None or m.end() == pos:
            return None
        pos = m.end()
        if m.group(1):
            if not chain or combinator == ">":
                return None
            combinator = ">"
        elif m.group(2):
            compound = _compound(m.group(2))
            if compound is None:
                return None
            chain.append((combinator, compound))
            combinator = " "
        elif m.group(3):
            if not chain or combinator == ">":
                return None
            chains.append(tuple(chain))
            chain, combinator = [], " "
    if not chain or combinator == ">":
        return None
    chains.append(tuple(chain))
    return Selector(tuple(chains))
