"""Each capture as a signed WACZ: it replays in Chromium through pywb on 127.0.0.1 with nothing leaving the replay,
the `wacz` library's validator accepts it, and one changed byte, or a time-stamp token for another signature, fails
`auditor evidence verify`."""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import cli
from auditor.config import Target
from auditor.evidence.timestamps import token_for
from auditor.evidence.wacz import verify_archive
from auditor.ops.audit import start_audit
from auditor.run.pipeline import AuditOptions
from auditor.store import Store

from conftest import RULES, ROOT
from tsa import Authority

pytestmark = pytest.mark.e2e


@pytest.fixture
def captured(config, demo_server, clock, tmp_path):
    """A run over the demo's auctions with a local time-stamping authority: its captures, each with an archive."""
    shutil.which("openssl") or pytest.skip("openssl is not installed here (Debian's openssl package has it)")
    (tmp_path / "tsa").mkdir()
    authority = Authority(tmp_path / "tsa")
    threading.Thread(target=authority.serve_forever, daemon=True).start()
    config = config.model_copy(update={"evidence": config.evidence.model_copy(
        update={"tsa_url": authority.url, "tsa_certs": authority.root})})
    target = Target(name="auction", site="demo_auction", start_urls=[demo_server.url + "/auction/search"])
    with Store(config.database) as store:
        summary = start_audit(config, store, AuditOptions(targets=[target], clock=clock))
    assert summary.evidence_captured >= 3 and summary.evidence_failed == 0
    records = {p.parent: json.loads(p.read_text(encoding="utf-8")) for p in config.evidence_dir.rglob("capture.json")}
    yield config, authority, records, demo_server
    authority.shutdown()


