"""Alerts through Apprise, to a local JSON webhook on 127.0.0.1 that records what it receives."""

from __future__ import annotations

import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner

from auditor.cli import cli
from auditor.config import NotifySettings, Target
from auditor.demo import serve_demo
from auditor.errors import RuleError
from auditor.ops.audit import start_audit
from auditor.run.pipeline import AuditOptions
from auditor.store import Store


class Hook(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.received: list[dict] = []
        self.failing = False

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.server_address[1]}/hook"


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.received.append({**json.loads(body), "path": self.path})
        self.send_response(500 if self.server.failing else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def hook():
    server = Hook()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


def audit(config, server, **opts):
    target = Target(name="auction", site="demo_auction", start_urls=[server.url + "/auction/search"])
    with Store(config.database) as store:
        return start_audit(config, store, AuditOptions(targets=[target], **opts))


def test_new_critical_hits_are_sent_once_as_a_digest_without_any_image(config, small_catalog, hook):
    config = config.model_copy(update={"evidence": config.evidence.model_copy(update={"enabled": False}),
                                       "notify": [NotifySettings(url=hook.url, language="en")]})
    with serve_demo(small_catalog) as server:
        summary = audit(config, server)
    assert summary.status == "completed"
    [digest] = hook.received  # one message, however many hits
    assert digest["title"].startswith("auditor: ") and "need a decision" in digest["title"]
    assert digest["type"] == "warning"  # Apprise's type: chat services colour it
    critical = [x for x in small_catalog.section("auction") if x.expected_rules & {"ai_poster.sold_as_print",
                                                                                   "ai_poster.adult_print"}]
    assert critical and any(x.title in digest["message"] for x in critical)
    assert "/img/" not in digest["message"] and "data:image" not in digest["message"] and "<img" not in digest["message"]
    with Store(config.database) as store:
        rows = list(store.db.query("select event, sent from notifications"))
    assert rows == [{"event": "new_critical", "sent": 1}]


def test_a_failed_run_is_sent_and_a_failing_webhook_is_recorded_as_failed(config, small_catalog, hook, tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(config.rules_dir, rules)
    (rules / "broken.yaml").write_text("rules:\n  - {id: broken.x, title: x\n", encoding="utf-8")
    config = config.model_copy(update={"rules_dir": rules, "notify": [NotifySettings(url=hook.url, on=["run_failed"], language="en")]})
    hook.failing = True
    with serve_demo(small_catalog) as server, pytest.raises(RuleError):
        audit(config, server)
    [message] = hook.received
    assert "FAILED" in message["title"] and "broken.yaml" in message["message"]
    assert message["type"] == "failure"  # never "info"
    with Store(config.database) as store:
        assert [(r["event"], r["sent"]) for r in store.db.query("select event, sent from notifications")] == [
            ("run_failed", 0)]  # the webhook answered 500: recorded as failed, never as sent


def test_notify_test_says_which_urls_worked(tmp_path, hook, monkeypatch):
    monkeypatch.setenv("HOOK_PORT", str(hook.server_address[1]))
    p = tmp_path / "config.yaml"
    p.write_text(f"database: {tmp_path}/a.db\nnotify:\n  - url: json://127.0.0.1:${{HOOK_PORT}}/hook\n    language: en\n"
                 "  - url: json://127.0.0.1:9/nothing-listens\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(p), "notify", "test"])
    assert result.exit_code == 1
    assert result.output.splitlines() == [f"sent   json://127.0.0.1:{hook.server_address[1]}/…",
                                          "FAILED json://127.0.0.1:9/…"]
    assert hook.received[0]["title"] == "auditor: test message"
    missing = CliRunner().invoke(cli, ["--config", str(p), "notify", "test"], env={"HOOK_PORT": None})
    assert missing.exit_code == 2 and "needs ${HOOK_PORT}" in missing.output
