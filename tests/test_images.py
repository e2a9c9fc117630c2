"""Image signals on real image bytes: PDQ, the bank index, bank files, provenance, and the demo's re-listings."""

from __future__ import annotations

import io
import itertools
import random
import struct
import sys
import zlib
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from bs4 import BeautifulSoup
from PIL import Image, PngImagePlugin

from auditor.demo import DemoWorld
from auditor.demo.days import run_days
from auditor.demo.posters import poster
from auditor.images.banks import BankError, BankIndex
from auditor.images.exchange import read_file, write_file
from auditor.images.index import HashIndex
from auditor.images.meta import read_meta
from auditor.images.networks import seller_networks
from auditor.images.pdq import BadImage, dihedral_hashes, distance, hash_image
from auditor.ops.audit import start_audit
from auditor.review.decisions import decide
from auditor.review.users import User
from auditor.rules import check_rules
from auditor.store import Store

from conftest import RULES
from test_notify import hook  # noqa: F401 - the webhook fixture


def reencode(data: bytes, quality: int = 75, scale: float = 1.0) -> bytes:
    img = Image.open(io.BytesIO(data)).convert("RGB")
    if scale != 1.0:
        img = img.resize((int(img.width * scale), int(img.height * scale)))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality)
    return out.getvalue()


# --- PDQ ---------------------------------------------------------------------------------------
def test_pdq_holds_through_re_encoding_resizing_and_a_sticker_and_parts_different_pictures():
    original = poster("design-a")[1]
    base = hash_image(original)
    assert base.reliable
    assert distance(base.hex, hash_image(reencode(original, 75)).hex) <= 2
    assert distance(base.hex, hash_image(reencode(original, 80, 0.5)).hex) <= 20
    assert distance(base.hex, hash_image(poster("design-a", "sticker")[1]).hex) <= 31
    others = [hash_image(poster(f"other-{i}")[1]).hex for i in range(40)]
    assert min(distance(a, b) for a, b in itertools.combinations([base.hex, *others], 2)) > 60


def test_a_mirror_image_is_another_picture_to_pdq_but_one_of_its_dihedral_variants():
    base = hash_image(poster("design-b")[1]).hex
    mirrored = poster("design-b", "mirror")[1]
    assert distance(base, hash_image(mirrored).hex) > 31
    assert min(distance(base, v.hex) for v in dihedral_hashes(mirrored)) <= 2


def test_a_flat_image_has_an_unreliable_hash_and_hostile_bytes_are_refused():
    flat = io.BytesIO()
    Image.new("RGB", (200, 200), (128, 128, 128)).save(flat, "PNG")
    assert not hash_image(flat.getvalue()).reliable
    with pytest.raises(BadImage, match="not a readable image"):
        hash_image(b"<html>not an image</html>")

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    bomb = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 60000, 60000, 8, 2, 0, 0, 0)) + chunk(b"IEND", b"")
    with pytest.raises(BadImage, match="pixel"):
        hash_image(bomb)  # refused from its header: 3.6 billion pixels are never decoded


