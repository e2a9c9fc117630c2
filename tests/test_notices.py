"""Takedown notices, from a confirmed case to a removal: every field of every channel filled from the case, a
DSA notice with each Art. 16 element, a mailed notice received by a real SMTP server with its case file, a
refused send left a draft with its error, the crawl marking a removal with its hours, a notice due once."""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from auditor.channels import Channel, NoticeSettings, Reporter, SmtpSettings
from auditor.config import Config, Target
from auditor.errors import AuditorError
from auditor.models import Evidence, EvidenceFile, Hit, Listing, Match, PageFailure, PageKind, RunSummary
from auditor.notices.draft import draft_notice, draft_seller_notice
from auditor.notices.send import mark, send_notice
from auditor.notices.text import SUBJECT_LIMIT, one_line
from auditor.notices.track import due_notices, follow_removals, next_channel, venue_stats
from auditor.review import decisions as dec
from auditor.review.users import add_user
from auditor.run.settle import settle_run

from smtp import Mailbox
from test_notify import hook  # noqa: F401 - a local JSON webhook that records the alerts

T0 = datetime(2026, 11, 24, 21, 30, tzinfo=timezone.utc)  # 06:30 on the 25th in Tokyo
LABEL = Hit("ai_poster.label", "AI label", "high", (), (Match("title", "AI美女", 0, 4),))
REPORTER = Reporter(name="Trust & Safety", email="ts@example.org", organisation="Example K.K.")


def listing(item_id: str, title: str = "AI美女 ポスター A3", seller: str = "s1") -> Listing:
    return Listing("demo_auction", item_id, f"http://127.0.0.1:9/auction/item/{item_id}", title, price=Decimal(3000),
                   currency="JPY", seller_id=seller, seller_name="posters_jp", status="active")


def audit(store, at, listings, removed=()):
    run = store.start_run(at, ["t"], [], kind="scheduled")
    for x in listings:
        store.record_listing(run, "t", x, [LABEL], at)
    for x in removed:
        store.mark_removed(run, x.site, x.item_id, at)
        store.record_failure(run, PageFailure("t", x.url, "removed", "the venue says it was deleted", 1, PageKind.ITEM,
                                              proof="<html>この商品は削除されました</html>"), at)
    store.record_target(run, "t", complete=True, reason=None, pages_ok=1, pages_failed=0, listings=len(listings))
    settle_run(store, run, ["t"], "scheduled", at, suppressed=dec.suppressed(store))
    store.finish_run(RunSummary(run, "completed", at, at, ["t"], pages_ok=1))
    return run


def capture(store, run, x: Listing, root: Path, at: datetime) -> str:
    folder = f"{at:%Y-%m-%d}/{x.site}/{x.item_id}"
    (root / folder).mkdir(parents=True)
    page = (root / folder / "page.html")
    page.write_text("<html>listing</html>")
    digest = hashlib.sha256(page.read_bytes()).hexdigest()
    store.evidence_taken(run, Evidence(x.site, x.item_id, x.url, x.url, at, folder,
                                       (EvidenceFile("html", f"{folder}/page.html", digest, page.stat().st_size),)))
    return digest


def settings(port: int = 25, **channel) -> NoticeSettings:
    smtp = SmtpSettings(host="127.0.0.1", port=port, starttls=False, sender="auditor@example.org", timeout=10)
    return NoticeSettings(renotice_days=7, reporter=REPORTER, channels=[
        Channel(name="yahoo-form", kind="venue_form", title="ヤフオク! 違反商品の申告", url="https://example.jp/report"),
        Channel(name="abuse-mail", kind="email", to=["abuse@example.jp"], smtp=smtp),
        Channel(name="ihc", kind="hotline", url="https://example.jp/hotline", category="わいせつ物公然陳列"),
        Channel(name="eu", kind="dsa_notice", url="https://example.eu/dsa"),
        Channel(name="eu-mail", kind="dsa_notice", to=["dsa@example.eu"], smtp=smtp),
    ])


