"""The crawl budget: a daily run asks the marketplace only for item pages that can tell something new.

Real crawler, real Chromium for the flea market, the demo server on 127.0.0.1 with its own request log, a
real database. Which item pages a day asks for is checked against what the marketplace changed overnight,
and every listing's state against the ground truth, every day.
"""

from __future__ import annotations

import re
from pathlib import Path
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest

from auditor.config import Config
from auditor.demo import DemoWorld, serve_demo
from auditor.demo.days import confirm_true_hits
from auditor.demo.hosting import SCHEME, demo_targets
from auditor.demo.catalog import SITE_OF_SECTION
from auditor.run.budget import SAME_DAY, refresh_phase
from auditor.run.pipeline import AuditOptions, run_audit
from auditor.store import Store

from conftest import FixedClock

pytestmark = pytest.mark.e2e

ITEM_PAGE = re.compile(r"^/(auction|flea)/item/([A-Za-z0-9]+)$")
START = datetime(2026, 11, 24, 21, tzinfo=timezone.utc)  # 06:00 JST


class Marketplace:
    """The demo world, served day by day; keeps each day's server so its request log can be read."""

    def __init__(self, world: DemoWorld):
        self.world, self.day, self.servers = world, 1, {}

    @contextmanager
    def hosts(self, targets):
        with serve_demo(self.world.catalog(self.day), faults=self.world.faults(self.day)) as server:
            self.servers.setdefault(self.day, []).append(server)
            yield {SCHEME: server.url}

    def item_requests(self, day: int) -> set[tuple[str, str]]:
        """The listings whose item page the marketplace was asked for on that day."""
        out = set()
        for server in self.servers[day]:
            for path in server.requests:
                if m := ITEM_PAGE.match(path.split("?")[0]):
                    out.add((SITE_OF_SECTION[m.group(1)], m.group(2)))
        return out


def card_of(x) -> tuple:
    """What the demo's search cards show of a listing (auction: title, price, bids, end time, a sold or ended mark;
    flea: name, price)."""
    auction = x.section == "auction"
    return (x.title, x.price, x.bids if auction else None, x.end_time if auction else None,
            x.status if auction else None)


def audit(config: Config, market: Marketplace, clock, kind: str = "demo", **options):
    with Store(config.database) as store:
        s = run_audit(config, store, AuditOptions(targets=demo_targets(), kind=kind, hosts=market.hosts, clock=clock,
                                                  **options))
        states = {(r["site"], r["item_id"]): r["state"] for r in store.states_of_run(s.run_id)}
        return s, states


@pytest.fixture
def small(config):
    return config.model_copy(update={"evidence": config.evidence.model_copy(update={"enabled": False})})


def test_each_day_asks_only_for_new_changed_followed_and_due_item_pages_and_every_state_is_true(small):
    world = DemoWorld(7, 60, epoch=START)
    market, clock = Marketplace(world), FixedClock(START)
    asked, spared = {}, {}
    for day in (1, 2, 3, 4):
        market.day = day
        with Store(small.database) as store:
            followed = {(r["site"], r["item_id"]) for r in store.followed([t.name for t in demo_targets()])}
            read_at = {(r["site"], r["item_id"]): r["item_read_at"] for r in store.crawl_memory(
                ["demo_auction", "demo_fleamarket"])}
        summary, states = audit(small, market, clock)
        assert states == world.states(day), day  # new, active, gone, evaded, escalated, cleared, unchecked
        asked[day], spared[day] = market.item_requests(day), summary.pages_spared
        with Store(small.database) as store:
            confirm_true_hits(small, store, world, day, summary.run_id, clock())
        if day > 1:
            before = {x.key: x for x in world.catalog(day - 1).listings}
            today = world.catalog(day).listings
            served = {x.key for x in today if x.section not in world.failing_sections(day)}
            new = {x.key for x in today if not read_at.get(x.key)}  # never read in full (day 3's flea listings too)
            changed = {x.key for x in today if x.key in before and card_of(x) != card_of(before[x.key])}
            due = {k for k, at in read_at.items() if at and (refresh_phase(k, 7) - clock().astimezone(
                small.schedule.zone).date().toordinal()) % 7 == 0
                   and clock() - datetime.fromisoformat(at) >= SAME_DAY}
            expected = (new | changed | followed | due) & served
            assert asked[day] & served == expected, (day, sorted(asked[day] ^ expected))
            assert spared[day] == len(served - expected), day
        clock.now += timedelta(days=1)
    assert len(asked[1]) == 60 and spared[1] == 0  # day 1: everything is new
    assert all(spared[d] > 0 for d in (2, 3, 4)) and len(asked[2]) < len(asked[1]) / 2, (spared, asked)