# --- the index -----------------------------------------------------------------------------------
def test_the_multi_index_finds_exactly_what_a_linear_scan_finds_at_the_31_bit_edge():
    rng = np.random.default_rng(3)
    words = rng.integers(0, 2**64 - 1, size=(20_000, 4), dtype=np.uint64)
    index = HashIndex(words)
    flip = random.Random(4)
    for k in (0, 1, 15, 16, 30, 31, 32, 40):
        for _ in range(5):
            target = words[flip.randrange(len(words))].copy()
            for bit in flip.sample(range(256), k):
                target[bit // 64] ^= np.uint64(1) << np.uint64(63 - bit % 64)
            query = b"".join(int(w).to_bytes(8, "big") for w in target).hex()
            assert index.query(query) == index.linear(query), k
            assert any(d == k for _, d in index.query(query)) == (k <= 31)


# --- bank files ----------------------------------------------------------------------------------
def test_bank_files_round_trip_in_csv_and_the_threatexchange_format(tmp_path):
    hexes = [hash_image(poster(f"bank-{i}")[1]).hex for i in range(3)]
    entries = [{"pdq": h, "quality": 100, "tags": '["poster", "ai"]', "source": "import", "ref": "=cmd()",
                "source_id": f"te-{i}", "fetched_at": "2026-11-30T01:00:00+00:00"} for i, h in enumerate(hexes)]
    csv_text = write_file(entries, "csv")
    assert "'=cmd()" in csv_text  # never a formula in a spreadsheet
    (tmp_path / "bank.csv").write_text(csv_text, encoding="utf-8")
    back = read_file(tmp_path / "bank.csv")
    assert [e["pdq"] for e in back] == hexes and back[0]["tags"] == ("poster", "ai") and back[0]["quality"] == 100
    assert [(e["ref"], e["source_id"], e["fetched_at"]) for e in back][:1] == [("'=cmd()", "te-0", "2026-11-30T01:00:00+00:00")]
    old = tmp_path / "old.csv"  # the header of the CSVs exported before provenance: still read
    old.write_text(f"pdq,quality,tags,source,ref\n{hexes[0]},90,a;b,import,partner-x\n", encoding="utf-8")
    assert [(e["pdq"], e["ref"], e["tags"]) for e in read_file(old)] == [(hexes[0], "partner-x", ("a", "b"))]
    (tmp_path / "bank.te").write_text(write_file(entries, "te"), encoding="utf-8")
    assert [e["pdq"] for e in read_file(tmp_path / "bank.te")] == hexes
    assert (tmp_path / "bank.te").read_text().splitlines()[0] == f"pdq {hexes[0]}"


def test_a_bad_line_in_a_bank_file_stops_the_import_and_names_its_line(tmp_path):
    bad = tmp_path / "shared.te"
    bad.write_text(f"pdq {'ab' * 32}\npdq not-a-hash\n", encoding="utf-8")
    with pytest.raises(BankError, match=r"shared.te:2: 'not-a-hash' is not a pdq hash \(64 hex digits\)"):
        read_file(bad)
    other = tmp_path / "url.te"
    other.write_text(f"video_md5 {'ab' * 16}\nurl https://example.invalid/\n", encoding="utf-8")
    with pytest.raises(BankError, match=r"url.te:2: signal type 'url' is not one a bank holds \(pdq, video_md5, video_sha256\)"):
        read_file(other)
    short = tmp_path / "short.te"
    short.write_text(f"pdq {'ab' * 32}\npdq {'ab' * 31}\n", encoding="utf-8")  # 62 hex digits: a hash cut short
    with pytest.raises(BankError, match=r"short.te:2: .* is not a pdq hash"):
        read_file(short)
    md5 = tmp_path / "md5.te"  # an MD5 of the wrong length: 64 hex digits are a SHA-256, not an MD5
    md5.write_text(f"video_md5 {'ab' * 16}\nvideo_md5 {'ab' * 32}\n", encoding="utf-8")
    with pytest.raises(BankError, match=r"md5.te:2: .* is not a video_md5 hash \(32 hex digits\)"):
        read_file(md5)
    for name, text in (("twice.te", f"pdq {'ab' * 32}\n# merged by hand\npdq {'cd' * 32}\npdq {'AB' * 32}\n"),
                       ("twice.csv", f"pdq,quality\n{'ab' * 32},90\n{'cd' * 32},90\n{'ab' * 32},80\n")):
        twice = tmp_path / name
        twice.write_text(text, encoding="utf-8")
        with pytest.raises(BankError, match=rf"{name}:4: the same hash as line (1|2) \(a bank file lists each hash once\)"):
            read_file(twice)


def test_banks_import_of_a_file_with_a_duplicate_refuses_it_whole_naming_the_line(tmp_path):
    import subprocess
    import sys

    config = tmp_path / "c.yaml"
    config.write_text(f"database: {tmp_path}/a.db\nreports_dir: {tmp_path}/r\nrules_dir: {RULES}\n", encoding="utf-8")
    shared = tmp_path / "partner.te"
    shared.write_text(f"pdq {'ab' * 32}\npdq {'cd' * 32}\npdq {'ab' * 32}\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "auditor", "--config", str(config), "banks", "import", "partner",
                           str(shared), "--create"], capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert f"{shared}:3: the same hash as line 1" in done.stderr, done.stderr
    listed = subprocess.run([sys.executable, "-m", "auditor", "--config", str(config), "banks", "list"],
                            capture_output=True, text=True, timeout=120)
    assert "partner" not in listed.stdout  # nothing was added: not even the bank


def test_a_bank_match_leaves_out_the_listing_the_entry_came_from():
    pdq = hash_image(poster("own")[1]).hex
    bank = BankIndex([{"id": 1, "bank": "confirmed", "pdq": pdq, "source": "decision", "ref": "demo_auction/x1"}])
    assert [m.distance for m in bank.match([pdq])] == [0]
    assert bank.match([pdq], not_from="demo_auction/x1") == []


def test_a_bank_without_mirrors_matches_a_picture_but_not_its_mirror_image(tmp_path):
    pdq = hash_image(poster("design-m")[1]).hex
    mirrored = [v.hex for v in dihedral_hashes(poster("design-m", "mirror")[1])]
    with Store(tmp_path / "a.db") as store:
        now = datetime(2026, 11, 26, tzinfo=timezone.utc)
        store.create_bank("strict", "", "aiko", now, mirrors=False)
        store.create_bank("loose", "", "aiko", now)
        for bank in ("strict", "loose"):
            store.add_to_bank(bank, [{"pdq": pdq, "quality": 90, "source": "file", "ref": "poster.png"}], "aiko", now)
        index = BankIndex.load(store, ["strict", "loose"])
    assert [m.bank for m in index.match([pdq])] == ["strict", "loose"]  # the picture itself: both
    assert [m.bank for m in index.match(mirrored)] == ["loose"]  # its mirror image: only the bank that asks


# --- provenance ----------------------------------------------------------------------------------
def png_with(**text: str) -> bytes:
    info = PngImagePlugin.PngInfo()
    for k, v in text.items():
        info.add_text(k, v)
    out = io.BytesIO()
    Image.open(io.BytesIO(poster("meta")[1])).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def test_generator_metadata_is_read_and_is_gone_after_a_re_encode():
    a1111 = png_with(parameters="a poster\nSteps: 28, Sampler: Euler a, Model: NovelAI")
    comfy = png_with(prompt='{"3": {"class_type": "KSampler"}}', workflow='{"nodes": []}')
    assert read_meta(a1111) == ["parameters: a poster\nSteps: 28, Sampler: Euler a, Model: NovelAI"]
    assert [m.split(":")[0] for m in read_meta(comfy)] == ["prompt", "workflow"]
    assert read_meta(reencode(a1111)) == [] and read_meta(reencode(comfy)) == []
    xmp = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           '<rdf:Description xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
           'Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"/>'
           '</rdf:RDF></x:xmpmeta>').encode()
    declared = io.BytesIO()
    Image.open(io.BytesIO(poster("meta")[1])).convert("RGB").save(declared, "JPEG", xmp=xmp)
    assert "digital_source_type: trainedAlgorithmicMedia" in read_meta(declared.getvalue())
    assert read_meta(reencode(declared.getvalue())) == []