def test_each_capture_keeps_a_signed_time_stamped_wacz_of_the_page_and_its_resources(captured):
    config, authority, records, _ = captured
    for folder, record in records.items():
        archive = folder / "archive.wacz"
        files = {f["name"]: f for f in record["files"]}
        assert files["archive.wacz"]["kind"] == "archive"
        assert verify_archive(archive, authority.root) is None
        with zipfile.ZipFile(archive) as z:
            names = set(z.namelist())
            assert {"datapackage.json", "datapackage-digest.json", "pages/pages.jsonl", "indexes/index.cdx.gz"} <= names
            [page] = [json.loads(line) for line in z.read("pages/pages.jsonl").splitlines()[1:]]
            assert page["url"] == record["final_url"]
            signed = json.loads(z.read("datapackage-digest.json"))["signedData"]
            assert {"signature", "publicKey", "timeSignature", "created"} <= set(signed)
            warc = next(n for n in names if n.startswith("archive/"))
            from warcio.archiveiterator import ArchiveIterator

            responses = [r.rec_headers.get_header("WARC-Target-URI") for r in ArchiveIterator(z.open(warc))
                         if r.rec_type == "response"]
            assert record["url"] in responses and any(u.endswith(".css") or "/img/" in u or u.endswith(".png")
                                                      or u.endswith(".jpg") for u in responses), responses
        done = subprocess.run([sys.executable, "-m", "wacz", "validate", "-f", str(archive)], capture_output=True,
                              text=True, timeout=120)  # the format's own validator
        assert done.returncode == 0 and "valid" in done.stdout, done.stdout[-800:]
    key = config.data_folder / "evidence-signing-key.pem"
    assert key.is_file() and oct(key.stat().st_mode & 0o777) == "0o600"
    # a case's archives handed over, as a user asks for them
    file = config.evidence_dir.parent / "export.yaml"
    file.write_text(f"database: {config.database}\nreports_dir: {config.reports_dir}\nrules_dir: {RULES}\nlog_file:\n",
                    encoding="utf-8")
    record = next(iter(records.values()))
    out = config.evidence_dir.parent / "handed-over"
    done = subprocess.run([sys.executable, "-m", "auditor", "--config", str(file), "evidence", "export",
                           f"{record['site']}/{record['item_id']}", "-o", str(out)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and "1 archives of" in done.stdout, done.stderr[-800:]
    assert sorted(p.suffix for p in out.iterdir()) == ["", ".json", ".wacz"]  # SHA256SUMS, capture.json, the WACZ
    assert subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=out, capture_output=True).returncode == 0


def test_one_changed_byte_or_a_token_for_another_signature_fails_verify(captured, tmp_path):
    config, authority, records, _ = captured
    file = tmp_path / "verify.yaml"
    file.write_text(f"database: {config.database}\nreports_dir: {config.reports_dir}\nrules_dir: {RULES}\nlog_file:\n"
                    f"evidence: {{tsa_certs: {authority.root}}}\n", encoding="utf-8")
    verify = lambda: CliRunner().invoke(cli, ["--config", str(file), "evidence", "verify"])  # noqa: E731
    assert verify().exit_code == 0
    first, second = sorted(records)[:2]
    # one byte of a WARC inside the first archive: its package no longer holds (nor does the file's own hash)
    archive = first / "archive.wacz"
    with zipfile.ZipFile(archive) as z:
        members = [(i, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(archive, "w") as z:
        for info, data in members:
            if info.filename.startswith("archive/"):
                data = data[:100] + bytes([data[100] ^ 1]) + data[101:]
            z.writestr(info, data)
    assert "differs from the archive's package" in verify_archive(archive, authority.root)
    # a genuine token from the same authority, but for another signature: the second archive's time no longer holds
    archive = second / "archive.wacz"
    with zipfile.ZipFile(archive) as z:
        members = [(i, z.read(i.filename)) for i in z.infolist()]
    digest = json.loads(dict((i.filename, d) for i, d in members)["datapackage-digest.json"])
    digest["signedData"]["timeSignature"] = base64.b64encode(token_for(b"another signature", authority.url, "x")).decode()
    with zipfile.ZipFile(archive, "w") as z:
        for info, data in members:
            z.writestr(info, json.dumps(digest).encode() if info.filename == "datapackage-digest.json" else data)
    assert verify_archive(archive, authority.root) == "its time-stamp token is for another signature"
    done = verify()
    assert done.exit_code == 1
    said = [line for line in done.output.splitlines() if "archive.wacz" in line]
    assert any(str(first.relative_to(config.evidence_dir)) in line and "differs from the archive's package" in line
               for line in said), done.output
    assert any(str(second.relative_to(config.evidence_dir)) in line and "for another signature" in line
               for line in said), done.output


# --- replay ------------------------------------------------------------------------------------------------------
PYWB = ROOT / ".venv-pywb"


def _pywb() -> Path:
    """pywb, in a venv of its own (its dependencies are not auditor's), installed on first use."""
    wayback = PYWB / "bin" / "wayback"
    if not wayback.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PYWB)], check=True)
        done = subprocess.run([str(PYWB / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                               "pywb>=2.8"], capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            shutil.rmtree(PYWB, ignore_errors=True)
            pytest.skip(f"pywb could not be installed here: {done.stderr.strip()[-300:]}")
    return PYWB / "bin"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_captures_wacz_replays_in_chromium_through_pywb_and_nothing_leaves_the_replay(captured, tmp_path):
    from playwright.sync_api import sync_playwright

    from auditor.crawl.install import choose_executable

    config, _, records, server = captured
    folder, record = sorted(records.items())[0]
    with Store(config.database) as store:
        title = store.db.execute("select title from listings where site = ? and item_id = ?",
                                 [record["site"], record["item_id"]]).fetchone()[0]
    server.shutdown()  # the venue is gone: what shows comes from the archive alone
    bin_ = _pywb()
    work = tmp_path / "replay"
    work.mkdir()
    env = {**os.environ, "PATH": f"{bin_}:{os.environ['PATH']}"}
    subprocess.run([str(bin_ / "wb-manager"), "init", "evidence"], cwd=work, check=True, env=env, capture_output=True)
    subprocess.run([str(bin_ / "wb-manager"), "add", "--unpack-wacz", "evidence", str(folder / "archive.wacz")],
                   cwd=work, check=True, env=env, capture_output=True)
    port = _free_port()
    wayback = subprocess.Popen([str(bin_ / "wayback"), "-p", str(port), "-b", "127.0.0.1"], cwd=work, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(300):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        asked: list[str] = []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=choose_executable(None))
            page = browser.new_page()
            page.on("request", lambda r: asked.append(r.url))
            page.goto(f"http://127.0.0.1:{port}/evidence/{record['final_url']}", wait_until="load", timeout=60_000)
            page.wait_for_timeout(1000)
            shown = " ".join(f.content() for f in page.frames)
            browser.close()
        assert title and title in shown  # the listing, replayed from the archive
        outside = [u for u in asked if not u.startswith(f"http://127.0.0.1:{port}/") and not u.startswith(("data:", "blob:", "about:"))]
        assert asked and outside == [], outside
    finally:
        wayback.terminate()
        wayback.wait(10)


def test_captures_at_once_make_one_signing_key_and_read_it_whole(tmp_path):
    """The first captures of an installation run at once: one key is made, every one of them signs with it (before,
    a capture could read the key while another was still writing it, and lost its evidence)."""
    from concurrent.futures import ThreadPoolExecutor

    from cryptography.hazmat.primitives import serialization

    from auditor.evidence import wacz

    path = tmp_path / "data" / "evidence-signing-key.pem"
    with ThreadPoolExecutor(8) as pool:
        keys = list(pool.map(lambda _: wacz.signing_key(path), range(16)))
    public = {k.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
              for k in keys}
    assert len(public) == 1 and sorted(p.name for p in path.parent.iterdir()) == [path.name]
    wacz._KEYS.clear()  # another process, later: it reads the same key from the file
    assert wacz.signing_key(path).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) in public
