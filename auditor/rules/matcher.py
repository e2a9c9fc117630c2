"""The compiled matcher: every rule's keywords in one Aho-Corasick automaton and every regex in one
RE2 set, each text scanned once; only rules with a hit (or that can fire without one) are evaluated."""

from __future__ import annotations

import itertools
import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import ahocorasick
import re2

from auditor.models import Hit, ImageSignals, Listing, Match
from auditor.rules.condition import evaluate, positive_names
from auditor.rules.loader import LoadedRule, RuleSet, compile_regex, regex_options
from auditor.rules.model import TEXT_FIELDS, Selection
from auditor.rules.normalize import (LONG_VOWEL_MARKS, compact, compact_map, fold, fold_map, fold_pattern,
                                     lookalike_variants)

Fields = dict[str, list[str]]
Numbers = dict[str, Decimal | int | None]
EXCEPTION = "!"  # prefix of exception selections' internal names


log = logging.getLogger(__name__)


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
    exceptions: dict[str, _Sel]
    evidence: set[str]
    fires_without_text: bool  # the condition can hold with no keyword or regex hit at all


_FIELD_ORDER = {f: i for i, f in enumerate((*TEXT_FIELDS, "image"))}


def _is_latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _can_fire_without_text(loaded, sels: dict[str, _Sel]) -> bool:
    """True when some truth assignment of the non-text selections satisfies the condition."""
    free = [n for n, s in sels.items() if not s.spec.has_text_test]
    if len(free) > 10:
        return True  # too many to enumerate: evaluate the rule on every listing
    for values in itertools.product((False, True), repeat=len(free)):
        truth = dict(zip(free, values))
        if evaluate(loaded.condition, lambda n: truth.get(n, False)):
            return True
    return False


