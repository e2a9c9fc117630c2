"""Hash exchange, end to end: a partner's ThreatExchange file taken into a bank (PDQ and exact MD5 / SHA-256
entries, with their provenance), real audits of a local marketplace matching the listings' pictures through
`auditor run` in fresh processes, the provenance on the case page in real Chromium, feedback for the partner,
and a flood: an entry matching far above its usual rate held, then released by a lead in the console."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest

from auditor.crawl.install import choose_executable
from auditor.demo.catalog import Catalog, generate
from auditor.demo.posters import poster
from auditor.demo.server import serve_demo
from auditor.images.banks import BankIndex
from auditor.images.pdq import hash_image
from auditor.review import decisions as dec
from auditor.review.users import User, add_user
from auditor.store import Store
from conftest import RULES
from test_notify import hook  # noqa: F401 - a local JSON webhook that records the alerts

pytestmark = pytest.mark.e2e
PASSWORD = "correct horse battery"
SOURCE = "StopNCII (test)"
PARTNER_RULE = """rules:
  - id: partner.hash_list
    title: A picture a partner's hash list holds / 共有ハッシュリストの画像
    description: One of the listing's pictures is in the partner's bank (PDQ within 31 bits, or its exact digest).
    severity: critical
    status: stable
    selections:
      listed:
        image_bank: {banks: [partner], max_distance: 31}
