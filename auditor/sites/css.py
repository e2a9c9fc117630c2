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


@dataclass(frozen=True, eq=False)
class Compound:
    """One element's test: tag, id, classes, attribute tests. Compared by identity (compile_css keeps each
    selector's compounds), so an index keeps each one's candidates under it at the cost of a pointer's hash."""

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
    """A page's elements in document order, with each one's tag and class attribute, and where each tag, class,
    id and attribute occurs: a selector's candidates are found by key, in a scope as a range of positions (a
    subtree is the run of positions from its root to its last descendant). Classes are listed with the page; the
    lists for a tag or an attribute, and each selector part's candidates, when a selector first asks for them.
    Built once per page; the page never changes.
    Elements inside a <template> (markup a script may stamp out later) are listed but never found."""

    def __init__(self, root, templates: bool) -> None:
        self.order = order = list(root.iter(lxml.etree.Element))
        self.pos = pos = dict(zip(order, range(len(order))))
        self.tags = [el.tag for el in order]
        self.raw = [el.get("class") for el in order]  # each element's class attribute, as written
        self.parent = parent = [pos.get(el.getparent(), -1) for el in order]  # -1: the root's
        self.end = end = list(range(1, len(order) + 1))  # one past each subtree's last position
        for i in range(len(order) - 1, 0, -1):
            up = parent[i]
            if up >= 0 and end[i] > end[up]:
                end[up] = end[i]
        self._sets: dict[int, frozenset[str]] = {}
        hidden = set()
        if templates:
            for t in root.iter("template"):
                hidden.update(pos[e] for e in t.iterdescendants(lxml.etree.Element))
        self.hidden = hidden
        self.by_class: dict[str, list[int]] = {}
        for i, value in enumerate(self.raw):
            if value and i not in hidden:
                for name in value.split():
                    found = self.by_class.get(name)
                    if found is None:
                        self.by_class[name] = [i]
                    elif found[-1] != i:  # class="a a"
                        found.append(i)
        self.by_tag: dict[str, list[int]] = {}
        self.by_attr: dict[str, list[int]] = {}
        self._candidates_of: dict[Compound, list[int]] = {}

    def classes(self, i: int) -> frozenset[str]:
        found = self._sets.get(i)
        if found is None:
            value = self.raw[i]
            found = self._sets[i] = frozenset(value.split()) if value else _NONE
        return found

    def span(self, el) -> tuple[int, int]:
        """The positions of el's subtree: [its own, one past its last descendant)."""
        first = self.pos[el]
        return first, self.end[first]

    def _with_attr(self, name: str) -> list[int]:
        if name not in self.by_attr:
            self.by_attr[name] = [i for i, el in enumerate(self.order) if i not in self.hidden and el.get(name) is not None]
        return self.by_attr[name]

    def _candidates(self, compound: Compound) -> list[int]:
        found = self._candidates_of.get(compound)
        if found is None:
            found = self._candidates_of[compound] = self._find_candidates(compound)
        return found

    def _find_candidates(self, compound: Compound) -> list[int]:
        if compound.classes:
            return min((self.by_class.get(c, []) for c in compound.classes), key=len)
        if compound.id is not None:
            return [i for i in self._with_attr("id") if self.order[i].get("id") == compound.id]
        if compound.tag is not None:
            if compound.tag not in self.by_tag:
                self.by_tag[compound.tag] = [i for i, t in enumerate(self.tags) if t == compound.tag and i not in self.hidden]
            return self.by_tag[compound.tag]
        if compound.attrs:
            return self._with_attr(compound.attrs[0][0])
        return [i for i in range(len(self.order)) if i not in self.hidden]

    def find(self, selector: Selector, scope, first: bool = False) -> list:
        """The elements of scope's subtree (scope included) that the selector matches, in document order."""
        lo = self.pos[scope]
        hi = self.end[lo]
        if len(selector.chains) == 1:  # the common case: no set, no sort
            chain = selector.chains[0]
            last = len(chain) - 1
            positions = self._candidates(chain[last][1])
            out = []
            for i in positions[bisect_left(positions, lo):bisect_left(positions, hi)]:
                if self._chain(chain, last, i, lo):
                    out.append(self.order[i])
                    if first:
                        break
            return out
        found: set[int] = set()
        for chain in selector.chains:
            positions = self._candidates(chain[-1][1])
            for i in positions[bisect_left(positions, lo):bisect_left(positions, hi)]:
                if i not in found and self._chain(chain, len(chain) - 1, i, lo):
                    found.add(i)
        return [self.order[i] for i in sorted(found)][: 1 if first else None]

    def _chain(self, chain, k: int, i: int, lo: int) -> bool:
        combinator, compound = chain[k]
        if not compound.matches(self.order[i], self.tags[i], self.classes(i) if compound.classes else _NONE):
            return False
        if k == 0:
            return True
        if combinator == ">":
            j = self.parent[i]
            return j >= lo and self._chain(chain, k - 1, j, lo)
        # a descendant: of the elements the left part may match between the scope and i (a card holds one
        # `.item-card__title`), those whose subtree holds i; or, where they are many, i's ancestors one by one
        candidates = self._candidates(chain[k - 1][1])
        start, stop = bisect_left(candidates, lo), bisect_left(candidates, i)
        if stop - start <= 8:
            end = self.end
            return any(end[j] > i and self._chain(chain, k - 1, j, lo) for j in candidates[start:stop])
        j = self.parent[i]
        while j >= lo:  # the parts to the left may not match above the scope
            if self._chain(chain, k - 1, j, lo):
                return True
            j = self.parent[j]
        return False


_NONE: frozenset[str] = frozenset()


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