def signed_jpeg(tmp_path: Path) -> bytes:
    """A JPEG with a C2PA manifest declaring trainedAlgorithmicMedia, signed with a test CA's ES256 key."""
    c2pa = pytest.importorskip("c2pa")
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.now(timezone.utc)
    name = lambda cn: x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn),  # noqa: E731
                                 x509.NameAttribute(NameOID.ORGANIZATION_NAME, "auditor tests")])
    usage = dict(content_commitment=False, key_encipherment=False, data_encipherment=False, key_agreement=False,
                 encipher_only=False, decipher_only=False)

    def cert(subject, issuer, key, signing_key, ca: bool):
        b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
             .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
             .not_valid_after(now + timedelta(days=30))
             .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
             .add_extension(x509.KeyUsage(digital_signature=not ca, key_cert_sign=ca, crl_sign=ca, **usage), critical=True)
             .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
        if not ca:
            b = (b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
                 .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()), critical=False))
        return b.sign(signing_key, hashes.SHA256())

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    root = cert(name("test root"), name("test root"), ca_key, ca_key, ca=True)
    leaf = cert(name("test signer"), root.subject, key, ca_key, ca=False)
    chain = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (leaf, root))
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    manifest = {"claim_generator_info": [{"name": "poster-maker", "version": "2.1"}], "title": "poster.jpg",
                "assertions": [{"label": "c2pa.actions", "data": {"actions": [{
                    "action": "c2pa.created",
                    "digitalSourceType": "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"}]}}]}
    signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, chain, pem, None))
    source = io.BytesIO(reencode(poster("signed")[1], quality=95))
    out = io.BytesIO()
    with c2pa.Builder(manifest) as builder:
        builder.sign(signer, "image/jpeg", source, out)
    return out.getvalue()