@pytest.fixture
def world(store, tmp_path):
    """Day one: a flagged listing captured and confirmed by a reviewer, with a note."""
    root = tmp_path / "reports" / "evidence"
    x = listing("a1")
    run = audit(store, T0, [x, listing("a2")])
    digest = capture(store, run, x, root, T0)
    ana = add_user(store, "ana", "reviewer", "a long enough secret", T0)
    dec.decide(store, ana, [("demo_auction", "a1")], "confirmed", T0, note="AI生成のわいせつ画像をポスターとして販売")
    return {"x": x, "digest": digest, "ana": ana, "root": root}


def make_config(tmp_path, store, port=25, channels=("abuse-mail", "ihc")) -> Config:
    return Config(database=tmp_path / "unused.db",  # the store is handed over; the file is never opened
                  reports_dir=tmp_path / "reports", notices=settings(port),
                  targets=[Target(name="t", site="demo_auction", notices=list(channels))])


def test_every_field_of_every_channel_is_filled_from_the_case(store, tmp_path, world):
    config = make_config(tmp_path, store)
    for name in ("yahoo-form", "abuse-mail", "ihc", "eu"):
        notice = store.notice(draft_notice(store, config, [("demo_auction", "a1")], "ana", T0, channel=name))
        assert notice["state"] == "draft" and notice["channel"] == name
        assert notice["fields"], name
        for label, value in notice["fields"].items():
            assert value.strip(), f"{name}: {label} is empty"
        text = notice["body"]
        assert world["x"].url in text and "a1" in text and world["digest"] in text
        assert "2026-11-25 06:30:00+09:00" in text and "2026-11-24 21:30:00Z (UTC)" in text  # JST and UTC
        assert "AI生成のわいせつ画像をポスターとして販売" in text  # the reviewer's note is the reason
        assert "ai_poster.label" in text
        assert "<img" not in text and "data:image" not in text  # no picture is ever inlined
    ihc = store.notices(states=["draft"])[1]  # newest first: eu, ihc, …
    assert ihc["channel"] == "ihc" and "わいせつ物公然陳列" in ihc["body"]
    assert ihc["fields"]["商品のURL"] == world["x"].url and ihc["fields"]["連絡先"] == "ts@example.org"
    assert ihc["subject"].startswith("【違反商品の申告】")  # Japanese venue: Japanese notice
    assert store.notices(states=["draft"])[0]["subject"].startswith("Report of illegal listings")  # DSA: English


def test_a_dsa_notice_holds_every_element_of_article_16(store, tmp_path, world):
    config = make_config(tmp_path, store)
    notice = store.notice(draft_notice(store, config, [("demo_auction", "a1")], "ana", T0, channel="eu"))
    doc = notice["document"]
    assert "Article 16" in doc["regulation"]
    assert doc["explanation"][0]["reasons"].startswith("AI生成のわいせつ画像")  # (a) why it is illegal
    assert doc["locations"][0]["url"] == world["x"].url  # (b) the exact URL
    assert doc["locations"][0]["evidence_sha256"] == [world["digest"]]
    assert doc["notifier"] == {"name": "Trust & Safety", "email": "ts@example.org", "organisation": "Example K.K."}  # (c)
    assert "bona fide" in doc["good_faith_statement"] and doc["good_faith_statement"] in notice["body"]  # (d)
    with pytest.raises(ValueError, match="reporter.name and reporter.email"):
        NoticeSettings(channels=[Channel(name="eu", kind="dsa_notice", url="https://example.eu/dsa")])


def test_a_hostile_title_gives_a_single_line_bounded_subject(store, tmp_path, world):
    hostile = "AI美女\r\nBcc: victim@example.com\r\n\r\n\u202egnp.exe" + "あ" * 10_000
    run = audit(store, T0 + timedelta(hours=1), [listing("a1", title=hostile)])
    assert run
    config = make_config(tmp_path, store)
    notice = store.notice(draft_notice(store, config, [("demo_auction", "a1")], "ana", T0, channel="abuse-mail"))
    subject = notice["subject"]
    assert "\r" not in subject and "\n" not in subject and "\u202e" not in subject
    assert len(subject) <= SUBJECT_LIMIT and subject.endswith("…")
    assert "Bcc: victim@example.com" in subject  # kept as text, on the same line: never a header of its own
    assert len(notice["body"]) <= 20_000
    assert not any(line.startswith("Bcc:") for line in notice["body"].splitlines())
    assert one_line("a\x00b\x1bc\u2066d") == "a b cd"