def test_an_unchanged_item_page_is_answered_304_and_stands_for_the_stored_listing(small):
    world = DemoWorld(7, 60, epoch=START)
    market, clock = Marketplace(world), FixedClock(START)
    first, _ = audit(small, market, clock)
    with Store(small.database) as store:
        confirm_true_hits(small, store, world, 1, first.run_id, clock())
    clock.now += timedelta(hours=6)  # the same day's world again: every followed auction page is unchanged
    second, states = audit(small, market, clock)
    server = market.servers[1][-1]  # the second run's server
    answered_304 = {p.rsplit("/", 1)[1] for p in server.not_modified}
    with Store(small.database) as store:
        auction_followed = {r["item_id"] for r in store.followed(["demo-auction"])}
        rows = list(store.db.query("select item_id, source, changes from observations where run_id = ? and"
                                   " site = 'demo_auction'", [second.run_id]))
        spent = store.spent_of_run(second.run_id)
    assert auction_followed and answered_304 == auction_followed  # read on every run, and the venue said "unchanged"
    by_id = {r["item_id"]: r for r in rows}
    assert all(by_id[i]["source"] == "item" and by_id[i]["changes"] == "[]" for i in answered_304)
    assert set(states.values()) == {"active"}  # a 304 changes no state
    assert spent["demo-auction"]["not_modified"] == len(answered_304)
    assert spent["demo-auction"]["unchanged"] == second.pages_spared - spent["demo-fleamarket"].get("unchanged", 0)


