"""From a decision to a removal, end to end: real demo audits, the console in real Chromium, a real SMTP server
on 127.0.0.1 in its own process. A reviewer requests a listing's takedown; its notice is mailed with the case
file; the demo marketplace deletes the listing the next day and that day's run marks the notice removed with
its hours; a form notice with no removal becomes due after renotice_days and raises notice_due once; with the
SMTP server gone, a send stays a draft and the case says why. Then `auditor notices` in a fresh process."""

from __future__ import annotations

import email
import email.policy
import io
import json
import re
import subprocess
import sys
import threading
import time
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import uvicorn
import yaml

from auditor.channels import Channel, NoticeSettings, Reporter, SmtpSettings
from auditor.config import BrowserSettings, Config, CrawlSettings, DemoSettings, NotifySettings
from auditor.demo import DemoWorld
from auditor.demo.hosting import demo_hosts, demo_targets
from auditor.models import RunSummary
from auditor.ops.audit import start_audit
from auditor.ops.notify import send
from auditor.review.users import add_user
from auditor.run.pipeline import AuditOptions
from auditor.serve.app import create_app
from auditor.store import Store

from conftest import RULES, FixedClock
from smtp import free_port
from test_e2e_console import PASSWORD, browser, sign_in  # noqa: F401 - the console's Chromium and its sign-in
from test_notify import hook  # noqa: F401 - a local JSON webhook that records the alerts

pytestmark = pytest.mark.e2e
T1 = datetime(2026, 11, 24, 21, 0, tzinfo=timezone.utc)  # 06:00 on the 25th in Tokyo
LISTINGS = 40
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def mailbox(tmp_path):
    """`python tests/smtp.py FOLDER PORT`: a real SMTP server in its own process; every message lands as N.eml."""
    folder, port = tmp_path / "mail", free_port()
    proc = subprocess.Popen([sys.executable, str(ROOT / "tests" / "smtp.py"), str(folder), str(port)])
    for _ in range(200):
        if (folder / "ready").exists():
            break
        time.sleep(0.05)
    yield {"folder": folder, "port": port, "proc": proc}
    proc.kill()
    proc.wait(10)


def notices(port: int) -> NoticeSettings:
    smtp = SmtpSettings(host="127.0.0.1", port=port, starttls=False, sender="auditor@example.org", timeout=10)
    return NoticeSettings(renotice_days=7, reporter=Reporter(name="T&S team", email="ts@example.org"), channels=[
        Channel(name="abuse-mail", kind="email", title="Demo abuse desk", to=["abuse@demo.example"], smtp=smtp),
        Channel(name="demo-form", kind="venue_form", title="デモ 違反商品の申告", url="https://demo.example/report"),
        Channel(name="hotline", kind="hotline", url="https://hotline.example/report", category="わいせつ物公然陳列"),
    ])


