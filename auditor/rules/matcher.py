"""The compiled matcher: every rule's keywords in one Aho-Corasick automaton, scanned once per text."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import ahocorasick

from auditor.models import Hit, Listing, Match
from auditor.rules.condition import evaluate, positive_names
from auditor.rules.loader import LoadedRule, RuleSet, compile_regex
from auditor.rules.model import TEXT_FIELDS, Selection
from auditor.rules.normalize import compact, compact_map, fold, fold_map

Fields = dict[str, list[str]]


@dataclass
class _Sel:
    name: str
    spec: Selection
    fields: frozenset[str]
    keywords: list[str]  # compact forms, in rule order
    regexes: list = field(default_factory=list)


@dataclass
class _Rule:
    loaded: LoadedRule
    selections: dict[str, _Sel]
    evidence: set[str]
    needs_full_eval: bool  # true when no keyword hit is needed for the rule to fire


_FIELD_ORDER = {f: i for i, f in enumerate(TEXT_FIELDS)}


def _is_latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


class Matcher:
    """Matches listings against a rule set compiled once per run."""

    def __init__(self, ruleset: RuleSet):
        self.ruleset = ruleset
        self._rules: list[_Rule] = []
        self._auto = ahocorasick.Automaton()
        table: dict[str, list[tuple[int, str, str]]] = defaultdict(list)  # compact kw -> (rule, sel, role)
        for r_idx, loaded in enumerate(ruleset.rules):
            rule = loaded.rule
            sels = {}
            for name, spec in rule.selections.items():
                kws = [compact(k) for k in spec.keywords]
                sels[name] = _Sel(name, spec, frozenset(spec.fields), kws, [compile_regex(p) for p in spec.regex])
                for kw in kws:
                    table[kw].append((r_idx, name, "keyword"))
                for ex in spec.except_:
                    table[compact(ex)].append((r_idx, name, "except"))
            always = evaluate(loaded.condition, lambda _n: False)
            has_regex = any(s.regexes for s in sels.values())
            self._rules.append(_Rule(loaded, sels, positive_names(loaded.condition), always or has_regex))
        for kw, refs in table.items():
            self._auto.add_word(kw, (kw, tuple(refs)))
        self._has_words = bool(table)
        if self._has_words:
            self._auto.make_automaton()
        self._fields = sorted({f for r in self._rules for s in r.selections.values() for f in s.fields})

    def match_listing(self, listing: Listing) -> list[Hit]:
        return self.match_fields(listing.text_fields())

    def match_fields(self, values: Fields) -> list[Hit]:
        """Rules that fire on these field values, each with the original spans that made it fire."""
        # 1. one automaton pass per text value: keyword and exception occurrences.
        found: dict[tuple[int, str], list[tuple[str, int, int, int]]] = defaultdict(list)
        masks: dict[tuple[int, str], list[tuple[str, int, int, int]]] = defaultdict(list)
        compacts: dict[tuple[str, int], str] = {}
        if self._has_words:
            for fname in self._fields:
                for v_idx, value in enumerate(values.get(fname, ())):
                    if not value:
                        continue
                    text = compact(value)
                    compacts[(fname, v_idx)] = text
                    for end, (kw, refs) in self._auto.iter(text):
                        start = end - len(kw) + 1
                        for r_idx, sel, role in refs:
                            if fname not in self._rules[r_idx].selections[sel].fields:
                                continue
                            bucket = found if role == "keyword" else masks
                            bucket[(r_idx, sel)].append((fname, v_idx, start, end + 1))
        candidates = {r for r, _ in found} | {i for i, r in enumerate(self._rules) if r.needs_full_eval}
        hits = []
        for r_idx in sorted(candidates):
            hit = self._evaluate(r_idx, values, found, masks)
            if hit:
                hits.append(hit)
        return hits

    def _evaluate(self, r_idx, values, found, masks) -> Hit | None:
        rule = self._rules[r_idx]
        spans: dict[str, list[Match]] = {}
        for name, sel in rule.selections.items():
            spans[name] = self._selection_matches(sel, values, found.get((r_idx, name), []), masks.get((r_idx, name), []))
        if not evaluate(rule.loaded.condition, lambda n: bool(spans[n])):
            return None
        evidence = tuple(sorted({m for n in rule.selections if n in rule.evidence for m in spans[n]},
                                key=lambda m: (_FIELD_ORDER[m.field], m.value_index, m.start, m.end)))
        r = rule.loaded.rule
        return Hit(r.id, r.title, r.severity, tuple(r.tags), evidence)

    def _selection_matches(self, sel: _Sel, values: Fields, occurrences, mask_occ) -> list[Match]:
        per_keyword: dict[str, list[Match]] = defaultdict(list)
        maps: dict[tuple[str, int], object] = {}
        for fname, v_idx, start, end in occurrences:
            if any(f == fname and v == v_idx and s <= start and end <= e for f, v, s, e in mask_occ):
                continue  # inside an exception phrase, e.g. エロ inside イエロー
            original = values[fname][v_idx]
            m = maps.get((fname, v_idx)) or maps.setdefault((fname, v_idx), compact_map(original))
            o_start, o_end = m.original_span(start, end)
            if sel.spec.word and not _word_bounded(original, o_start, o_end):
                continue
            kw = m.text[start:end]
            per_keyword[kw].append(Match(fname, original[o_start:o_end], o_start, o_end, v_idx))
        for k, rx in enumerate(sel.regexes):
            for fname in sel.fields:
                for v_idx, original in enumerate(values.get(fname, ())):
                    folded = fold(original)
                    for mo in rx.finditer(folded):
                        if mo.end() == mo.start():
                            continue
                        o_start, o_end = fold_map(original).original_span(mo.start(), mo.end())
                        per_keyword[f"regex:{k}"].append(Match(fname, original[o_start:o_end], o_start, o_end, v_idx))
        if sel.spec.mode == "all":
            needed = set(sel.keywords) | {f"regex:{k}" for k in range(len(sel.regexes))}
            if not needed <= set(per_keyword):
                return []
        return [m for ms in per_keyword.values() for m in ms]


def _word_bounded(text: str, start: int, end: int) -> bool:
    """A Latin letter or digit at a match's edge must not continue into another one outside it."""
    if _is_latin(text[start]) and start > 0 and _is_latin(text[start - 1]):
        return False
    if _is_latin(text[end - 1]) and end < len(text) and _is_latin(text[end]):
        return False
    return True
