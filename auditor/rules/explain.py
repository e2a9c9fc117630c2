"""`auditor rules explain`: which rules match a text, on which span, after which normalisation."""

from __future__ import annotations

from dataclasses import dataclass

from auditor.rules.matcher import Fields, Matcher, Numbers
from auditor.rules.normalize import compact, fold


@dataclass(frozen=True)
class Explanation:
    rule: str
    severity: str
    title: str
    field: str
    span: str  # in the original text


def explain(matcher: Matcher, values: Fields, numbers: Numbers | None = None) -> list[Explanation]:
    """One entry per matched span (a rule that fires on a number or presence alone gets one with no span)."""
    out = []
    for hit in matcher.match_fields(values, numbers):
        if not hit.matches:
            out.append(Explanation(hit.rule_id, hit.severity, hit.title, "", ""))
        for m in hit.matches:
            out.append(Explanation(hit.rule_id, hit.severity, hit.title, m.field, m.text))
    return out


def normalised(values: Fields) -> dict[str, list[tuple[str, str]]]:
    """Each value's folded and compact forms: what keywords and regexes are compared with."""
    return {f: [(fold(v), compact(v)) for v in vs if v] for f, vs in values.items() if any(vs)}
