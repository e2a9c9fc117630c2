"""Load rule files, validate them completely, and report every problem with file:line:column."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path

import re2
from pydantic import ValidationError

from auditor.errors import Location, Problem, RuleError
from auditor.i18n import tr
from auditor.rules.condition import ConditionSyntaxError, Node, parse_condition
from auditor.rules.model import Rule, RuleFile, Selection
from auditor.rules.normalize import compact, fold_pattern
from auditor.yamlsource import Located, load_located

RULE_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class LoadedRule:
    rule: Rule
    condition: Node | None  # None for a seller rule
    location: Location
    source: Located | None = None
    index: int = 0

    def where(self, *loc: str | int) -> Location:
        """The location of a part of this rule in its file (e.g. "examples", "match", 2)."""
        if self.source is None:
            return self.location
        return self.source.location(("rules", self.index) + loc)


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[LoadedRule, ...]
    files: tuple[Path, ...]

    def __len__(self) -> int:
        return len(self.rules)

    def by_id(self, rule_id: str) -> LoadedRule:
        for r in self.rules:
            if r.rule.id == rule_id:
                return r
        raise KeyError(rule_id)

    @property
    def listing_rules(self) -> tuple[LoadedRule, ...]:
        return tuple(r for r in self.rules if not r.rule.is_seller_rule)

    @property
    def seller_rules(self) -> tuple[LoadedRule, ...]:
        return tuple(r for r in self.rules if r.rule.is_seller_rule)


def rule_files(paths: list[Path]) -> list[Path]:
    """The rule files under the given files and folders, in a stable order."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            found = (f for f in p.rglob("*") if f.suffix in RULE_SUFFIXES and f.is_file())
            out.extend(sorted(found, key=lambda f: (len(f.parts), f)))  # a folder's own files first
        else:
            out.append(p)
    return out


def regex_options() -> re2.Options:
    """RE2 options shared by single patterns and the matcher's set: patterns run over folded
    (lower-case) text, so they are compiled case-insensitively."""
    options = re2.Options()
    options.max_mem = 64 << 20
    options.log_errors = False
    options.case_sensitive = False
    return options


def compile_regex(pattern: str):
    """Compile with RE2 (linear time on any input); raises re2.error with RE2's reason."""
    return re2.compile(fold_pattern(pattern), regex_options())


def _re2_reason(e: re2.error) -> str:
    return e.args[0].decode() if e.args and isinstance(e.args[0], bytes) else str(e)


def _check_selection(name: str, sel: Selection, at, key: str) -> None:
    if not sel.has_test:
        at(key, name, msg=f"selection {name!r} tests nothing: give keywords, regex, price, buy_now_price, bids, present or absent")
    for what, values in (("keywords", sel.keywords), ("except", sel.except_)):
        for k, kw in enumerate(values):
            if not compact(kw):
                at(key, name, what, k, msg=f"{what} entry {kw!r} is only spaces and punctuation")
    for k, pattern in enumerate(sel.regex):
        try:
            compile_regex(pattern)
        except re2.error as e:
            at(key, name, "regex", k, msg=f"regex '{pattern}' cannot run in linear time or is invalid: {_re2_reason(e)}")