def test_a_takedown_request_goes_out_and_the_next_days_run_marks_the_removal(tmp_path, mailbox, browser, hook):
    targets = [t.model_copy(update={"notices": ["abuse-mail", "hotline"]}) if t.site == "demo_auction" else
               t.model_copy(update={"notices": ["demo-form", "hotline"]}) for t in demo_targets()]
    config = Config(database=tmp_path / "a.db", reports_dir=tmp_path / "reports", rules_dir=RULES, log_file=None,
                    browser=BrowserSettings(concurrency=4), demo=DemoSettings(listings=LISTINGS), targets=targets,
                    crawl=CrawlSettings(requests_per_second=500, retries=1, backoff_seconds=0.05, page_timeout_seconds=10),
                    notices=notices(mailbox["port"]), notify=[NotifySettings(url=hook.url, on=["notice_due"], language="en")])
    world = DemoWorld(7, LISTINGS, epoch=T1)
    clock = FixedClock(T1)

    def audit(day: int) -> RunSummary:
        clock.now = T1 + timedelta(days=day - 1)
        out = []

        def go() -> None:
            with Store(config.database) as store:
                out.append(start_audit(config, store, AuditOptions(targets=targets, kind="scheduled", clock=clock,
                                                                 hosts=demo_hosts(config, world, day))))
        thread = threading.Thread(target=go)  # the browser's event loop lives in this thread
        thread.start()
        thread.join(300)
        return out[0]

    day1 = audit(1)
    [gone] = [k for k, kind in world.refusals(2).items() if kind == "removed"]  # deleted by the venue on day 2
    with Store(config.database) as store:
        add_user(store, "ana", "reviewer", PASSWORD, T1)
        assert store.picture_row(*gone)["state"] == "new"
        still_up = sorted(k for k in store.flagged_keys(day1.run_id) if k[0] == "demo_fleamarket"
                          and store.picture_row(*k)["status"] == "active" and world.day(2).events.get(k) is None)[0]
    app = create_app(config, clock=clock)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    env = {"url": f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"}
    try:
        clock.now = T1 + timedelta(hours=3)
        page = sign_in(browser, env, "ana")
        page.goto(f"{env['url']}/case?site={gone[0]}&item={gone[1]}")
        assert "Demo abuse desk" in page.inner_text("#notice-hint")
        page.keyboard.press("t")  # no ticket: the target's channel drafts the notice
        page.wait_for_selector("#notices article.notice")
        assert page.get_attribute("#notices article.notice", "data-state") == "draft"
        page.click("#notices button.send-notice")
        page.wait_for_selector("#notices article.notice[data-state=sent]")

        clock.now = T1 + timedelta(hours=4)  # a form notice, filed by hand with the venue's receipt
        page.goto(f"{env['url']}/case?site={still_up[0]}&item={still_up[1]}")
        page.click("#decide button[data-key=c]")
        page.wait_for_url(re.compile(r".*/(case|queue).*"))
        page.goto(f"{env['url']}/case?site={still_up[0]}&item={still_up[1]}")
        page.select_option("#draft-notice select[name=channel]", "demo-form")
        page.click("#draft-notice button")
        page.wait_for_selector("#notices article.notice")
        form_id = int(page.get_attribute("#notices article.notice", "data-notice"))
        form = page.locator(f"article[data-notice='{form_id}']")
        assert "https://demo.example/report" in form.locator("a").get_attribute("href")
        fields = [t.input_value() for t in form.locator("textarea").all()]
        assert any(still_up[1] in v for v in fields) and all(v.strip() for v in fields)
        form.locator("input[name=receipt]").fill("DEMO-2026-0001")
        form.locator("button.mark-sent").click()
        page.wait_for_selector(f"article[data-notice='{form_id}'][data-state=sent]")

        mailbox["proc"].kill()  # the SMTP server is gone: a send stays a draft and the case says why
        mailbox["proc"].wait(10)
        page.goto(f"{env['url']}/case?site={gone[0]}&item={gone[1]}")
        page.select_option("#draft-notice select[name=channel]", "abuse-mail")
        page.click("#draft-notice button")
        page.wait_for_selector("#notices article.notice[data-state=draft]")
        failing = int(page.get_attribute("#notices article.notice[data-state=draft]", "data-notice"))
        page.click(f"article[data-notice='{failing}'] button.send-notice")
        page.wait_for_selector(f"#notice-error-{failing}")
        assert "Connection refused" in page.inner_text(f"#notice-error-{failing}")
        assert page.get_attribute(f"article[data-notice='{failing}']", "data-state") == "draft"
    finally:
        server.should_exit = True

    [raw] = sorted(mailbox["folder"].glob("*.eml"))
    message = email.message_from_bytes(raw.read_bytes(), policy=email.policy.default)
    body = message.get_body(("plain",)).get_content()
    assert gone[1] in body and "(UTC)" in body and "+09:00" in body
    assert "\n" not in message["Subject"] and gone[1] in message["Subject"]
    [case] = [p for p in message.iter_attachments() if p.get_filename().endswith(".zip")]
    with zipfile.ZipFile(io.BytesIO(case.get_content())) as z:
        assert gone[1] in z.read("summary.txt").decode()

    day2 = audit(2)  # the venue deleted it: its page says so
    with Store(config.database) as store:
        [mailed] = [n for n in store.notices() if n["channel"] == "abuse-mail" and n["id"] != failing]
        mailed = store.notice(mailed["id"])
        assert mailed["state"] == "removed"
        removal = mailed["events"][-1]
        assert removal["run_id"] == day2.run_id and removal["hours"] == pytest.approx(24 - 3, abs=0.1)
        assert json.loads(removal["proof"])["pages"][0]["sha256"]  # the deleted page, kept
        assert store.notice(form_id)["state"] == "sent"  # still up
        later = T1 + timedelta(hours=4, days=7, minutes=1)
        told = send(config, store, RunSummary(day2.run_id, "completed", later, later, day2.targets), later)
        assert [e for e, _, ok in told if ok] == ["notice_due"]
        assert send(config, store, RunSummary(day2.run_id, "completed", later, later, day2.targets), later) == []
    assert len(hook.received) == 1 and f"notice #{form_id} (demo-form" in hook.received[0]["message"]
    assert "next, hotline" in hook.received[0]["message"]

    # the same record from the command line, as a user runs it
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({**json.loads(config.model_dump_json(exclude={"notify"})), "log_file": None},
                                   allow_unicode=True), encoding="utf-8")
    cli = [sys.executable, "-m", "auditor", "--config", str(path), "notices"]
    listed = subprocess.run([*cli, "list"], capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0, listed.stderr
    assert re.search(rf"#{mailed['id']}\s+removed\s+abuse-mail", listed.stdout)
    assert re.search(rf"#{form_id}\s+sent\s+demo-form", listed.stdout)
    shown = subprocess.run([*cli, "show", str(form_id)], capture_output=True, text=True, timeout=120)
    assert "DEMO-2026-0001" in shown.stdout and "form: https://demo.example/report" in shown.stdout
    exported = subprocess.run([*cli, "export", "--format", "json"], capture_output=True, text=True, timeout=120)
    rows = {r["id"]: r for r in json.loads(exported.stdout)}
    assert rows[mailed["id"]]["hours_to_removal"] == removal["hours"] and rows[form_id]["receipt"] == "DEMO-2026-0001"
    refused = subprocess.run([*cli, "send", str(form_id), "--as", "ana"], capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and "form" in refused.stderr and "Traceback" not in refused.stderr
    report = (Path(day2.day_report_dir) / "report.html").read_text(encoding="utf-8")
    assert 'id="notices"' in report and f"#{mailed['id']}" in report and f"{removal['hours']:.1f}" in report