class Matcher:
    """Matches listings against a rule set compiled once per run (seller rules are not listing rules)."""

    def __init__(self, ruleset: RuleSet):
        self.ruleset = ruleset
        self._rules: list[_Rule] = []
        self._auto = ahocorasick.Automaton()
        words: dict[str, list[tuple[int, str, str, str]]] = defaultdict(list)  # spelling -> (rule, sel, role, keyword)
        self._regex_refs: list[tuple[int, str, int]] = []  # set index -> (rule, sel, k)
        self._regex_set = re2.Set.SearchSet(regex_options())
        for r_idx, loaded in enumerate(ruleset.listing_rules):
            rule = loaded.rule
            groups = {"selections": {}, "exceptions": {}}
            for group, specs, prefix in (("selections", rule.selections, ""), ("exceptions", rule.exceptions, EXCEPTION)):
                for name, spec in specs.items():
                    key = prefix + name
                    kws = [compact(k) for k in spec.keywords]
                    groups[group][key] = _Sel(key, spec, frozenset(spec.fields), kws, [compile_regex(p) for p in spec.regex])
                    for written, kw in zip(spec.keywords, kws):
                        words[kw].append((r_idx, key, "keyword", kw))
                        if spec.lookalikes:
                            for variant in lookalike_variants(written):
                                words[variant].append((r_idx, key, "keyword", kw))
                    for ex in spec.except_:
                        words[compact(ex)].append((r_idx, key, "except", ex))
                    for k, pattern in enumerate(spec.regex):
                        self._regex_set.Add(fold_pattern(pattern))
                        self._regex_refs.append((r_idx, key, k))
            sels = groups["selections"]
            self._rules.append(_Rule(loaded, sels, groups["exceptions"], positive_names(loaded.condition),
                                     _can_fire_without_text(loaded, sels)))
        for kw, refs in words.items():
            self._auto.add_word(kw, (kw, tuple(refs)))
        self._has_words = bool(words)
        if self._has_words:
            self._auto.make_automaton()
        self._has_regex = bool(self._regex_refs)
        self._one_by_one = False  # every pattern on its own, when the patterns together are too big for one set
        if self._has_regex:
            try:
                self._regex_set.Compile()
            except re2.error:
                log.warning("the rules' %d regexes are too large to match as one set; matching them one by one "
                            "(slower, same results)", len(self._regex_refs))
                self._one_by_one = True
        self._always = [i for i, r in enumerate(self._rules) if r.fires_without_text]
        self.shadow_rules = frozenset(r.rule.id for r in ruleset.listing_rules if r.rule.status == "experimental")
        self._fields = sorted({f for r in self._rules for s in (*r.selections.values(), *r.exceptions.values())
                               for f in s.fields})

    def match_listing(self, listing: Listing, images: ImageSignals | None = None) -> list[Hit]:
        """The rules that fire on a listing; `images` is what its images showed (bank matches, detector labels)."""
        return self.match_fields(listing.text_fields(), listing.numeric_fields(), images)

    @property
    def uses_banks(self) -> set[str]:
        """The banks some rule's image_bank test reads."""
        return {b for r in self._rules for s in (*r.selections.values(), *r.exceptions.values())
                if s.spec.image_bank for b in s.spec.image_bank.banks}

    @property
    def uses_nudity(self) -> bool:
        """Whether some rule's image_nudity test needs the detector run."""
        return any(s.spec.image_nudity for r in self._rules for s in (*r.selections.values(), *r.exceptions.values()))

    def split(self, hits: list[Hit]) -> tuple[list[Hit], list[Hit]]:
        """(production hits, shadow hits): rules with `status: experimental` run in shadow mode."""
        return ([h for h in hits if h.rule_id not in self.shadow_rules],
                [h for h in hits if h.rule_id in self.shadow_rules])

    def match_fields(self, values: Fields, numbers: Numbers | None = None,
                     images: ImageSignals | None = None) -> list[Hit]:
        """Rules that fire on these field values (and image signals), each with the original spans that made it fire."""
        scan = _Scan(values, numbers or {}, images or ImageSignals())
        for fname in self._fields:
            for v_idx, value in enumerate(values.get(fname, ())):
                if value:
                    self._scan_value(scan, fname, v_idx, value)
        candidates = {r for r, _ in scan.found} | {r for r, _ in scan.regex_hits} | set(self._always)
        hits = []
        for r_idx in sorted(candidates):
            hit = self._evaluate(self._rules[r_idx], scan, r_idx)
            if hit:
                hits.append(hit)
        return hits

    def _scan_value(self, scan: "_Scan", fname: str, v_idx: int, value: str) -> None:
        if self._has_words:
            for end, (kw, refs) in self._auto.iter(compact(value)):
                start = end - len(kw) + 1
                for r_idx, sel, role, keyword in refs:
                    if fname in self._sel(r_idx, sel).fields:
                        if role == "keyword":
                            scan.found[(r_idx, sel)].append((fname, v_idx, start, end + 1, keyword, kw))
                        else:
                            scan.masks[(r_idx, sel)].append((fname, v_idx, start, end + 1))
        if self._has_regex:
            text = scan.folded(fname, v_idx)
            found = ([i for i, (r, sel, k) in enumerate(self._regex_refs) if self._sel(r, sel).regexes[k].search(text)]
                     if self._one_by_one else self._regex_set.Match(text) or ())
            for i in found:
                r_idx, sel, k = self._regex_refs[i]
                if fname in self._sel(r_idx, sel).fields:
                    scan.regex_hits[(r_idx, sel)].add((k, fname, v_idx))

    def _sel(self, r_idx: int, name: str) -> _Sel:
        rule = self._rules[r_idx]
        return rule.exceptions[name] if name.startswith(EXCEPTION) else rule.selections[name]

    def _evaluate(self, rule: _Rule, scan: "_Scan", r_idx: int) -> Hit | None:
        spans = {name: _selection(sel, scan, r_idx) for name, sel in rule.selections.items()}
        if not evaluate(rule.loaded.condition, lambda n: spans[n] is not None):
            return None
        if any(_selection(sel, scan, r_idx) is not None for sel in rule.exceptions.values()):
            return None
        evidence = tuple(sorted({m for n in rule.selections if n in rule.evidence for m in spans[n] or ()},
                                key=lambda m: (_FIELD_ORDER[m.field], m.value_index, m.start, m.end)))
        r = rule.loaded.rule
        return Hit(r.id, r.title, r.severity, tuple(r.tags), evidence)


class _Scan:
    """One listing's values and what the automaton and the regex set found in them."""

    def __init__(self, values: Fields, numbers: Numbers, images: ImageSignals):
        self.values = values
        self.numbers = numbers
        self.images = images
        self.found: dict[tuple[int, str], list] = defaultdict(list)
        self.masks: dict[tuple[int, str], list] = defaultdict(list)
        self.regex_hits: dict[tuple[int, str], set] = defaultdict(set)
        self._folded: dict[tuple[str, int], str] = {}
        self._maps: dict[tuple[str, int, str], object] = {}

    def folded(self, fname: str, v_idx: int) -> str:
        key = (fname, v_idx)
        if key not in self._folded:
            self._folded[key] = fold(self.values[fname][v_idx])
        return self._folded[key]

    def mapped(self, fname: str, v_idx: int, how: str):
        key = (fname, v_idx, how)
        if key not in self._maps:
            original = self.values[fname][v_idx]
            self._maps[key] = compact_map(original) if how == "compact" else fold_map(original)
        return self._maps[key]

    def present(self, fname: str) -> bool:
        if fname in self.numbers:
            return self.numbers[fname] is not None
        return any(v for v in self.values.get(fname, ()))


