"""`auditor rules explain`: which rules match a text, on which span, after which normalisation."""

from __future__ import annotations

from dataclasses import dataclass

from auditor.i18n import tr
from auditor.models import ImageSignals
from auditor.rules.matcher import Fields, Matcher, Numbers
from auditor.rules.normalize import compact, fold


@dataclass(frozen=True)
class Explanation:
    rule: str
    severity: str
    title: str
    field: str
    span: str  # in the original text


def explain(matcher: Matcher, values: Fields, numbers: Numbers | None = None,
            images: ImageSignals | None = None) -> list[Explanation]:
    """One entry per matched span (a rule that fires on a number or presence alone gets one with no span);
    `images` is what the listing's images showed (an image test's spans name the bank entry or the label)."""
    out = []
    for hit in matcher.match_fields(values, numbers, images):
        if not hit.matches:
            out.append(Explanation(hit.rule_id, hit.severity, hit.title, "", ""))
        for m in hit.matches:
            out.append(Explanation(hit.rule_id, hit.severity, hit.title, m.field, m.text))
    return out


def normalised(values: Fields) -> dict[str, list[tuple[str, str]]]:
    """Each value's folded and compact forms: what keywords and regexes are compared with."""
    return {f: [(fold(v), compact(v)) for v in vs if v] for f, vs in values.items() if any(vs)}


@dataclass(frozen=True)
class SelectionTrace:
    """One selection (or exception) of a rule on one listing: whether it held, and why."""

    name: str
    role: str  # selection | exception
    held: bool
    matched: tuple[str, ...]  # 'field "text"' of each keyword or regex hit that counts
    cancelled: tuple[str, ...]  # hits an `except` phrase cancelled, with the phrase
    missing: tuple[str, ...]  # why it did not hold: keywords not found, ranges, presence


@dataclass(frozen=True)
class RuleTrace:
    rule: str
    severity: str
    condition: str
    condition_holds: bool
    excepted: bool
    fires: bool
    selections: tuple[SelectionTrace, ...]


def trace_rules(matcher: Matcher, values: Fields, numbers: Numbers | None, rule_ids: list[str] | None,
                images: ImageSignals | None = None) -> list[RuleTrace]:
    """For each rule asked for (None: every listing rule), each selection's verdict and reasons, and the condition's."""
    from auditor.rules.condition import evaluate
    from auditor.rules.matcher import _Scan, _selection

    numbers = numbers or {}
    scan = _Scan(values, numbers, images or ImageSignals())
    for fname in matcher._fields:
        for v_idx, value in enumerate(values.get(fname, ())):
            if value:
                matcher._scan_value(scan, fname, v_idx, value)
    known = {r.loaded.rule.id: i for i, r in enumerate(matcher._rules)}
    unknown = [r for r in rule_ids or [] if r not in known]
    if unknown:
        from auditor.errors import AuditorError
        from auditor.rules.condition import did_you_mean

        raise AuditorError(tr("no listing rule {rule!r}", rule=unknown[0]) + did_you_mean(unknown[0], known))
    out = []
    for rule_id in rule_ids or list(known):
        r_idx = known[rule_id]
        rule = matcher._rules[r_idx]
        traces, held = [], {}
        for role, group in (("selection", rule.selections), ("exception", rule.exceptions)):
            for name, sel in group.items():
                spans = _selection(sel, scan, r_idx)
                held[name] = spans is not None
                traces.append(_trace(name.lstrip("!"), role, sel, spans, scan, r_idx, numbers))
        holds = evaluate(rule.loaded.condition, lambda n: held.get(n, False))
        excepted = any(held[n] for n in rule.exceptions)
        r = rule.loaded.rule
        out.append(RuleTrace(r.id, r.severity, r.effective_condition, holds, excepted, holds and not excepted, tuple(traces)))
    return out


def _trace(name, role, sel, spans, scan, r_idx, numbers) -> SelectionTrace:
    spec = sel.spec
    missing = []
    for fname, rng in spec.ranges.items():
        value = numbers.get(fname)
        if not rng.contains(value):
            bounds = f"{'' if rng.min is None else rng.min}..{'' if rng.max is None else rng.max}"
            missing.append(tr("{field} {value} is not within {bounds}", field=fname,
                              value=value if value is not None else tr("(none)"), bounds=bounds))
    missing += [tr("{field} is absent", field=f) for f in spec.present if not scan.present(f)]
    missing += [tr("{field} is present", field=f) for f in spec.absent if scan.present(f)]
    found = scan.found.get((r_idx, sel.name), [])
    masks = scan.masks.get((r_idx, sel.name), [])
    cancelled = []
    for fname, v_idx, start, end, *_ in found:
        for f, v, s, e in masks:
            if f == fname and v == v_idx and s <= start and end <= e:
                m = scan.mapped(fname, v_idx, "compact")
                original = scan.values[fname][v_idx]
                a, b = m.original_span(start, end)
                x, y = m.original_span(s, e)
                cancelled.append(tr('{field} "{text}" (inside the except phrase "{phrase}")', field=fname,
                                    text=original[a:b], phrase=original[x:y]))
    matched = tuple(f'{m.field} "{m.text}"' for m in spans or ())
    if spec.has_text_test and not matched:
        where = ", ".join(sorted(sel.fields))
        terms = list(spec.keywords) + [tr("regex {pattern}", pattern=p) for p in spec.regex]
        missing.append(tr("no keyword or regex of [{terms}] in {fields}", fields=where,
                          terms=", ".join(terms[:8]) + (", …" if len(terms) > 8 else "")))
    elif spec.mode == "all" and spans is None and spec.has_text_test:
        missing.append(tr("mode all: not every keyword was found"))
    return SelectionTrace(name, role, spans is not None, matched, tuple(cancelled), tuple(missing))