def test_a_mailed_notice_arrives_with_its_case_file_and_the_crawl_marks_its_removal(store, tmp_path, world):
    with Mailbox() as box:
        config = make_config(tmp_path, store, port=box.port)
        notice_id = draft_notice(store, config, [("demo_auction", "a1")], "ana", T0)  # the target's first channel
        assert store.notice(notice_id)["channel"] == "abuse-mail"
        sent = send_notice(store, config, notice_id, "ana", T0 + timedelta(minutes=5))
        assert sent.ok and f"notice-{notice_id}@example.org>" in sent.receipt
    [got] = box.messages
    assert got["to"] == ["abuse@example.jp"]
    message = got["message"]
    assert message["Subject"] == store.notice(notice_id)["subject"]
    assert message["Message-ID"] == sent.receipt
    body = message.get_body(("plain",)).get_content()
    assert world["x"].url in body and world["digest"] in body
    [attached] = [p for p in message.iter_attachments()]
    assert attached.get_filename() == "case-demo_auction-a1.zip"
    with zipfile.ZipFile(io.BytesIO(attached.get_content())) as z:
        assert "summary.txt" in z.namelist() and any(n.endswith("page.html.txt") for n in z.namelist())
    assert store.notice(notice_id)["state"] == "sent"
    with pytest.raises(AuditorError, match="not a draft"):
        send_notice(store, config, notice_id, "ana", T0)  # never sent twice by accident

    day2 = T0 + timedelta(days=1)
    run = audit(store, day2, [listing("a2")], removed=[world["x"]])
    assert follow_removals(store, run) == [notice_id]
    notice = store.notice(notice_id)
    assert notice["state"] == "removed"
    last = notice["events"][-1]
    assert last["run_id"] == run and last["hours"] == pytest.approx(23.92, abs=0.01)
    proof = json.loads(last["proof"])
    assert proof["pages"][0]["sha256"] == hashlib.sha256("<html>この商品は削除されました</html>".encode()).hexdigest()
    assert follow_removals(store, run) == []  # once
    [stats] = venue_stats(store, day2)
    assert (stats.site, stats.sent, stats.removed, stats.median_hours) == ("demo_auction", 1, 1, last["hours"])


def test_a_refused_send_stays_a_draft_with_its_error_and_is_tried_again_only_when_asked(store, tmp_path, world):
    with Mailbox(refuse=True) as box:
        config = make_config(tmp_path, store, port=box.port)
        notice_id = draft_notice(store, config, [("demo_auction", "a1")], "ana", T0)
        sent = send_notice(store, config, notice_id, "ana", T0)
    assert not sent.ok and "550" in sent.error and "relaying denied" in sent.error
    notice = store.notice(notice_id)
    assert notice["state"] == "draft" and "relaying denied" in notice["error"]
    assert box.messages == []
    with Mailbox() as box:  # a person sends it again once the server takes it
        config = make_config(tmp_path, store, port=box.port)
        assert send_notice(store, config, notice_id, "ana", T0 + timedelta(hours=1)).ok
    notice = store.notice(notice_id)
    assert notice["state"] == "sent" and notice["error"] == "" and len(box.messages) == 1
    config = make_config(tmp_path, store, port=free_closed_port())
    other = draft_notice(store, config, [("demo_auction", "a1")], "ana", T0)
    assert not send_notice(store, config, other, "ana", T0).ok  # nobody listening: a draft, with why
    assert store.notice(other)["state"] == "draft" and "Connection refused" in store.notice(other)["error"]


def free_closed_port() -> int:
    from smtp import free_port

    return free_port()