def _selection(sel: _Sel, scan: _Scan, r_idx: int) -> list[Match] | None:
    """The matched spans if the selection holds (an empty list for a test without text), else None."""
    spec = sel.spec
    for fname, rng in spec.ranges.items():
        if not rng.contains(scan.numbers.get(fname)):
            return None
    if any(not scan.present(f) for f in spec.present) or any(scan.present(f) for f in spec.absent):
        return None
    labels = list(scan.values.get("labels", ()))
    if spec.labels is not None and not spec.labels.holds(labels):
        return None
    images: list[Match] = []
    if spec.labels is not None:  # the venue's own marks, named in the hit as its evidence
        named = set(spec.labels.all) | set(spec.labels.any)
        images = [Match("labels", x, 0, len(x), i) for i, x in enumerate(labels) if x in named]
    if spec.image_bank is not None:
        near = [m for m in scan.images.banks if m.bank in spec.image_bank.banks and m.distance <= spec.image_bank.max_distance]
        if not near:
            return None
        images += [Match("image", m.describe(), 0, 0, len(images) + i)
                   for i, m in enumerate(sorted(near, key=lambda m: m.distance))]
    if spec.image_nudity is not None:
        test = spec.image_nudity
        seen = [(label, score) for label, score in scan.images.nudity if label in test.labels and score >= test.min_score]
        if not seen:
            return None
        images += [Match("image", f"nudity detector: {label} {score:.2f}", 0, 0, len(images) + i)
                   for i, (label, score) in enumerate(seen)]
    if not spec.has_text_test:
        return images
    per_keyword: dict[str, list[Match]] = defaultdict(list)
    masks = scan.masks.get((r_idx, sel.name), [])
    for fname, v_idx, start, end, keyword, spelled in scan.found.get((r_idx, sel.name), []):
        if any(f == fname and v == v_idx and s <= start and end <= e for f, v, s, e in masks):
            continue  # inside an exception phrase, e.g. エロ inside イエロー
        original = scan.values[fname][v_idx]
        m = scan.mapped(fname, v_idx, "compact")
        o_start, o_end = m.original_span(start, end)
        while o_end < len(original) and original[o_end] in LONG_VOWEL_MARKS and not _is_latin(original[o_end - 1]):
            o_end += 1  # セクシー, not セクシ: the dropped long-vowel mark belongs to the word
        lookalike = spelled != keyword
        if (spec.word or lookalike) and not _word_bounded(original, o_start, o_end):
            continue
        if lookalike and _reads_as_size(original, m, start, keyword, spelled):
            continue
        per_keyword[keyword].append(Match(fname, original[o_start:o_end], o_start, o_end, v_idx))
    for k, fname, v_idx in sorted(scan.regex_hits.get((r_idx, sel.name), ())):
        original = scan.values[fname][v_idx]
        for mo in sel.regexes[k].finditer(scan.folded(fname, v_idx)):
            if mo.end() > mo.start():
                o_start, o_end = scan.mapped(fname, v_idx, "fold").original_span(mo.start(), mo.end())
                per_keyword[f"regex:{k}"].append(Match(fname, original[o_start:o_end], o_start, o_end, v_idx))
    if spec.mode == "all":
        needed = set(sel.keywords) | {f"regex:{k}" for k in range(len(sel.regexes))}
        if not needed <= set(per_keyword):
            return None
    spans = [m for ms in per_keyword.values() for m in ms]
    return (spans + images) if spans else None


_SIZE_AFTER = re.compile(r"\s|$|[-/×x]|サイズ|ｻｲｽﾞ|判|ノビ|ポスター|ﾎﾟｽﾀｰ|size|poster|paper", re.IGNORECASE)


def _reads_as_size(original: str, m, start: int, keyword: str, spelled: str) -> bool:
    """A digit standing in for a letter reads as a paper or model size when a space, the end, a size word or
    a poster follows it (「A1 ポスター」, 「A1サイズ」, "A1 poster"): then the look-alike does not count."""
    for k, (want, got) in enumerate(zip(keyword, spelled)):
        if want != got and got.isdigit():
            at = m.original_span(start + k, start + k + 1)[1]
            if _SIZE_AFTER.match(original, at):
                return True
    return False


def _word_bounded(text: str, start: int, end: int) -> bool:
    """A Latin letter or digit at a match's edge must not continue into another one outside it."""
    if _is_latin(text[start]) and start > 0 and _is_latin(text[start - 1]):
        return False
    if _is_latin(text[end - 1]) and end < len(text) and _is_latin(text[end]):
        return False
    return True