def test_a_c2pa_manifest_says_who_made_and_signed_the_picture_and_a_re_encode_removes_it(tmp_path):
    data = signed_jpeg(tmp_path)
    assert read_meta(data) == ["digital_source_type: trainedAlgorithmicMedia", "c2pa_generator: poster-maker 2.1",
                               "c2pa_signer: test signer / auditor tests",
                               "c2pa_signature: signed, signer not in a trust list"]
    tampered = bytearray(data)
    tampered[-300] ^= 0xFF  # a byte of the picture changed after signing
    assert read_meta(bytes(tampered))[-1] == "c2pa_signature: invalid (assertion.dataHash.mismatch)"
    assert read_meta(reencode(data, quality=85)) == []


def test_the_nudity_detector_labels_a_public_domain_photo(tmp_path):
    pytest.importorskip("nudenet", reason="the opt-in nudity extra is not installed")
    skimage_data = pytest.importorskip("skimage.data", reason="scikit-image (for its public-domain photos) is not installed")
    from auditor.images.analyse import analyse

    out = io.BytesIO()
    Image.fromarray(skimage_data.astronaut()).save(out, "JPEG", quality=90)  # NASA's Eileen Collins, public domain
    seen = analyse(out.getvalue(), nudity=True)
    labels = dict(seen.nudity)
    assert labels.get("FACE_FEMALE", 0) >= 0.6, labels
    assert not [label for label in labels if label.endswith("_EXPOSED")], labels
    assert analyse(out.getvalue()).nudity is None  # not run unless a rule asks


def test_a_rule_testing_nudity_runs_the_detector_in_explain(tmp_path):
    pytest.importorskip("nudenet", reason="the opt-in nudity extra is not installed")
    skimage_data = pytest.importorskip("skimage.data", reason="scikit-image (for its public-domain photos) is not installed")
    from click.testing import CliRunner

    from auditor.cli import cli

    Image.fromarray(skimage_data.astronaut()).save(tmp_path / "astronaut.png")
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "nude.yaml").write_text(NUDITY_RULE.replace("EXPOSED_BREAST_F", "FACE_FEMALE"), encoding="utf-8")
    said = CliRunner().invoke(cli, ["rules", "explain", "--rules", str(tmp_path / "rules"), "--title", "x",
                                    "--image", str(tmp_path / "astronaut.png")])
    assert said.exit_code == 0, said.output
    assert "image astronaut.png: nudity detector: FACE_FEMALE 0." in said.output
    assert 'nude.detected (high): image "nudity detector: FACE_FEMALE 0.' in said.output


