"""The condition language: selection names combined with and / or / not, parentheses, 'N of'."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import Callable, Union
from auditor.i18n import tr

_TOKEN = re.compile(r"\s*(?:(\()|(\))|([A-Za-z0-9_*]+))")


def did_you_mean(word: str, choices) -> str:
    """' (did you mean 'x'?)' when a choice is one small edit away, else ''."""
    import difflib

    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return tr(" (did you mean {word!r}?)", word=close[0]) if close else ""


class ConditionSyntaxError(ValueError):
    pass


@dataclass(frozen=True)
class Name:
    name: str


@dataclass(frozen=True)
class Not:
    operand: "Node"


@dataclass(frozen=True)
class BoolOp:
    op: str  # and | or
    operands: tuple["Node", ...]


@dataclass(frozen=True)
class OfOp:
    count: int | None  # None means all
    names: tuple[str, ...]


Node = Union[Name, Not, BoolOp, OfOp]


def parse_condition(text: str, names: list[str]) -> Node:
    """Parse a condition; names are the rule's selections ('them' and wildcards expand to them)."""
    tokens = _tokenize(text)
    parser = _Parser(tokens, names)
    node = parser.expr()
    if parser.pos != len(tokens):
        raise ConditionSyntaxError(tr("unexpected {value!r} in condition", value=tokens[parser.pos]))
    return node


def _tokenize(text: str) -> list[str]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ConditionSyntaxError(tr("unexpected character {value!r} in condition",
                                          value=text[pos:].strip()[:1]))
        out.append(m.group(m.lastindex))
        pos = m.end()
    if not out:
        raise ConditionSyntaxError(tr("condition is empty"))
    return out


MAX_NESTING = 32  # parentheses and `not`s inside each other: far beyond any real rule


class _Parser:
    def __init__(self, tokens: list[str], names: list[str]):
        self.tokens, self.names, self.pos, self.depth = tokens, names, 0, 0

    def _deeper(self) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise ConditionSyntaxError(tr("condition nests more than {MAX_NESTING} levels deep",
                                          MAX_NESTING=MAX_NESTING))

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        tok = self.peek()
        if tok is None:
            raise ConditionSyntaxError(tr("condition ends too early"))
        self.pos += 1
        return tok

    def expr(self) -> Node:
        return self._chain("or", self.conj)

    def conj(self) -> Node:
        return self._chain("and", self.neg)

    def _chain(self, op: str, sub: Callable[[], Node]) -> Node:
        operands = [sub()]
        while self.peek() == op:
            self.take()
            operands.append(sub())
        return operands[0] if len(operands) == 1 else BoolOp(op, tuple(operands))

    def neg(self) -> Node:
        if self.peek() == "not":
            self.take()
            self._deeper()
            node = Not(self.neg())
            self.depth -= 1
            return node
        return self.atom()

    def atom(self) -> Node:
        tok = self.take()
        if tok == "(":
            self._deeper()
            node = self.expr()
            self.depth -= 1
            if self.peek() != ")":
                raise ConditionSyntaxError(tr("missing ')' in condition"))
            self.take()
            return node
        if tok in ("and", "or", ")"):
            raise ConditionSyntaxError(tr("unexpected {tok!r} in condition", tok=tok))
        if self.peek() == "of" and (tok.isdigit() or tok in ("all", "any")):
            self.take()
            pattern = self.take()
            names = self.names if pattern == "them" else [n for n in self.names if fnmatch.fnmatchcase(n, pattern)]
            if not names:
                raise ConditionSyntaxError(tr("'{pattern}' names no selection", pattern=pattern))
            count = None if tok == "all" else (1 if tok == "any" else int(tok))
            return OfOp(count, tuple(names))
        if tok not in self.names:
            raise ConditionSyntaxError(tr("condition names selection {tok!r}, which the rule does not define", tok=tok)
                                       + did_you_mean(tok, self.names))
        return Name(tok)


def evaluate(node: Node, truth: Callable[[str], bool]) -> bool:
    if isinstance(node, Name):
        return truth(node.name)
    if isinstance(node, Not):
        return not evaluate(node.operand, truth)
    if isinstance(node, BoolOp):
        values = (evaluate(n, truth) for n in node.operands)
        return all(values) if node.op == "and" else any(values)
    hits = sum(1 for n in node.names if truth(n))
    return hits == len(node.names) if node.count is None else hits >= node.count


def positive_names(node: Node, negated: bool = False) -> set[str]:
    """Selections whose matches count as evidence (not under a 'not')."""
    if isinstance(node, Name):
        return set() if negated else {node.name}
    if isinstance(node, Not):
        return positive_names(node.operand, not negated)
    if isinstance(node, BoolOp):
        return set().union(*(positive_names(n, negated) for n in node.operands))
    return set() if negated else set(node.names)