"""


def auditor(*args: str, config: Path) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "auditor", "--config", str(config), *args], capture_output=True,
                          text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    return done


def shared_world() -> tuple[Catalog, dict[str, list[str]]]:
    """A small marketplace where six innocent listings show one and the same picture (a flood's makings), one shows
    a picture a partner knows by its MD5, one by its PDQ hash."""
    catalog = generate(seed=11, size=40)
    innocent = [x for x in catalog.section("auction") if not x.expected_rules and x.status == "active"]
    assert len(innocent) >= 8
    flood, md5, pdq = innocent[:6], innocent[6], innocent[7]
    changed = {x.item_id: replace(x, design="partner-shared-poster", variant="", sd_metadata=False) for x in flood}
    changed[md5.item_id] = replace(md5, sd_metadata=False)
    changed[pdq.item_id] = replace(pdq, sd_metadata=False)
    listings = [changed.get(x.item_id, x) if x.section == "auction" else x for x in catalog.listings]
    return Catalog(catalog.seed, listings, catalog.sellers), {
        "flood": [x.item_id for x in flood], "md5": [md5.item_id], "pdq": [pdq.item_id]}


@pytest.fixture
def team(tmp_path, hook):  # noqa: F811
    catalog, ids = shared_world()
    shared = poster("partner-shared-poster")[1]
    md5_picture = poster(ids["md5"][0])[1]
    pdq_picture = poster(ids["pdq"][0])[1]
    # the partner's file, as the threatexchange library's local-file exchange reads it
    te = tmp_path / "partner.te"
    te.write_text(f"video_sha256 {hashlib.sha256(shared).hexdigest()}\n"
                  f"video_md5 {hashlib.md5(md5_picture).hexdigest().upper()}\n"
                  f"pdq {hash_image(pdq_picture).hex}\n", encoding="utf-8")
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    (rules / "partner.yaml").write_text(PARTNER_RULE, encoding="utf-8")
    with serve_demo(catalog) as server:
        config = tmp_path / "config.yaml"
        config.write_text(
            f"database: {tmp_path}/a.db\nreports_dir: {tmp_path}/reports\nrules_dir: {rules}\nlog_file: null\n"
            "crawl: {requests_per_second: 500, retries: 1, backoff_seconds: 0.05, allow_addresses: [127.0.0.1]}\n"
            "evidence: {enabled: false}\n"
            "images: {flood: {min_listings: 3, factor: 10}}\n"
            f"notify: [{{url: '{hook.url}', on: [bank_held], language: en}}]\n"
            f"targets:\n  - {{name: demo-auction, site: demo_auction, start_urls: ['{server.url}/auction/search'],"
            " requests_per_second: 500, images: all}\n", encoding="utf-8")
        yield {"config": config, "db": tmp_path / "a.db", "te": te, "ids": ids, "tmp": tmp_path, "hook": hook}


def partner_hits(store: Store, run_id: int) -> set[str]:
    return {k[1] for k, rules in store.flagged_keys(run_id).items() if "partner.hash_list" in rules}


def serve_console(db: Path):
    import uvicorn

    from auditor.config import Config
    from auditor.serve.app import create_app

    config = Config(database=db, rules_dir=RULES, log_file=None)
    server = uvicorn.Server(uvicorn.Config(create_app(config), host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"


def test_a_partners_hash_list_flags_its_pictures_shows_where_each_came_from_and_a_flood_waits_for_a_lead(team):
    from playwright.sync_api import sync_playwright
    from threatexchange.exchanges.impl.file_api import FileCollaborationConfig, LocalFileSignalExchangeAPI

    config, ids = team["config"], team["ids"]
    took = auditor("banks", "import", "partner", str(team["te"]), "--create", "--source", SOURCE, config=config)
    assert took.returncode == 0 and "3 of 3 hashes added to partner" in took.stdout, took.stdout + took.stderr

    first = auditor("run", config=config)
    assert first.returncode in (0, 1), first.stderr[-2000:]
    with Store(team["db"]) as store:
        run1 = max(r["id"] for r in store.db.query("select id from runs"))
        flagged = partner_hits(store, run1)
        # each kind of entry finds its picture: the exact SHA-256 and MD5 (given in capitals) and the PDQ hash
        assert set(ids["md5"]) | set(ids["pdq"]) <= flagged
        # six listings show the shared picture: the first three flag, the fourth passes 3 (min_listings) and
        # holds the entry, and it and the rest wait for a lead, whatever order the pictures came in
        assert len(flagged & set(ids["flood"])) == 3 and flagged <= set(ids["flood"]) | set(ids["md5"]) | set(ids["pdq"])
        waiting = set(ids["flood"]) - flagged
        [held] = store.held_entries()
        assert held["signal_type"] == "video_sha256" and held["waiting"] == 3
        assert f"run #{run1}: 4 listings matched it, more than 3" in held["held_why"]
        md5_match = {m["signal_type"]: m for m in store.bank_matches_of("demo_auction", ids["md5"][0])}["video_md5"]
        assert (md5_match["ref"], md5_match["source"], md5_match["held"]) == (SOURCE, "import", 0)
        [matches] = store.db.execute("select matches from hits where run_id = ? and item_id = ? and rule_id = ?",
                                     [run1, ids["md5"][0], "partner.hash_list"]).fetchone()
        assert "bank partner #" in matches and f"(import: {SOURCE})" in matches and "exact video_md5" in matches
        lead = add_user(store, "lena", "lead", PASSWORD, datetime(2026, 12, 1, tzinfo=timezone.utc))
    [told] = team["hook"].received  # the lead hears of it once, with where to release it
    assert "1 bank entries held for a flood of matches" in told["title"] and f"run #{run1}" in told["title"]
    assert f"#{held['id']} partner (video_sha256, from {SOURCE}): 3 listings wait" in told["message"]
    assert "Banks page" in told["message"]
    said = auditor("banks", "held", config=config)
    line = " ".join(said.stdout.split())  # as the terminal wraps it
    assert said.returncode == 0 and re.search(rf"#{held['id']} partner video_sha256 .*: held .*3 listings wait; from "
                                              rf"{re.escape(SOURCE)}", line), said.stdout

    # auditor's export is the library's own local-file format: it reads the same three signals back
    out = team["tmp"] / "export.te"
    assert auditor("banks", "export", "partner", "--format", "te", "-o", str(out), config=config).returncode == 0
    [delta] = LocalFileSignalExchangeAPI(FileCollaborationConfig(name="x", filename=str(out))).fetch_iter([], None)
    read_back = {(kind, signal.lower()) for kind, signal in delta.updates}
    assert read_back == {tuple(line.split(" ")) for line in team["te"].read_text().lower().splitlines()}

    # ... and imported into a fresh bank of a fresh installation, it matches the very same pictures
    fresh = team["tmp"] / "fresh.yaml"
    fresh.write_text(f"database: {team['tmp']}/fresh.db\nlog_file: null\n", encoding="utf-8")
    assert auditor("banks", "import", "again", str(out), "--create", config=fresh).returncode == 0
    with Store(team["tmp"] / "fresh.db") as other, Store(team["db"]) as store:
        index = BankIndex.load(other, ["again"])
        matched = set()
        for (site, item), images in store.images_of(store.listings_by_key(
                [(r["site"], r["item_id"]) for r in store.db.query("select site, item_id from listings")]).keys()).items():
            for im in images:
                row = store.db.execute("select sha256, md5 from images where sha256 = ?", [im["sha256"]]).fetchone()
                if index.match((im["dihedral"] or "").split() or [im["pdq"]]) or index.match_exact(row[0], row[1]):
                    matched.add(item)
        assert matched == {r["item_id"] for r in store.db.query("select distinct item_id from bank_matches")}
        assert matched == set(ids["flood"]) | set(ids["md5"]) | set(ids["pdq"])

    server, thread, url = serve_console(team["db"])
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=choose_executable(None))
            page = browser.new_context(locale="en-US").new_page()
            page.set_default_timeout(15_000)
            page.goto(url + "/login")
            page.fill("input[name=name]", "lena")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(re.compile(r".*/queue.*"))
            # the case page says which entry matched and where the entry came from
            page.goto(url + f"/case?site=demo_auction&item={ids['md5'][0]}")
            row = page.locator("#bank-matches tr.bank-match").first.inner_text()
            assert "partner" in row and "exact video_md5" in row and SOURCE in row
            page.goto(url + f"/case?site=demo_auction&item={sorted(waiting)[0]}")
            assert "held for a flood" in page.locator("#bank-matches").inner_text()
            # the lead's Banks page: the held entry, the listings waiting, Release
            page.click("nav a[href='/banks']")
            entry = page.locator(f"tr.held-entry[data-entry='{held['id']}']")
            assert "3" in entry.inner_text() and SOURCE in entry.inner_text()
            entry.locator("button[type=submit]").click()
            page.wait_for_selector("#released")
            assert f"Entry #{held['id']} released: 3 listing(s)" in page.inner_text("#released")
            assert page.locator("tr.held-entry").count() == 0
            browser.close()
    finally:
        server.should_exit = True
        thread.join(10)

    second = auditor("run", config=config)  # the next run reads the waiting listings' pages again: they flag now
    assert second.returncode in (0, 1), second.stderr[-2000:]
    with Store(team["db"]) as store:
        run2 = max(r["id"] for r in store.db.query("select id from runs"))
        assert waiting <= partner_hits(store, run2)
        assert store.held_entries() == []  # six listings are its usual now: not held again
        assert len(team["hook"].received) == 1  # nothing held in the second run: nothing told
        assert {r["held"] for r in store.db.query("select held from bank_matches where run_id = ?", [run1])} == {0, 3}

        # the partner hears what the reviewers decided: confirmed is a true positive, a false positive a false one
        now = datetime(2026, 12, 2, tzinfo=timezone.utc)
        user = User(lead.id, "lena", "lead")
        dec.decide(store, user, [("demo_auction", ids["md5"][0])], "confirmed", now)
        dec.decide(store, user, [("demo_auction", ids["pdq"][0])], "false_positive", now)
    told = auditor("banks", "feedback", "partner", config=config)
    assert told.returncode == 0, told.stderr
    rows = {r["signal_type"]: r for r in csv.DictReader(io.StringIO(told.stdout))}
    assert (rows["video_md5"]["opinion"], rows["video_md5"]["true_positives"], rows["video_md5"]["source"]) == \
        ("POSITIVE_CLASS", "1", SOURCE)
    assert (rows["pdq"]["opinion"], rows["pdq"]["false_positives"]) == ("NEGATIVE_CLASS", "1")
    assert "video_sha256" not in rows  # nobody decided on the flood's listings yet: nothing to tell


def test_a_bank_file_with_an_md5_of_the_wrong_length_is_refused_in_a_fresh_process_naming_its_line(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text(f"database: {tmp_path}/a.db\nlog_file: null\n", encoding="utf-8")
    bad = tmp_path / "list.te"
    bad.write_text(f"video_md5 {'ab' * 16}\nvideo_md5 {'ab' * 20}\n", encoding="utf-8")
    done = auditor("banks", "import", "partner", str(bad), "--create", config=config)
    assert done.returncode == 2 and "list.te:2:" in done.stderr and "is not a video_md5 hash (32 hex digits)" in done.stderr
    with Store(tmp_path / "a.db") as store:
        assert not store.bank_exists("partner")  # nothing of the file, not even the bank
