"""A page that holds nothing to read says what it is, and the daily picture follows it: a removed page makes
the listing gone with the page kept as proof; a bot wall, a skeleton that stays a skeleton or an age gate
leave it unchecked and say why in site health and the alerts, never "0 results" and never gone.

The real crawler, a real SQLite file and the demo marketplace on 127.0.0.1; the skeleton that only
JavaScript fills is read through real Chromium.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from auditor.config import NotifySettings, Target
from auditor.demo import generate, serve_demo
from auditor.ops.audit import start_audit
from auditor.report.site_health import site_health
from auditor.run.pipeline import AuditOptions
from auditor.store import Store

from test_notify import hook  # noqa: F401 - the webhook fixture

pytestmark = pytest.mark.e2e


@pytest.fixture
def catalog():
    return generate(seed=11, size=40)


@pytest.fixture
def quiet(config):
    return config.model_copy(update={"evidence": config.evidence.model_copy(update={"enabled": False})})


@pytest.fixture
def site(catalog):
    """One demo marketplace for all of a test's daily runs (its listings keep their addresses)."""
    with serve_demo(catalog) as server:
        yield server


def audit(config, site, clock, faults=None, hours=24, **target):
    clock.now += timedelta(hours=hours)
    site.faults = dict(faults or {})
    with Store(config.database) as store:
        t = Target(name="auction", site="demo_auction", start_urls=[site.url + "/auction/search"],
                   requests_per_second=500, **target)
        summary = start_audit(config, store, AuditOptions(targets=[t], clock=clock))
        states = {r["item_id"]: r for r in store.states_of_run(summary.run_id)}
        return summary, states, store.failures_for_run(summary.run_id), site_health(store, summary.run_id)


def flagged(catalog):
    return [x for x in catalog.section("auction") if x.expected_rules]


def test_a_removed_page_makes_the_listing_gone_and_keeps_the_page_as_proof(quiet, catalog, site, clock):
    first, states, _, _ = audit(quiet, site, clock)
    gone = flagged(catalog)[0].item_id
    assert states[gone]["state"] == "new"
    second, states, failures, _ = audit(quiet, site, clock, faults={f"/auction/item/{gone}": "removed"})
    assert (states[gone]["state"], states[gone]["status"]) == ("gone", "removed")
    assert second.status == "completed" and not second.incomplete  # a removal is a page read, not a failure
    assert [f["kind"] for f in failures] == ["removed"] and "この商品は削除されました" in failures[0]["error"]
    with Store(quiet.database) as store:
        [proof] = store.removed_pages()
        listing = store.db["listings"].get(("demo_auction", gone))
    assert proof["url"] == listing["url"] and proof["run_id"] == second.run_id
    assert "この商品は削除されました" in proof["page"]
    assert proof["sha256"] == hashlib.sha256(proof["page"].encode("utf-8")).hexdigest()


def test_a_bot_wall_leaves_the_listing_unchecked_and_says_blocked(quiet, catalog, site, clock, hook):  # noqa: F811
    config = quiet.model_copy(update={"notify": [NotifySettings(url=hook.url, language="en")]})
    audit(config, site, clock)
    walled = flagged(catalog)[0].item_id
    _, states, failures, _ = audit(config, site, clock, faults={f"/auction/item/{walled}": "botwall"})
    assert states[walled]["state"] == "unchecked"  # never gone: nothing was read of it
    assert [(f["kind"], "Pardon Our Interruption" in f["error"]) for f in failures] == [("blocked", True)]
    before = len(hook.received)
    summary, states, _, health = audit(config, site, clock, faults={"/auction/": "botwall"})  # the whole site
    assert summary.listings_seen == 0 and states and {r["state"] for r in states.values()} == {"unchecked"}
    [line] = health
    assert line.blocked >= 1 and line.cause.startswith("blocked:")
    told = {m["title"]: m["message"] for m in hook.received[before:]}
    failed = next(v for k, v in told.items() if "FAILED" in k or "read nothing" in k)  # no page at all: the run failed
    drift = next(v for k, v in told.items() if "far fewer listings" in k)
    assert "blocked" in failed and "cause: blocked" in drift and "check the site profile" not in drift


def test_a_skeleton_search_is_read_again_in_the_browser_and_one_that_stays_a_skeleton_is_partial(quiet, catalog, site, clock):
    first, states, _, _ = audit(quiet, site, clock)
    site.clients.clear()
    drawn, states, failures, _ = audit(quiet, site, clock, faults={"/auction/search": "skeleton-js"})
    assert drawn.status == "completed" and not failures  # HTTP saw the skeleton; Chromium ran the page's script
    searched = [how for path, how in site.clients if path.startswith("/auction/search")]
    assert searched[:2] == ["http", "browser"]
    assert drawn.listings_seen == first.listings_seen and "gone" not in {r["state"] for r in states.values()}
    stuck, states, failures, health = audit(quiet, site, clock, faults={"/auction/search": "skeleton"})
    assert stuck.status == "partial" and "auction" in stuck.incomplete
    assert [f["kind"] for f in failures] == ["unrendered"] and "not 0 results" in failures[0]["error"]
    assert states and "gone" not in {r["state"] for r in states.values()}  # the followed ones read; nothing gone
    assert health[0].cause.startswith("unrendered:")


def test_an_age_gate_leaves_the_listing_unchecked_until_the_target_sets_the_venues_cookie(quiet, catalog, site, clock):
    audit(quiet, site, clock)
    gated = flagged(catalog)[0].item_id
    faults = {f"/auction/item/{gated}": "age-gate"}
    _, states, failures, health = audit(quiet, site, clock, faults=faults)
    assert states[gated]["state"] == "unchecked"
    assert [f["kind"] for f in failures] == ["age_gate"] and "Cookie: age_ok=1" in failures[0]["error"]
    assert health[0].age_gate == 1
    _, states, failures, _ = audit(quiet, site, clock, faults=faults, headers={"Cookie": "age_ok=1"})
    assert states[gated]["state"] == "active" and not failures
