"""Load rule files, validate them completely, and report every problem with file:line:column."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import re2
from pydantic import ValidationError

from auditor.errors import Location, Problem, RuleError
from auditor.rules.condition import ConditionSyntaxError, Node, parse_condition
from auditor.rules.model import Rule, RuleFile
from auditor.rules.normalize import compact
from auditor.yamlsource import load_located

RULE_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class LoadedRule:
    rule: Rule
    condition: Node
    location: Location


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


def compile_regex(pattern: str):
    """Compile with RE2 (linear time on any input); raises re2.error with RE2's reason.

    Patterns run over folded text (lower case), so they are compiled case-insensitively.
    """
    options = re2.Options()
    options.max_mem = 64 << 20
    options.case_sensitive = False
    options.log_errors = False
    return re2.compile(pattern, options)


def check_rules(paths: list[Path]) -> tuple[list[LoadedRule], list[Problem]]:
    """Load everything that loads; return the rules and every problem found, never raising."""
    files = rule_files(paths)
    rules: list[LoadedRule] = []
    problems: list[Problem] = []
    if not files:
        problems.append(Problem(Location(paths[0] if paths else Path("rules")), "no rule files (*.yaml) found"))
    seen: dict[str, Location] = {}
    for path in files:
        try:
            located = load_located(path, RuleError)
            parsed = RuleFile.model_validate(located.data if located.data is not None else {})
        except RuleError as e:
            problems.extend(e.problems)
            continue
        except ValidationError as e:
            problems.extend(located.problems_from(e))
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
            for name, sel in rule.selections.items():
                if not sel.keywords and not sel.regex:
                    at("selections", name, msg=f"selection {name!r} has neither keywords nor regex")
                for key, values in (("keywords", sel.keywords), ("except", sel.except_)):
                    for k, kw in enumerate(values):
                        if not compact(kw):
                            at("selections", name, key, k, msg=f"{key} entry {kw!r} is only spaces and punctuation")
                for k, pattern in enumerate(sel.regex):
                    try:
                        compile_regex(pattern)
                    except re2.error as e:
                        reason = e.args[0].decode() if e.args and isinstance(e.args[0], bytes) else str(e)
                        at("selections", name, "regex", k, msg=f"regex '{pattern}' cannot run in linear time or is invalid: {reason}")
            try:
                node = parse_condition(rule.effective_condition, list(rule.selections))
            except ConditionSyntaxError as e:
                at("condition", msg=str(e))
                node = None
            if here:
                problems.extend(here)
            elif node is not None:
                rules.append(LoadedRule(rule, node, where))
    return rules, problems


def load_rules(paths: list[Path] | Path) -> RuleSet:
    """Load a complete, valid rule set, or raise RuleError listing every problem: never a partial set."""
    paths = [paths] if isinstance(paths, Path) else list(paths)
    rules, problems = check_rules(paths)
    if problems:
        raise RuleError(problems)
    return RuleSet(tuple(rules), tuple(rule_files(paths)))
