import pytest

from auditor.rules.condition import ConditionSyntaxError, evaluate, parse_condition, positive_names

NAMES = ["label", "print", "lookalike_a", "lookalike_b"]


@pytest.mark.parametrize("condition, true_names, expected", [
    ("label and print", {"label", "print"}, True),
    ("label and print", {"label"}, False),
    ("label and not lookalike_a", {"label", "lookalike_a"}, False),
    ("(label or print) and not 1 of lookalike_*", {"print"}, True),
    ("(label or print) and not 1 of lookalike_*", {"print", "lookalike_b"}, False),
    ("all of lookalike_*", {"lookalike_a", "lookalike_b"}, True),
    ("2 of them", {"label", "lookalike_b"}, True),
    ("2 of them", {"label"}, False),
])
def test_conditions(condition, true_names, expected):
    node = parse_condition(condition, NAMES)
    assert evaluate(node, lambda n: n in true_names) is expected


@pytest.mark.parametrize("condition, message", [
    ("label and missing", "condition names selection 'missing', which the rule does not define"),
    ("label and", "condition ends too early"),
    ("(label", "missing ')' in condition"),
    ("label print", "unexpected 'print' in condition"),
    ("1 of nothing_*", "'nothing_*' names no selection"),
    ("label & print", "unexpected character '&' in condition"),
])
def test_bad_conditions_say_what_is_wrong(condition, message):
    with pytest.raises(ConditionSyntaxError) as info:
        parse_condition(condition, NAMES)
    assert str(info.value) == message


def test_only_selections_outside_not_are_evidence():
    assert positive_names(parse_condition("label and not (print or lookalike_a)", NAMES)) == {"label"}
