"""The rule engine: YAML rule files, normalisation, the compiled matcher, explain, seller rules and the
backtest of a rule change over stored listings.

May import the store (the backtest) and the shared vocabulary; never images/, run/ or above.
"""

from auditor.rules.loader import RuleSet, check_rules, load_rules
from auditor.rules.matcher import Matcher

__all__ = ["Matcher", "RuleSet", "check_rules", "load_rules"]
