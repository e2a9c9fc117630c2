"""An ad hoc run's hits in the console, as a reviewer sees them in Chromium: listed on "Ad hoc runs", each opening as a
read-only case (no decision bar), and none of them in the daily queue (an ad hoc run changes no queue)."""

from __future__ import annotations

import re
import threading
import time
from datetime import datetime, timezone

import pytest
import uvicorn

from auditor.ops.audit import start_audit
from auditor.review.users import add_user
from auditor.run.pipeline import AuditOptions
from auditor.run.plan import adhoc_target
from auditor.serve.app import create_app
from auditor.store import Store

from test_e2e_console import PASSWORD, browser, sign_in  # noqa: F401 - the console's Chromium and its sign-in

pytestmark = pytest.mark.e2e


def test_an_ad_hoc_runs_hits_are_listed_apart_and_open_read_only(config, demo_server, browser):
    config = config.model_copy(update={"evidence": config.evidence.model_copy(update={"enabled": False})})
    target = adhoc_target("demo_auction", ["AI美女"], [], demo_server.url)
    done = []

    def go() -> None:  # in a thread of its own: the browser keeps an event loop in this one
        with Store(config.database) as store:
            done.append(start_audit(config, store, AuditOptions(targets=[target], kind="adhoc")))
    thread = threading.Thread(target=go)
    thread.start()
    thread.join(300)
    summary = done[0]
    with Store(config.database) as store:
        flagged = sorted(store.flagged_keys(summary.run_id))
        add_user(store, "ana", "reviewer", PASSWORD, datetime.now(timezone.utc))
    assert summary.kind == "adhoc" and flagged
    server = uvicorn.Server(uvicorn.Config(create_app(config), host="127.0.0.1", port=0, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    env = {"url": f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"}
    try:
        page = sign_in(browser, env, "ana")
        assert page.locator("table.cases tbody tr").count() == 0  # the daily queue holds none of them
        page.click("nav a[href='/adhoc']")
        run = page.locator(f"section.adhoc-run[data-run='{summary.run_id}']")
        assert re.search(rf"\b{len(flagged)} flagged\b", run.locator("h2").inner_text())
        assert run.locator("tbody tr").count() == len(flagged)
        site, item = flagged[0]
        run.locator(f"a[href*='item={item}']").click()
        page.wait_for_url(re.compile(r".*/case\?.*"))
        assert item in page.inner_text("main") and page.locator("#decide").count() == 0  # read-only
    finally:
        server.should_exit = True