NUDITY_RULE = """rules:
  - id: nude.detected
    title: nudity
    severity: high
    selections:
      picture:
        image_nudity: {labels: [EXPOSED_BREAST_F], min_score: 0.6}
"""


def test_a_rule_testing_nudity_is_refused_without_the_opt_in_extra(tmp_path, monkeypatch):
    pytest.importorskip("yaml")
    monkeypatch.setitem(sys.modules, "nudenet", None)  # as on a machine without the extra
    (tmp_path / "nude.yaml").write_text(NUDITY_RULE, encoding="utf-8")
    _, problems = check_rules([tmp_path])
    assert problems and "nude.yaml:7" in str(problems[0]) and "auditor[nudity]" in str(problems[0])


# --- end to end ------------------------------------------------------------------------------------
@pytest.mark.e2e
def test_confirmed_pictures_catch_their_re_listings_and_the_seller_networks(config, hook):  # noqa: F811
    from auditor.config import NotifySettings

    cfg = config.model_copy(update={"demo": config.demo.model_copy(update={"listings": 90}),
                                    "notify": [NotifySettings(url=hook.url, on=["network_grew"], language="en")]})
    days = list(run_days(cfg, 2, today=date(2026, 11, 26), audit=start_audit))  # the CLI's starter: alerts too
    world = DemoWorld(cfg.demo.seed, 90)
    relisted = {k for k, e in world.day(2).events.items() if e == "relisted"}
    assert len(relisted) == 4
    for d in days:
        assert (d.precision, d.recall, d.network_precision, d.network_recall) == (1.0, 1.0, 1.0, 1.0), d.day
        assert d.wrong == {}, d.wrong
    with Store(cfg.database) as store:
        hits = store.flagged_keys(days[1].summary.run_id)
        assert {k for k, rules in hits.items() if rules == {"images.relisted_confirmed"}} == relisted
        variants = {world.catalog(2).get("auction" if k[0] == "demo_auction" else "flea", k[1]).variant for k in relisted}
        assert variants == {"jpeg", "resize", "sticker", "mirror"}  # each way of disguising it is caught
        assert {frozenset(n.sellers) for n in seller_networks(store)} == world.networks(2) != set()
        assert store.count("image_links") >= 4 and not [f for f in store.failures_for_run(2) if f["kind"] == "image"]
        evidence = store.evidence_for(relisted)
        assert all(evidence[k] for k in relisted)  # flagged by its picture: captured like any other
    [told] = hook.received  # day 2, when the re-listers' pictures linked them to the sellers they copied
    assert "seller networks formed or grew" in told["title"] and f"run #{days[1].summary.run_id}" in told["title"]
    assert all(s in told["message"] for net in world.networks(2) for _, s in net)
    doc = BeautifulSoup((Path(days[1].summary.day_report_dir) / "report.html").read_text(), "lxml")
    assert doc.select_one("section#networks") is not None
    assert "distance" in doc.text and "images.relisted_confirmed" in doc.text


def test_confirming_in_review_banks_the_pictures_and_a_false_positive_never_does(config, demo_server):
    from auditor.config import Target
    from auditor.ops.audit import start_audit
    from auditor.run.pipeline import AuditOptions

    cfg = config.model_copy(update={"evidence": config.evidence.model_copy(update={"enabled": False})})
    target = Target(name="demo-auction", site="demo_auction", start_urls=[demo_server.url + "/auction/search"],
                    requests_per_second=500, images="flagged")
    with Store(cfg.database) as store:
        start_audit(cfg, store, AuditOptions(targets=[target]))
        flagged = sorted(store.flagged_keys(1))
        assert store.images_of(flagged[:2])[flagged[0]]  # a flagged listing's pictures were fetched and hashed
        lead = User(1, "aiko", "lead")
        now = datetime(2026, 11, 26, 9, tzinfo=timezone.utc)
        decide(store, lead, [flagged[0]], "false_positive", now, bank="team")
        assert not store.bank_exists("team")
        decide(store, lead, [flagged[1]], "confirmed", now, bank="team")
        entries = store.bank_entries(["team"])
        assert entries and {e["ref"] for e in entries} == {f"{flagged[1][0]}/{flagged[1][1]}"}
        assert {e["added_by"] for e in entries} == {"aiko"} and {e["source"] for e in entries} == {"decision"}


