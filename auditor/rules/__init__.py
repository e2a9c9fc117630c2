"""The rule engine: YAML rule files, normalisation, and the compiled matcher."""

from auditor.rules.loader import RuleSet, check_rules, load_rules
from auditor.rules.matcher import Matcher

__all__ = ["Matcher", "RuleSet", "check_rules", "load_rules"]
