"""`auditor rules test`: every rule's examples, run through the same matcher a run uses."""

from __future__ import annotations

from dataclasses import dataclass

from auditor.errors import Location, Problem
from auditor.i18n import tr
from auditor.models import BankMatch, ImageSignals
from auditor.rules.loader import LoadedRule, RuleSet
from auditor.rules.matcher import Matcher
from auditor.rules.model import LIST_FIELDS, NUMERIC_FIELDS, Example


@dataclass(frozen=True)
class ExampleFailure:
    rule_id: str
    location: Location
    expected: str  # "match" | "no_match"
    example: str

    def __str__(self) -> str:
        verb = "is not flagged by" if self.expected == "match" else "is flagged by"
        return f"{self.location}: example {self.example} {verb} {self.rule_id}"


def example_fields(ex: Example) -> tuple[dict[str, list[str]], dict]:
    data = ex.model_dump()
    values = {k: (list(v) if k in LIST_FIELDS else [v]) for k, v in data.items()
              if k not in NUMERIC_FIELDS and k not in ("listings", "total", "image_bank", "image_nudity")}
    return values, {k: data[k] for k in NUMERIC_FIELDS}


def describe(ex: Example) -> str:
    """The example as staff wrote it: only the fields it sets."""
    data = ex.model_dump(exclude_defaults=True)
    return "{" + ", ".join(f"{k}: {v!r}" for k, v in data.items()) + "}"


def _fires(matcher: Matcher, loaded: LoadedRule, ex: Example) -> bool:
    rule = loaded.rule
    if rule.seller is not None:
        return rule.seller.fires(ex.listings or 0, ex.total or 0)
    values, numbers = example_fields(ex)
    images = ImageSignals(tuple(BankMatch(bank, 0, distance, "", "example", None) for bank, distance in ex.image_bank.items()),
                          tuple(ex.image_nudity.items()))
    return any(h.rule_id == rule.id for h in matcher.match_fields(values, numbers, images))


def run_examples(ruleset: RuleSet, matcher: Matcher | None = None) -> tuple[int, list[ExampleFailure]]:
    """Check every example of every rule; returns how many were checked and the failures."""
    matcher = matcher or Matcher(ruleset)
    checked, failures = 0, []
    for loaded in ruleset.rules:
        for expected in ("match", "no_match"):
            for k, ex in enumerate(getattr(loaded.rule.examples, expected)):
                checked += 1
                if _fires(matcher, loaded, ex) != (expected == "match"):
                    failures.append(ExampleFailure(loaded.rule.id, loaded.where("examples", expected, k), expected, describe(ex)))
    return checked, failures


def missing_examples(ruleset: RuleSet) -> list[Problem]:
    """A rule without a `match` example, or without a `no_match` one: nothing shows it flags what it
    should, or spares what it should (`rules test` warns; `--strict` refuses)."""
    out = []
    for loaded in ruleset.rules:
        for expected, what in (("match", "nothing it must flag"), ("no_match", "nothing it must not flag")):
            if not getattr(loaded.rule.examples, expected):
                out.append(Problem(loaded.where(), tr("rule {id} has no `{expected}` example: {what} is shown",
                                                      id=loaded.rule.id, expected=expected, what=what)))
    return out
