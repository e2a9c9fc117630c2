"""Seller networks exchanged as STIX 2.1: the demo's networks exported by `auditor networks export` validate (the
stix2 library and the OASIS validator), and imported into a fresh team's database they link the same sellers."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from auditor.demo import DemoWorld
from auditor.images.networks import seller_networks
from auditor.store import Store

from conftest import RULES

LISTINGS = 90


def auditor(*args: str, config) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "auditor", "--config", str(config), *args], capture_output=True,
                          text=True, timeout=600, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def demo_networks(tmp_path_factory):
    """Two days of the demo, run as a user runs it; the networks its sellers formed by day 2."""
    tmp = tmp_path_factory.mktemp("stix")
    demo = tmp / "demo.yaml"
    demo.write_text(f"rules_dir: {RULES}\ndatabase: {tmp}/unused.db\nreports_dir: {tmp}/unused\n"
                    f"demo: {{database: {tmp}/demo.db, reports_dir: {tmp}/demo-reports, listings: {LISTINGS}}}\n",
                    encoding="utf-8")
    done = auditor("demo", "--days", "2", config=demo)
    assert done.returncode == 0, done.stderr[-2000:]
    team = tmp / "team.yaml"  # a config reading the demo's database, as a team reads its own
    team.write_text(f"rules_dir: {RULES}\ndatabase: {tmp}/demo.db\nreports_dir: {tmp}/reports\n"
                    "networks: {tlp: amber, team: T&S Japan}\n", encoding="utf-8")
    world = DemoWorld(7, LISTINGS)
    # the demo runs its last day as today: its world's day 2 is what the database holds
    return tmp, team, world.networks(2)


@pytest.mark.e2e
def test_the_demos_networks_export_as_a_stix_bundle_that_validates(demo_networks):
    import stix2
    from stix2validator import ValidationOptions, validate_string

    tmp, team, truth = demo_networks
    assert truth
    out = tmp / "networks.json"
    done = auditor("networks", "export", "--format", "stix", "-o", str(out), config=team)
    assert done.returncode == 0 and f"{out}" in done.stdout, done.stderr[-1500:]
    text = out.read_text(encoding="utf-8")
    result = validate_string(text, ValidationOptions(version="2.1", strict=False))
    assert result.is_valid, [str(e) for r in result.object_results for e in r.errors]
    bundle = stix2.parse(text, allow_custom=False)  # nothing custom: every property is the spec's
    kinds = {}
    for o in bundle.objects:
        kinds.setdefault(o.type, []).append(o)
    accounts = {(a.account_type, a.user_id) for a in kinds["user-account"]}
    assert set().union(*truth) <= accounts  # every seller of every network, as a user account of its venue
    assert len(kinds["grouping"]) == len(truth)
    for grouping in kinds["grouping"]:
        members = {(o.account_type, o.user_id) for o in bundle.objects if o.id in set(grouping.object_refs)
                   and o.type == "user-account"}
        assert frozenset(members) in truth  # one grouping per network, holding its sellers
    assert any(i.pattern.startswith("[file:hashes.'SHA-256' = '") for i in kinds["indicator"])
    assert any(i.pattern_type == "pdq" and len(i.pattern) == 64 for i in kinds["indicator"])
    assert {o.name for o in kinds["identity"]} == {"T&S Japan"}
    marked = [o for o in bundle.objects if o.type != "marking-definition"]
    assert all(o.object_marking_refs == [stix2.TLP_AMBER.id] for o in marked)  # networks.tlp, on every object
    again = auditor("networks", "export", config=team)  # the same sellers keep their ids, export after export
    assert {o["id"] for o in json.loads(again.stdout)["objects"] if o["type"] == "user-account"} == \
        {a.id for a in kinds["user-account"]}


@pytest.mark.e2e
def test_a_bundle_imported_into_a_fresh_database_links_the_same_sellers(demo_networks):
    tmp, team, truth = demo_networks
    bundle = tmp / "partner-networks.json"
    bundle.write_text(auditor("networks", "export", config=team).stdout, encoding="utf-8")
    rules = tmp / "rules"
    shutil.copytree(RULES, rules)
    fresh = tmp / "fresh.yaml"
    fresh.write_text(f"rules_dir: {rules}\ndatabase: {tmp}/fresh.db\nreports_dir: {tmp}/fresh-reports\n", encoding="utf-8")
    done = auditor("networks", "import", str(bundle), config=fresh)
    sellers = len(set().union(*truth))
    assert done.returncode == 0, done.stderr[-1500:]
    assert f"{sellers} sellers watched" in done.stdout and "watch_partner_networks.yaml" in done.stdout, done.stdout
    with Store(tmp / "fresh.db") as store:
        assert {frozenset(n.sellers) for n in seller_networks(store)} == truth
        assert {(r["site"], r["seller_id"]) for r in store.watched_sellers()} == set().union(*truth)
        assert all("partner" in n.how for n in seller_networks(store))
    again = auditor("networks", "import", str(bundle), config=fresh)  # the same file twice adds nothing
    assert again.returncode == 0 and "0 sellers watched, 0 links added" in again.stdout, again.stdout
    rule = rules / "watch_partner_networks.yaml"
    assert "status: experimental" in rule.read_text(encoding="utf-8")  # in shadow until a lead promotes it
    validated = auditor("rules", "validate", config=fresh)
    assert validated.returncode == 0, validated.stdout
    site, seller_id = sorted(set().union(*truth))[0]
    said = auditor("rules", "explain", "--field", f"seller_id={seller_id}", config=fresh)
    assert "watch_partner_networks.sellers" in said.stdout, said.stdout
    other = auditor("rules", "explain", "--field", f"seller_id={seller_id}x", config=fresh)
    assert "watch_partner_networks.sellers" not in other.stdout


@pytest.mark.parametrize("text, why", [("{not json", "not a STIX 2.1 bundle"),
                                       ('{"type": "indicator", "id": "x"}', "not a STIX 2.1 bundle")])
def test_a_file_that_is_no_bundle_is_refused_in_one_line(tmp_path, text, why):
    bad = tmp_path / "bad.json"
    bad.write_text(text, encoding="utf-8")
    config = tmp_path / "c.yaml"
    config.write_text(f"rules_dir: {RULES}\ndatabase: {tmp_path}/a.db\nreports_dir: {tmp_path}/r\n", encoding="utf-8")
    done = auditor("networks", "import", str(bad), config=config)
    assert done.returncode == 2 and "Traceback" not in done.stderr and why in done.stderr, done.stderr
    with Store(tmp_path / "a.db") as store:
        assert store.watched_sellers() == []