def test_rules_explain_looks_an_image_up_in_the_banks_and_reads_its_metadata(tmp_path):
    from click.testing import CliRunner

    from auditor.cli import cli

    (tmp_path / "orig.png").write_bytes(poster("explain-me")[1])
    (tmp_path / "relisted.jpg").write_bytes(poster("explain-me", "mirror")[1])
    (tmp_path / "other.png").write_bytes(poster("unrelated", sd_metadata=True)[1])
    (tmp_path / "config.yaml").write_text(f"database: {tmp_path}/a.db\nrules_dir: {RULES}\nlog_file:\n", encoding="utf-8")
    run = lambda *a: CliRunner().invoke(cli, ["--config", str(tmp_path / "config.yaml"), *a])  # noqa: E731
    assert run("banks", "create", "confirmed").exit_code == 0
    added = run("banks", "add", "confirmed", str(tmp_path / "orig.png"))
    assert added.exit_code == 0 and "1 of 1 added to confirmed" in added.output and "already" not in added.output
    said = run("rules", "explain", "--title", "オリジナル アートポスター", "--image", str(tmp_path / "relisted.jpg"),
               "--image", str(tmp_path / "other.png"))
    assert said.exit_code == 0, said.output
    assert "image relisted.jpg: PDQ" in said.output and "bank confirmed #1 (file: orig.png), distance 0" in said.output
    assert "image other.png: parameters: poster, original" in said.output and "in no bank" in said.output
    assert 'images.relisted_confirmed (critical): image "bank confirmed #1' in said.output
    refused = run("rules", "explain", "--title", "x", "--image", str(tmp_path / "config.yaml"))
    assert refused.exit_code == 2 and "config.yaml: not a readable image: not a format Pillow reads" in refused.output


def test_pictures_on_the_marketplaces_own_host_keep_to_the_crawls_rate(config):
    """A target without a rate of its own crawls at crawl.requests_per_second; its listings' pictures on
    the same host share that budget, whatever images.requests_per_second allows other image hosts."""
    from auditor.config import Target
    from auditor.demo import generate, serve_demo
    from auditor.ops.audit import start_audit
    from auditor.run.pipeline import AuditOptions

    cfg = config.model_copy(update={"evidence": config.evidence.model_copy(update={"enabled": False}),
                                    "crawl": config.crawl.model_copy(update={"requests_per_second": 8}),
                                    "images": config.images.model_copy(update={"requests_per_second": 100})})
    catalog = generate(seed=3, size=12)
    with serve_demo(catalog) as server, Store(cfg.database) as store:
        target = Target(name="auction", site="demo_auction", start_urls=[server.url + "/auction/search"], images="all")
        summary = start_audit(cfg, store, AuditOptions(targets=[target]))
        times = sorted(t for t, _ in server.times)
        pictures = [p for _, p in server.times if p.startswith("/img/")]
        spent = store.spent_of_run(summary.run_id)["auction"]
    assert len(pictures) >= 8 and len(times) >= 17  # the pictures were fetched, from the marketplace's own host
    assert spent["picture"] == len(pictures)  # what the venue was asked, pictures too, as its own log has it
    # 8 a second as the client paces pages and pictures together: any 17 requests in a row span 2 s. A busy machine
    # only delays requests, never hastens them, but the server may log one late and the next ones on time: half a
    # second is left for that. The bug this guards against (pictures paced apart from the pages, 16 a second)
    # puts 17 in one second.
    assert min(b - a for a, b in zip(times, times[16:])) >= 1.5