def test_a_rule_added_between_two_days_flags_stored_listings_without_reading_them_and_captures_them(small, tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    for f in small.rules_dir.glob("*.yaml"):
        (rules / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    config = small.model_copy(update={"rules_dir": rules})
    world = DemoWorld(7, 60, epoch=START)
    market, clock = Marketplace(world), FixedClock(START)
    audit(config, market, clock)
    clock.now += timedelta(hours=6)
    with Store(config.database) as store:
        flagged = {(r["site"], r["item_id"]) for r in store.followed(["demo-auction", "demo-fleamarket"])}
    plain = [x for x in world.catalog(1).section("auction") if x.key not in flagged
             and refresh_phase(x.key, 7) != clock().astimezone(config.schedule.zone).date().toordinal() % 7]
    target = plain[0]
    (rules / "added.yaml").write_text(
        "rules:\n  - id: added.new_rule\n    title: a rule added today\n    severity: medium\n    selections:\n"
        f"      this:\n        fields: [item_id]\n        keywords: [{target.item_id}]\n", encoding="utf-8")
    second, states = audit(config.model_copy(update={"evidence": config.evidence.model_copy(update={"enabled": True})}),
                           market, clock)  # and today's captures taken
    assert states.get(target.key) == "new"  # flagged the day the rule came, from the stored listing
    with Store(config.database) as store:
        hits = {(r["site"], r["item_id"]) for r in store.db.query(
            "select site, item_id from hits where run_id = ? and rule_id = 'added.new_rule'", [second.run_id])}
        sources = {r["source"] for r in store.db.query(
            "select source from observations where run_id = ? and site = ? and item_id = ?", [second.run_id, *target.key])}
        captured = store.has_evidence(*target.key)
    assert hits == {target.key} and sources == {"card"}
    asked = [who for path, who in market.servers[1][-1].clients if path == f"/auction/item/{target.item_id}"]
    assert "http" not in asked  # the crawl did not read its page again
    assert captured and "browser" in asked  # its evidence was captured: what the venue shows today


def test_auditor_run_spares_unchanged_item_pages_and_full_reads_them_all(tmp_path):
    """As a user runs it, in fresh processes: the second `auditor run` spares pages, `--full` spares none, and the
    run's report and `auditor health --json` say what each target cost."""
    import json
    import subprocess
    import sys

    from conftest import RULES

    config = tmp_path / "config.yaml"
    config.write_text(f"database: {tmp_path}/a.db\nreports_dir: {tmp_path}/reports\nrules_dir: {RULES}\n"
                      "report: {language: en}\nevidence: {enabled: false}\ncrawl: {refresh_days: 7}\ntargets:\n"
                      "  - {name: demo-auction, site: demo_auction, start_urls: ['demo:/auction/search'],"
                      " requests_per_second: 500}\n", encoding="utf-8")

    def auditor(*args):
        done = subprocess.run([sys.executable, "-m", "auditor", "--config", str(config), *args], capture_output=True,
                              text=True, timeout=300, stdin=subprocess.DEVNULL)
        assert "Traceback" not in done.stderr, done.stderr
        return done.returncode, done.stdout + done.stderr

    def spared(out: str) -> int:
        return int(re.search(r"pages spared\s+│?\s*(\d+)", out).group(1))

    code, first = auditor("run")
    assert code == 0 and spared(first) == 0, first
    code, second = auditor("run", "--scheduled")
    assert code == 0 and spared(second) > 0, second
    assert "`auditor run --full` reads them" in second
    report = Path(re.search(r"^run report: (.+)$", second, re.M).group(1)).read_text(encoding="utf-8")
    cell = re.search(r'<td class="spent">([^<]+)</td>', report).group(1)
    assert f"{spared(second)} item pages spared" in cell and "answered 304" in cell, cell
    code, health = auditor("health", "--json")
    assert json.loads(health[:health.rindex("}") + 1])["spent"]["demo-auction"]["unchanged"] == spared(second)
    code, full = auditor("run", "--full")
    assert code == 0 and spared(full) == 0, full


def test_a_follow_up_run_reads_only_followed_listings_and_records_a_removal_between_daily_runs(small):
    world = DemoWorld(7, 40, epoch=START)  # a world whose day 2 deletes a flagged listing (its page says so)
    market, clock = Marketplace(world), FixedClock(START)
    first, _ = audit(small, market, clock)
    with Store(small.database) as store:
        confirm_true_hits(small, store, world, 1, first.run_id, clock())
        followed = {(r["site"], r["item_id"]) for r in store.followed([t.name for t in demo_targets()])}
    market.day, clock.now = 2, clock.now + timedelta(hours=6)  # the venue deleted one of them since the morning
    [removed] = [k for k, kind in world.refusals(2).items() if kind == "removed"]
    assert removed in followed
    later, states = audit(small, market, clock, kind="followup")
    assert later.kind == "followup" and later.status in ("completed", "partial"), later.incomplete
    assert all("pages failed" in why for why in later.incomplete.values())  # the bot wall and the age gate, if any
    asked = [p.split("?")[0] for p in market.servers[2][-1].requests]
    assert any(ITEM_PAGE.match(p) for p in asked) and not [p for p in asked if "search" in p]  # no search page
    assert market.item_requests(2) <= followed  # only the followed listings' pages
    assert set(states) <= followed and states[removed] == "gone"  # its removal, seen hours after the morning
    with Store(small.database) as store:
        assert store.picture_row(*removed)["state"] == "gone"  # the picture moved on
        assert store.run(later.run_id)["kind"] == "followup"


class Catalogs:
    """A marketplace whose catalogue per day the test decides (no faults)."""

    def __init__(self, catalogs: dict):
        self.catalogs = catalogs

    def catalog(self, day: int):
        return self.catalogs[day]

    def faults(self, day: int):
        return {}


def test_a_newest_first_search_stops_paging_when_only_known_unchanged_listings_are_left(small):
    from dataclasses import replace as changed

    from auditor.config import Target
    from auditor.demo import generate

    first = generate(seed=3, size=200)
    auctions = first.section("auction")
    assert len(auctions) > 4 * 20  # five search pages and more
    newest = max(int(x.item_id[1:]) for x in first.listings)
    second = first
    for n in (1, 2):  # two new auctions today: newest first, they open page 1
        second = second.with_listing(changed(auctions[-n], item_id=f"x{newest + n}", title=f"新作ポスター {n}"))
    market, clock = Marketplace(Catalogs({1: first, 2: second})), FixedClock(START)
    target = Target(name="auction-new", site="demo_auction", queries=[""], base_url=SCHEME, images="none")

    def run(day: int, **options):
        market.day = day
        with Store(small.database) as store:
            return run_audit(small, store, AuditOptions(targets=[target], kind="manual", hosts=market.hosts, clock=clock,
                                                        **options))

    def pages(day: int) -> list[int]:
        return sorted(int(re.search(r"[?&]p=(\d+)", p).group(1)) for p in market.servers[day][-1].requests
                      if p.startswith("/auction/search"))

    run(1)
    assert pages(1) == list(range(1, len(pages(1)) + 1)) and len(pages(1)) >= 5  # day 1: every page, all news
    clock.now += timedelta(hours=6)
    today = run(2)
    assert pages(2) == [1, 2, 3]  # page 1 holds the news; pages 2 and 3 only known, unchanged listings: stop
    with Store(small.database) as store:
        seen = {r["item_id"] for r in store.db.query("select item_id from observations where run_id = ?", [today.run_id])}
        spent = store.spent_of_run(today.run_id)["auction-new"]
    assert {f"x{newest + 1}", f"x{newest + 2}"} <= seen and spent["paging_stopped"] == 1
    run(2, full=True)  # --full pages to the end
    assert len(pages(2)) == len(pages(1)) + (1 if len(auctions) + 2 > len(pages(1)) * 20 else 0)
