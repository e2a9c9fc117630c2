"""End to end: the real crawler drives real headless Chromium over the demo marketplace on localhost."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from collections import Counter
from dataclasses import replace
from datetime import timedelta

import pytest

from auditor.config import Target
from conftest import LOCAL
from auditor.crawl import BrowserFetcher, CrawlJob, CrawlPolicy, crawl
from auditor.crawl.http import HttpFetcher
from auditor.demo import generate, score, serve_demo
from auditor.demo.catalog import bump
from auditor.errors import NotWritable
from auditor.models import ListingFound, PageFailure
from auditor.ops.audit import start_audit
from auditor.run.pipeline import AuditOptions
from auditor.sites import get_profile
from auditor.store import Store

pytestmark = pytest.mark.e2e


def targets_for(server) -> list[Target]:
    return [Target(name="auction", site="demo_auction", start_urls=[server.url + "/auction/search"]),
            Target(name="flea", site="demo_fleamarket", start_urls=[server.url + "/flea/search"])]


def audit(config, server, clock=None):
    with Store(config.database) as store:
        opts = AuditOptions(targets=targets_for(server))
        if clock:
            opts.clock = clock
        summary = start_audit(config, store, opts)
        return summary, set(store.flagged_keys(summary.run_id)), store


@pytest.fixture(scope="module")
def full_catalog():
    return generate(seed=7, size=300)


def test_demo_audit_flags_exactly_the_ground_truth_in_both_sections(config, full_catalog):
    with serve_demo(full_catalog) as server:
        with Store(config.database) as store:
            summary = start_audit(config, store, AuditOptions(targets=targets_for(server)))
            flagged = store.flagged_keys(summary.run_id)
            repeat = {(h["site"], h["seller_id"]) for h in store.seller_hits_for_run(summary.run_id)
                      if h["rule_id"] == "sellers.repeat_ai_poster"}
    truth = full_catalog.truth()
    per_seller = Counter((x.key[0], x.seller.id) for x in full_catalog.listings
                         if any(r.startswith(("ai_poster.", "deepfake.")) for r in x.expected_rules))
    assert repeat == {k for k, n in per_seller.items() if n >= 5}
    assert ("demo_auction", "ai_gallery_jp") in repeat
    assert summary.status == "completed"
    assert (summary.listings_seen, summary.pages_failed) == (300, 0)
    assert score(set(flagged), set(truth)) == (1.0, 1.0)
    assert {site for site, _ in flagged} == {"demo_auction", "demo_fleamarket"}
    assert flagged == {k: set(v) for k, v in truth.items()}  # and with exactly the expected rules
    assert (config.reports_dir / summary.started_at.astimezone(config.schedule.zone).strftime("%Y-%m-%d") / "report.html").exists()


def test_a_second_run_adds_no_duplicates_and_records_changes(config, small_catalog, clock):
    with serve_demo(small_catalog) as server:
        first, _, _ = audit(config, server, clock)
        auction = small_catalog.section("auction")
        changed = bump(auction[0], price=auction[0].price + 1000, bids=auction[0].bids + 3)
        server.catalog = replace(small_catalog, listings=[changed if x is auction[0] else x for x in small_catalog.listings])
        clock.now += timedelta(days=1)
        second, _, _ = audit(config, server, clock)
    assert first.listings_new == len(small_catalog.listings) == second.listings_seen
    assert (second.listings_new, second.listings_changed) == (0, 1)
    with Store(config.database) as store:
        assert store.count("listings") == len(small_catalog.listings)
        [obs] = [o for o in store.db["observations"].rows_where("run_id = ? and item_id = ?", [second.run_id, changed.item_id])]
        assert obs["changes"] == '["price", "bids"]'
        assert obs["price"] == str(changed.price)


def test_plain_http_sees_no_flea_listings_while_the_browser_sees_them_all(demo_server, small_catalog):
    flea = small_catalog.section("flea")
    job = CrawlJob("flea", get_profile("demo_fleamarket"), (demo_server.url + "/flea/search",), 1000, 500)
    policy = CrawlPolicy(retries=0, page_timeout=10)

    async def run(fetcher):
        async with fetcher:
            return [e async for e in crawl([job], fetcher, policy)]

    over_http = asyncio.run(run(HttpFetcher(policy=LOCAL)))
    in_browser = asyncio.run(run(BrowserFetcher(concurrency=4, policy=LOCAL)))
    assert not [e for e in over_http if isinstance(e, ListingFound)]
    assert [e.kind for e in over_http if isinstance(e, PageFailure)] == ["parse"]
    found = {e.listing.item_id: e.listing for e in in_browser if isinstance(e, ListingFound)}
    assert set(found) == {x.item_id for x in flea}
    x = flea[0]
    assert (found[x.item_id].title, found[x.item_id].seller_id, int(found[x.item_id].price)) == (x.title, x.seller.id, x.price)


def test_failing_pages_are_recorded_and_the_run_goes_on(config, small_catalog):
    auction = [x.item_id for x in small_catalog.section("auction")]
    flea = [x.item_id for x in small_catalog.section("flea")]
    faults = {f"/auction/item/{auction[0]}": "500", f"/auction/item/{auction[1]}": "hang",
              f"/auction/item/{auction[2]}": "broken", f"/flea/item/{flea[0]}": "500"}
    config = config.model_copy(update={"crawl": config.crawl.model_copy(update={"page_timeout_seconds": 2, "retries": 1}),
                                       "evidence": config.evidence.model_copy(update={"enabled": False})})
    with serve_demo(small_catalog, faults=faults) as server:  # (evidence apart: a 2 s capture under load is not the point)
        summary, _, _ = audit(config, server)
    failed = {f.url.rsplit("/", 1)[1]: f for f in summary.failures}
    assert set(failed) == {auction[0], auction[1], auction[2], flea[0]}
    assert (failed[auction[0]].kind, failed[auction[0]].error, failed[auction[0]].attempts) == ("http_status", "HTTP 500", 2)
    assert failed[auction[1]].kind == "timeout"
    assert (failed[auction[2]].kind, failed[auction[2]].attempts) == ("parse", 1)
    assert summary.status == "completed"
    assert summary.listings_seen == len(small_catalog.listings)  # the 4 failed pages' search cards still count
    with Store(config.database) as store:
        assert {r["url"].rsplit("/", 1)[1] for r in store.failures_for_run(summary.run_id)} == set(failed)
        assert store.run(summary.run_id)["pages_failed"] == 4


def test_an_evidence_folder_that_fails_mid_run_makes_the_run_partial_not_a_success(config, small_catalog):
    folder = config.reports_dir.parent / "evidence"
    config = config.model_copy(update={"evidence": config.evidence.model_copy(update={"dir": folder})})

    def break_it(progress) -> None:  # writable when the run starts (it checks), then a file stands in its place
        if folder.is_dir():
            shutil.rmtree(folder)
            folder.write_text("a file where the evidence folder should be")  # even root cannot write below a file

    with serve_demo(small_catalog) as server, Store(config.database) as store:
        summary = start_audit(config, store, AuditOptions(targets=targets_for(server), on_progress=break_it))
        flagged = set(store.flagged_keys(summary.run_id))
    assert flagged and summary.evidence_captured == 0 and summary.evidence_failed == len(flagged)
    assert summary.status == "partial"
    with Store(config.database) as store:
        run = store.run(summary.run_id)
        kinds = {f["kind"] for f in store.failures_for_run(summary.run_id)}
    assert run["status"] == "partial" and f"{len(flagged)} of {len(flagged)} evidence captures failed" in run["error"]
    assert kinds == {"evidence"}


def test_an_unwritable_evidence_folder_stops_the_run_before_it_starts(config, small_catalog):
    blocker = config.reports_dir.parent / "not-a-folder"
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("a file where the evidence folder should be")
    config = config.model_copy(update={"evidence": config.evidence.model_copy(update={"dir": blocker / "evidence"})})
    with serve_demo(small_catalog) as server, Store(config.database) as store:
        with pytest.raises(NotWritable, match=r"cannot write the evidence folder .*not-a-folder/evidence.*evidence\.dir"):
            start_audit(config, store, AuditOptions(targets=targets_for(server)))
        assert store.count("runs") == 0 and server.requests == []  # nothing asked of the venue, nothing recorded


def test_a_run_stopped_while_writing_its_reports_is_finished_by_resume(config, small_catalog):
    config = config.model_copy(update={"evidence": config.evidence.model_copy(update={"enabled": False})})
    with serve_demo(small_catalog) as server:
        with Store(config.database) as store:  # as if killed after the crawl, before the reports were written
            summary = start_audit(config, store, AuditOptions(targets=targets_for(server), write_report=False))
            assert store.run(summary.run_id)["reported_at"] is None and store.last_unreported_run()["id"] == summary.run_id
    assert not (config.reports_dir / "runs").exists()
    with Store(config.database) as store:
        finished = start_audit(config, store, AuditOptions(resume=True))
        row = store.run(summary.run_id)
    assert finished.run_id == summary.run_id and finished.status == "completed" and row["reported_at"]
    assert (Path(finished.report_dir) / "report.html").is_file() and (Path(finished.day_report_dir) / "hits.csv").is_file()
    assert finished.states == summary.states  # the same states, now in its reports
    with Store(config.database) as store:
        assert store.count("runs") == 1 and store.last_unreported_run() is None
