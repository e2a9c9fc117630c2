"""Hostile files and values: a bad paste in a rule file, a value no page should be able to hurt a run with,
an address auditor must not reach. Each gives a located error or a safe value, fast and in bounded memory."""

from __future__ import annotations

import ipaddress
import tracemalloc
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from auditor.config import Allowance
from auditor.config import load_config
from auditor.crawl.addresses import AddressPolicy, Refusal, why_not_public
from auditor.errors import ConfigError, ParseError, RuleError
from auditor.models import Listing
from auditor.rules import Matcher, load_rules
from auditor.values import clean_amount, clean_count, clean_listing, clean_text, clean_time

LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{n}: &{n} [{', '.join(['*' + p] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi"))
RULE = """rules:
  - id: t.one
    title: one
    severity: low
    selections:
      label: {keywords: [AI美女]}
    condition: %s
"""


def located_within(load, path: Path, mb: float = 300.0) -> str:
    """Load a hostile file: it must fail with a located error without taking much memory (an expansion that
    was not stopped takes gigabytes, or never ends: the suite's timeout). No wall-clock bound: CI is loaded."""
    tracemalloc.start()
    try:
        with pytest.raises((RuleError, ConfigError)) as err:
            load(path)
        peak = tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()
    assert peak < mb, f"{peak:.0f} MB"
    message = str(err.value)
    assert message.startswith(str(path)), message
    return message


@pytest.mark.parametrize("load", [load_rules, load_config], ids=["rules", "config"])
def test_a_billion_laughs_file_is_stopped_with_its_location(tmp_path, load):
    path = tmp_path / "bomb.yaml"
    path.write_text(("rules: []\n" if load is load_rules else "") + LAUGHS, encoding="utf-8")
    assert "expands to more than" in located_within(load, path)


def test_merge_keys_that_double_at_every_level_are_stopped(tmp_path):
    text = "a0: &a0 {x0: 1}\n" + "".join(f"a{i}: &a{i} {{<<: [*a{i-1}, *a{i-1}], x{i}: 1}}\n" for i in range(1, 40))
    path = tmp_path / "merge.yaml"
    path.write_text(text, encoding="utf-8")
    located_within(load_config, path)


def test_nesting_ten_thousand_deep_is_a_located_error(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text("rules: " + "[" * 10_000 + "]" * 10_000 + "\n", encoding="utf-8")
    message = located_within(load_rules, path)
    assert "nested more than" in message and ":1:" in message


def test_a_nul_byte_is_named_with_its_line_and_column(tmp_path):
    path = tmp_path / "nul.yaml"
    path.write_text("rules:\n  - id: x\x00y\n", encoding="utf-8")
    assert f"{path}:2:10: a character YAML does not allow (#x0000)" in located_within(load_rules, path)


def test_a_condition_nested_five_thousand_deep_is_a_located_error(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text(RULE % ("'" + "(" * 5000 + "label" + ")" * 5000 + "'"), encoding="utf-8")
    assert "nests more than" in located_within(load_rules, path)


def test_regexes_too_large_for_one_set_still_match_one_by_one(tmp_path):
    patterns = ", ".join(f"'[\\p{{L}}\\p{{N}}]{{1,200}}x[\\p{{Han}}]{{1,200}}{i}'" for i in range(6))
    path = tmp_path / "t.yaml"
    path.write_text(RULE.replace("{keywords: [AI美女]}", "{regex: [%s]}" % patterns) % "label", encoding="utf-8")
    matcher = Matcher(load_rules(path))  # what validates, runs
    hits = matcher.match_listing(Listing("s", "1", "https://x.example/1", "abcx漢字3"))
    assert [h.rule_id for h in hits] == ["t.one"]
    assert matcher.match_listing(Listing("s", "2", "https://x.example/2", "nothing here")) == []


@pytest.mark.parametrize("raw, expected", [
    ("NaN", None), (float("nan"), None), (float("inf"), None), (Decimal("Infinity"), None), ("1e1000000", None),
    (Decimal("1e1000000"), None), (-5, None), ("-5", None), ([1.2], None), ({"v": 1}, None), (True, None),
    ("１，０００円", Decimal(1000)), ("3,440円", Decimal(3440)), (Decimal("1200"), Decimal(1200)), (10 ** 13, None),
])
def test_prices_are_finite_non_negative_and_sane(raw, expected):
    assert clean_amount(raw) == expected


@pytest.mark.parametrize("raw, expected", [
    (10 ** 30, None), ("eleven", None), (-1, None), (3.5, None), (float("nan"), None), ("１２", 12), (7, 7),
    (2 ** 63 - 1, 2 ** 63 - 1), (2 ** 63, None), (True, None), ([3], None),
])
def test_bids_are_whole_numbers_below_two_to_the_63(raw, expected):
    assert clean_count(raw) == expected


def test_text_loses_surrogates_and_control_characters_and_is_bounded():
    assert clean_text("a\ud800b\x00c\x1b[31md\x85e", 100) == "abc[31mde"
    assert clean_text({"id": 1}, 100) is None
    assert clean_text(12345, 100) == "12345"
    assert len(clean_text("x" * 5000, 1000)) == 1000
    assert clean_text("line\nbreak", 100) == "line break"
    assert clean_text("line\nbreak", 100, multiline=True) == "line\nbreak"


def test_times_must_survive_conversion():
    assert clean_time(datetime(9999, 12, 31, 23, 59)) is None  # converting to UTC would overflow, or is absurd
    assert clean_time(datetime(1, 1, 1)) is None
    assert clean_time("2026-11-26") is None
    ok = datetime(2026, 11, 26, 6, 0, tzinfo=timezone.utc)
    assert clean_time(ok) == ok


def test_a_listing_without_an_id_or_title_is_a_parse_failure_of_its_page():
    with pytest.raises(ParseError):
        clean_listing(Listing("s", "\x00\ud800", "https://x.example/1", "title"), "https://x.example/1")
    with pytest.raises(ParseError):
        clean_listing(Listing("s", "1", "https://x.example/1", {"an": "object"}), "https://x.example/1")  # type: ignore[arg-type]
    fixed = clean_listing(Listing("s", "1", "javascript:alert(1)", "t", image_urls=("file:///etc/passwd", "https://i/1.jpg"),
                                  seller_id={"x": 1}, bids=10 ** 30, status="weird"), "https://x.example/1")  # type: ignore[arg-type]
    assert (fixed.url, fixed.image_urls, fixed.seller_id, fixed.bids, fixed.status) == \
        ("https://x.example/1", ("https://i/1.jpg",), None, None, "active")


@pytest.mark.parametrize("address, kind", [
    ("127.0.0.1", "loopback"), ("127.0.0.2", "loopback"), ("10.1.2.3", "private"), ("172.16.0.1", "private"),
    ("192.168.1.1", "private"), ("169.254.169.254", "link-local"), ("100.64.0.1", "carrier-grade"),
    ("0.0.0.0", "unspecified"), ("::1", "loopback"), ("::ffff:127.0.0.1", "loopback"), ("fd00::1", "private"),
    ("fe80::1", "link-local"), ("224.0.0.1", "multicast"),
])
def test_internal_addresses_are_named_for_what_they_are(address, kind):
    assert kind in why_not_public(ipaddress.ip_address(address))


def test_public_addresses_pass_and_allowances_are_exact():
    policy = AddressPolicy.allowing("127.0.0.1:8080", "10.1.0.0/16", "mirror.internal")
    assert str(policy.resolve("93.184.216.34", 443)) == "93.184.216.34"
    assert str(policy.resolve("127.0.0.1", 8080)) == "127.0.0.1"
    with pytest.raises(Refusal, match="loopback"):
        policy.resolve("127.0.0.1", 8081)  # another port of the same machine is not the mirror
    assert str(policy.resolve("10.1.9.9", 80)) == "10.1.9.9"
    with pytest.raises(Refusal):
        policy.resolve("10.2.0.1", 80)
    assert policy.resolve("mirror.internal", 443) == "mirror.internal"
    with pytest.raises(Refusal, match="localhost \\(127.0.0.1\\) is a loopback"):
        AddressPolicy().resolve("localhost", 80)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "chrome://version", "data:text/html,hi", "ftp://x/y", "/relative",
                                 "http://"])
def test_only_http_and_https_addresses_are_fetched(url):
    with pytest.raises(Refusal):
        AddressPolicy().check_url(url)


@pytest.mark.parametrize("entry", ["", "http://x/", "a b", "10.0.0.0/8:99999", "host:port"])
def test_bad_allowances_are_refused_with_the_entry_named(entry):
    with pytest.raises(ValueError):
        Allowance.parse(entry)