def test_a_form_notice_is_sent_when_its_receipt_is_recorded_and_due_after_renotice_days(store, tmp_path, world):
    config = make_config(tmp_path, store, channels=("yahoo-form", "ihc"))
    notice_id = draft_notice(store, config, [("demo_auction", "a1")], "ana", T0)
    with pytest.raises(AuditorError, match="form"):
        send_notice(store, config, notice_id, "ana", T0)
    with pytest.raises(AuditorError, match="receipt"):
        mark(store, config, notice_id, "sent", "ana", T0)
    mark(store, config, notice_id, "sent", "ana", T0, receipt="YA-2026-000123")
    notice = store.notice(notice_id)
    assert notice["state"] == "sent" and notice["events"][-1]["receipt"] == "YA-2026-000123"
    assert due_notices(store, T0 + timedelta(days=6, hours=23), 7) == []
    [due] = due_notices(store, T0 + timedelta(days=7, minutes=1), 7)
    assert due["id"] == notice_id
    assert next_channel(config, due).name == "ihc"  # the hotline after the venue
    with pytest.raises(AuditorError, match="cannot become"):
        mark(store, config, notice_id, "sent", "ana", T0, receipt="again")


def test_a_seller_notice_covers_all_the_sellers_open_confirmed_listings(store, tmp_path, world):
    audit(store, T0 + timedelta(hours=1), [listing("a1"), listing("a2"), listing("a3"), listing("b1", seller="s2")])
    ana = world["ana"]
    dec.decide(store, ana, [("demo_auction", "a3")], "confirmed", T0 + timedelta(hours=2))
    config = make_config(tmp_path, store)
    notice = store.notice(draft_seller_notice(store, config, "demo_auction", "s1", "ana", T0 + timedelta(hours=2)))
    assert [x["item_id"] for x in notice["items"]] == ["a1", "a3"]  # a2 was never confirmed; b1 is another seller's
    assert notice["seller_id"] == "s1" and "posters_jp (s1)" in notice["subject"]
    with pytest.raises(AuditorError, match="not a confirmed violation"):
        draft_notice(store, config, [("demo_auction", "a2")], "ana", T0)


def test_a_notice_with_no_removal_raises_notice_due_once(store, tmp_path, world, hook):
    from auditor.config import NotifySettings
    from auditor.ops.notify import send

    config = make_config(tmp_path, store, channels=("yahoo-form", "ihc")).model_copy(
        update={"notify": [NotifySettings(url=hook.url, on=["notice_due"], language="en")]})
    notice_id = draft_notice(store, config, [("demo_auction", "a1")], "ana", T0)
    mark(store, config, notice_id, "sent", "ana", T0, receipt="YA-1")
    day = T0 + timedelta(days=1)
    run = audit(store, day, [listing("a1")])  # still up
    summary = RunSummary(run, "completed", day, day, ["t"], kind="scheduled")
    assert send(config, store, summary, day) == []  # not due yet
    later = T0 + timedelta(days=8)
    run = audit(store, later, [listing("a1")])
    summary = RunSummary(run, "completed", later, later, ["t"], kind="scheduled")
    assert [e for e, _, ok in send(config, store, summary, later) if ok] == ["notice_due"]
    [told] = hook.received
    assert f"notice #{notice_id} (yahoo-form" in told["message"] and "next, ihc" in told["message"]
    assert send(config, store, summary, later + timedelta(days=1)) == []  # once
    assert len(hook.received) == 1


def test_an_incomplete_channel_is_refused_when_the_file_is_read_naming_its_line_and_key(tmp_path):
    from auditor.config import load_config
    from auditor.errors import ConfigError

    path = tmp_path / "config.yaml"
    path.write_text("notices:\n"
                    "  channels:\n"
                    "    - name: ihc\n"                       # line 3: a hotline without its category
                    "      kind: hotline\n"
                    "      url: https://example.jp/hotline\n"
                    "    - name: mail\n"                      # line 6: addresses without a server
                    "      kind: email\n"
                    "      to: [abuse@example.jp]\n"
                    "    - name: relay\n"                     # line 9: a sign-in without a password's variable
                    "      kind: email\n"
                    "      to: [abuse@example.jp]\n"
                    "      smtp: {host: 127.0.0.1, user: auditor, sender: a@example.org}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_config(path)
    said = str(e.value)
    assert re.search(r"config\.yaml:3:.*category", said), said
    assert re.search(r"config\.yaml:6:.*smtp", said), said
    assert re.search(r"config\.yaml:(9|12):.*password_env", said), said
    path.write_text("targets:\n  - name: t\n    site: demo_auction\n    notices: [nowhere]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"config\.yaml:4:.*unknown channel 'nowhere'"):
        load_config(path)