def check_rules(paths: list[Path]) -> tuple[list[LoadedRule], list[Problem]]:
    """Load everything that loads; return the rules and every problem found, never raising."""
    files = rule_files(paths)
    rules: list[LoadedRule] = []
    problems: list[Problem] = []
    if not files:
        problems.append(Problem(Location(paths[0] if paths else Path("rules")), tr("no rule files (*.yaml) found")))
    seen: dict[str, Location] = {}
    for path in files:
        try:
            located = load_located(path, RuleError)
            parsed = RuleFile.model_validate(located.data if located.data is not None else {})
        except RuleError as e:
            problems.extend(e.problems)
            continue
        except ValidationError as e:
            problems.extend(located.problems_from(e, model=RuleFile))
            problems.extend(_unparsed_checks(located))  # what the schema cannot see, reported in the same pass
            continue
        for i, rule in enumerate(parsed.rules):
            where = located.location(("rules", i))
            here: list[Problem] = []

            def at(*loc, msg: str) -> None:
                here.append(Problem(located.location(("rules", i) + loc), msg))

            prefix = path.stem + "."
            if not rule.id.startswith(prefix):
                at("id", msg=f"rule id {rule.id!r} must start with the file's name, {prefix!r}")
            if rule.id in seen:
                at("id", msg=f"duplicate rule id {rule.id!r} (first defined at {seen[rule.id]})")
            else:
                seen[rule.id] = where
            node = None
            if not rule.is_seller_rule:
                for name, sel in rule.selections.items():
                    _check_selection(name, sel, at, "selections")
                for name, sel in rule.exceptions.items():
                    _check_selection(name, sel, at, "exceptions")
                try:
                    node = parse_condition(rule.effective_condition, list(rule.selections))
                except ConditionSyntaxError as e:
                    at("condition", msg=str(e))
            problems.extend(here)
            if not here:
                rules.append(LoadedRule(rule, node, where, located, i))
    problems.extend(_check_seller_rules(rules))
    return rules, problems


def _unparsed_checks(located: Located) -> list[Problem]:
    """In a file that did not pass the schema: the regexes and conditions of its rules, checked all the same,
    so one `rules validate` names every problem."""
    out: list[Problem] = []
    data = located.data if isinstance(located.data, dict) else {}
    for i, raw in enumerate(data.get("rules") or [] if isinstance(data.get("rules"), list) else []):
        if not isinstance(raw, dict) or not isinstance(raw.get("selections"), dict):
            continue
        names = [str(n) for n in raw["selections"]]
        for name, sel in raw["selections"].items():
            patterns = sel.get("regex") if isinstance(sel, dict) else None
            for k, pattern in enumerate(patterns if isinstance(patterns, list) else []):
                if isinstance(pattern, str):
                    try:
                        compile_regex(pattern)
                    except re2.error as e:
                        out.append(Problem(located.location(("rules", i, "selections", name, "regex", k)),
                                           tr("regex '{pattern}' cannot run in linear time or is invalid: {value}",
                                              pattern=pattern, value=_re2_reason(e))))
        condition = raw.get("condition")
        if isinstance(condition, str) or condition is None:
            try:
                parse_condition(condition or " and ".join(names), names)
            except ConditionSyntaxError as e:
                out.append(Problem(located.location(("rules", i, "condition")), str(e)))
    return out


def _check_seller_rules(rules: list[LoadedRule]) -> list[Problem]:
    listing_ids = [r.rule.id for r in rules if not r.rule.is_seller_rule]
    out = []
    for r in rules:
        if r.rule.seller is None:
            continue
        for k, pattern in enumerate(r.rule.seller.rules):
            if not any(fnmatch.fnmatchcase(i, pattern) for i in listing_ids):
                out.append(Problem(r.where("seller", "rules", k), tr("seller.rules: {pattern!r} names no listing rule",
                                                                     pattern=pattern)))
    return out


def load_rules(paths: list[Path] | Path) -> RuleSet:
    """Load a complete, valid rule set, or raise RuleError listing every problem: never a partial set."""
    paths = [paths] if isinstance(paths, Path) else list(paths)
    rules, problems = check_rules(paths)
    if problems:
        raise RuleError(problems)
    return RuleSet(tuple(rules), tuple(rule_files(paths)))


def write_rule_files(folder: Path, files: dict[str, str]) -> list[Path]:
    """Rule files kept with a run (path relative to the rules folder -> text) written out again under folder, to be
    loaded as they were (a backtest's base, a worker's rules); a path that would leave folder is skipped."""
    out = []
    for rel, text in files.items():
        path = (folder / rel).resolve()
        if not path.is_relative_to(folder.resolve()):
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        out.append(path)
    return out
