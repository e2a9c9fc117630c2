"""Evidence after a run: verify names a changed file, files are the service user's alone, prune keeps what a decision keeps."""

from __future__ import annotations

import json
import shutil
import stat
import threading
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from PIL import Image, ImageChops

from auditor.cli import cli
from auditor.config import Target
from auditor.evidence.annotate import band_lines
from auditor.evidence.timestamps import check, stamp, token_path
from auditor.evidence.verify import prunable, verify_evidence
from auditor.ops.audit import start_audit
from auditor.review.decisions import decide
from auditor.review.users import User
from auditor.run.pipeline import AuditOptions
from auditor.store import Store

from conftest import RULES
from tsa import Authority, make_authority


def test_verify_names_a_changed_byte_and_prune_keeps_confirmed_listings(config, demo_server, clock, tmp_path):
    config_file = tmp_path / "config.yaml"
    config_file.write_text(f"database: {config.database}\nreports_dir: {config.reports_dir}\nrules_dir: {RULES}\n"
                           "log_file:\ncrawl: {allow_addresses: [127.0.0.1]}\n", encoding="utf-8")
    run = lambda *a: CliRunner().invoke(cli, ["--config", str(config_file), *a])  # noqa: E731
    target = Target(name="auction", site="demo_auction", start_urls=[demo_server.url + "/auction/search"])
    with Store(config.database) as store:
        summary = start_audit(config, store, AuditOptions(targets=[target], clock=clock))
        flagged = sorted(store.flagged_keys(summary.run_id))
    assert summary.evidence_captured >= 3
    root = config.evidence_dir
    captures = sorted(p for p in root.rglob("page.png"))
    assert captures and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in root.rglob("*") if p.is_file())
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o700 for p in root.rglob("*") if p.is_dir())

    # an annotated copy beside each raw screenshot: the page untouched under a band that states what it is
    folder = captures[0].parent
    record = json.loads((folder / "capture.json").read_text(encoding="utf-8"))
    raw, copy = Image.open(folder / "page.png").convert("RGB"), Image.open(folder / "page-annotated.png").convert("RGB")
    band = copy.height - raw.height
    assert 40 < band < 400 and copy.width == raw.width
    assert ImageChops.difference(copy.crop((0, band, copy.width, copy.height)), raw).getbbox() is None
    assert "page-annotated.png" in {f["name"] for f in record["files"]} and len(record["capture_id"]) == 16
    lines = band_lines(record["url"], record["final_url"], datetime.fromisoformat(record["captured_at"]),
                       ZoneInfo("Asia/Tokyo"), record["capture_id"], 100)
    assert record["capture_id"] in lines[0] and "JST (Asia/Tokyo)" in lines[1] and "UTC" in lines[1]
    assert any(record["url"][:60] in line for line in lines)

    ok = run("evidence", "verify")
    assert ok.exit_code == 0, ok.output
    assert ok.output.strip().endswith("all hold")
    changed = captures[0]
    data = bytearray(changed.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit of one screenshot
    changed.write_bytes(bytes(data))
    bad = run("evidence", "verify")
    rel = changed.relative_to(root).as_posix()
    assert bad.exit_code == 1 and f"changed since it was captured (its SHA-256 differs): {rel}" in bad.output
    assert bad.output.count("changed since") == 1 and "1 do not hold" in bad.output
    changed.write_bytes(bytes(data[: len(data) // 2]))  # and put back nothing: a truncated file is changed too

    kept = flagged[0]
    with Store(config.database) as store:
        decide(store, User(1, "aiko", "lead"), [kept], "confirmed", clock())
        later = clock() + timedelta(days=31)
        going = prunable(store, later, 30)
        assert prunable(store, clock(), 30) == []  # nothing is old yet
    assert going and kept not in {(p.site, p.item_id) for p in going}
    assert {(p.site, p.item_id) for p in going} == set(flagged) - {kept}

    with Store(config.database) as store:  # the CLI reads the machine's clock: age the captures instead
        with store.write():
            store.db.execute("update evidence set captured_at = '2026-01-01T00:00:00+00:00'")
    dry = run("evidence", "prune", "--older-than", "30", "--dry-run")
    assert dry.exit_code == 0 and dry.output.count("would remove") == len(flagged) - 1
    assert all(p.is_file() for p in captures)
    gone = run("evidence", "prune", "--older-than", "30")
    assert gone.exit_code == 0 and f"from {len(flagged) - 1} captures" in gone.output
    with Store(config.database) as store:
        left = {(r["site"], r["item_id"]) for r in store.db.query("select site, item_id from evidence")}
        assert left == {kept} and store.count("evidence_pruned") > 0
    after = run("evidence", "verify")  # what prune removed is no failure; the kept capture still holds or not
    assert "missing" not in after.output


def test_manifests_are_time_stamped_by_a_local_authority_and_verify_checks_the_tokens(config, demo_server, clock,
                                                                                      tmp_path):
    shutil.which("openssl") or pytest.skip("openssl is not installed here (Debian's openssl package has it)")
    (tmp_path / "tsa").mkdir()
    authority = Authority(tmp_path / "tsa")
    threading.Thread(target=authority.serve_forever, daemon=True).start()
    try:
        config = config.model_copy(update={"evidence": config.evidence.model_copy(
            update={"tsa_url": authority.url, "tsa_certs": authority.root})})
        target = Target(name="auction", site="demo_auction", start_urls=[demo_server.url + "/auction/search"])
        with Store(config.database) as store:
            start_audit(config, store, AuditOptions(targets=[target], clock=clock))
            [manifest] = sorted((config.evidence_dir / "manifests").glob("*.sha256"))
            assert authority.stamped >= 1 and token_path(manifest).is_file()
            when, why = check(manifest, authority.root)
            assert why is None and abs((when - datetime.now(timezone.utc)).total_seconds()) < 120
            assert verify_evidence(store, config.evidence_dir, tsa_certs=authority.root, stamped=True)[1] == []
            # a token for another hash does not hold for this manifest
            other = tmp_path / "other.sha256"
            other.write_text("0" * 64 + "  x/y\n")
            assert stamp(other, authority.url) is not None
            shutil.copy(token_path(other), token_path(manifest))
            _, why = check(manifest, authority.root)
            assert why is not None and why.startswith("its time-stamp does not hold")
            problems = verify_evidence(store, config.evidence_dir, tsa_certs=authority.root, stamped=True)[1]
            assert [str(p) for p in problems] == [f"{why}: manifests/{manifest.name}"]
            # and a token checked against another authority's root does not hold either
            (tmp_path / "elsewhere").mkdir()
            _, why = check(other, make_authority(tmp_path / "elsewhere"))
            assert why is not None and why.startswith("its time-stamp does not hold")
    finally:
        authority.shutdown()


def test_verify_of_a_day_means_the_manifests_day_in_the_configured_zone(store, tmp_path):
    import hashlib
    from zoneinfo import ZoneInfo

    root = tmp_path / "evidence"
    (root / "demo_auction").mkdir(parents=True)
    body = b"a screenshot"
    (root / "demo_auction" / "page.png").write_bytes(body)
    run = store.start_run(datetime(2026, 11, 25, 23, 0, tzinfo=timezone.utc), ["t"], [])
    store.db["evidence"].insert({"run_id": run, "site": "demo_auction", "item_id": "x1", "url": "http://h/x1",
                                 "captured_at": "2026-11-25T23:30:00+00:00",  # 08:30 on the 26th in Tokyo
                                 "folder": "demo_auction", "kind": "screenshot", "path": "demo_auction/page.png",
                                 "sha256": hashlib.sha256(body).hexdigest(), "bytes": len(body)})
    tokyo = ZoneInfo("Asia/Tokyo")
    assert verify_evidence(store, root, "2026-11-26", zone=tokyo) == (1, [])
    assert verify_evidence(store, root, "2026-11-25", zone=tokyo)[0] == 0


def test_a_time_stamping_authoritys_credentials_never_reach_the_log(tmp_path, caplog):
    import logging
    import socket

    from auditor.evidence.timestamps import stamp
    from auditor.logs import log_to_file

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once closed
    manifest = tmp_path / "2026-11-25.sha256"
    manifest.write_text("0" * 64 + "  a/b\n", encoding="utf-8")
    log_to_file(tmp_path / "auditor.log")
    with caplog.at_level(logging.INFO):
        assert stamp(manifest, f"http://stamper:t0ken-secret@127.0.0.1:{port}/tsr") is None
    logging.getLogger("httpx").info("HTTP Request: POST http://stamper:t0ken-secret@127.0.0.1/ (as httpx logs)")
    root = logging.getLogger()
    for h in [h for h in root.handlers if getattr(h, "baseFilename", "").startswith(str(tmp_path))]:
        h.flush()
        root.removeHandler(h)
        h.close()
    said = caplog.text + (tmp_path / "auditor.log").read_text(encoding="utf-8")
    assert "no time-stamp for 2026-11-25.sha256 from http://127.0.0.1" in said
    assert "t0ken-secret" not in said


@pytest.mark.e2e
def test_each_capture_keeps_the_listings_block_alone_beside_the_whole_page(config, demo_server, clock):
    """listing.png: the profile's listing_block, cropped by the browser from the very page the full screenshot shows
    (the auctions rendered on the server, the flea market by JavaScript), hashed and verified like the others."""
    import asyncio
    import hashlib

    from auditor.crawl.browser import BrowserFetcher
    from auditor.sites import get_profile

    from conftest import LOCAL

    targets = [Target(name="auction", site="demo_auction", start_urls=[demo_server.url + "/auction/search"]),
               Target(name="flea", site="demo_fleamarket", start_urls=[demo_server.url + "/flea/search"])]
    with Store(config.database) as store:
        summary = start_audit(config, store, AuditOptions(targets=targets, clock=clock))
        kinds = [r["kind"] for r in store.db.query("select kind from evidence")]
    assert summary.evidence_captured >= 4 and summary.evidence_failed == 0
    records = [json.loads(p.read_text(encoding="utf-8")) for p in config.evidence_dir.rglob("capture.json")]
    assert {r["site"] for r in records} == {"demo_auction", "demo_fleamarket"}
    assert kinds.count("listing") == len(records) == kinds.count("screenshot")

    async def boxes(urls_and_sites):
        async with BrowserFetcher(concurrency=1, policy=LOCAL) as browser:
            page = await browser._browser.new_page(viewport={"width": 1280, "height": 900})
            out = []
            for url, site in urls_and_sites:
                await page.goto(url)
                profile = get_profile(site)
                if profile.ready_selector:
                    await page.wait_for_selector(profile.ready_selector, state="attached")
                out.append(await page.locator(profile.listing_block).first.bounding_box())
            return out

    found = asyncio.run(boxes([(r["url"], r["site"]) for r in records]))
    for record, box in zip(records, found):
        folder = next(p.parent for p in config.evidence_dir.rglob("capture.json")
                      if json.loads(p.read_text(encoding="utf-8"))["capture_id"] == record["capture_id"])
        files = {f["name"]: f for f in record["files"]}
        block, page = Image.open(folder / "listing.png"), Image.open(folder / "page.png")
        assert files["listing.png"]["kind"] == "listing"
        assert files["listing.png"]["sha256"] == hashlib.sha256((folder / "listing.png").read_bytes()).hexdigest()
        # that block, no more (its box in CSS pixels may be fractional: the crop takes the pixels it touches)
        assert abs(block.width - box["width"]) <= 1 and abs(block.height - box["height"]) <= 1, (block.size, box)
        assert block.width < page.width and block.height <= page.height + 1  # a page its block fills: the edge pixel
        assert not any("listing's block" in n for n in record["notes"])
    done = CliRunner().invoke(cli, ["--config", str(_config_file(config)), "evidence", "verify"])
    assert done.exit_code == 0, done.output  # the block is in the day's manifest, and holds


def _config_file(config):
    path = config.evidence_dir.parent / "verify.yaml"
    path.write_text(f"database: {config.database}\nreports_dir: {config.reports_dir}\nrules_dir: {RULES}\nlog_file:\n",
                    encoding="utf-8")
    return path


@pytest.mark.e2e
def test_a_page_without_the_listings_block_keeps_the_whole_page_and_says_so(demo_server):
    import asyncio

    from auditor.crawl.browser import BrowserFetcher

    from conftest import LOCAL

    async def snap():
        async with BrowserFetcher(concurrency=1, policy=LOCAL) as browser:
            return await browser.snapshot(demo_server.url + "/auction/search", ready_selector=None, timeout=20,
                                          block="main.ProductDetail")
    got = asyncio.run(snap())
    assert got.png and got.block_png is None
    assert any("main.ProductDetail" in n and "only the whole page is kept" in n for n in got.notes), got.notes
