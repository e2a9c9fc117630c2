"""A signed-in session: `auditor login TARGET --storage-state FILE`, then the target's runs carry its cookie on both paths."""

from __future__ import annotations

import json
import stat

import pytest
from click.testing import CliRunner

from auditor.cli import cli
from auditor.config import Target
from auditor.demo import serve_demo
from auditor.demo.server import MEMBER_COOKIE
from auditor.ops.audit import start_audit
from auditor.run.pipeline import AuditOptions
from auditor.store import Store

from conftest import RULES


@pytest.mark.e2e
@pytest.mark.parametrize("path", ["http", "browser"])
def test_a_members_only_section_is_read_once_signed_in(config, small_catalog, tmp_path, path):
    config = config.model_copy(update={"evidence": config.evidence.model_copy(update={"enabled": False})})
    with serve_demo(small_catalog, faults={"/auction/": "members-only"}) as server:
        target = Target(name="members", site="demo_auction", start_urls=[server.url + "/auction/search"], fetch=path,
                        images="none", headers={"X-Team": "trust-and-safety"}, locale="en-GB")
        config_file = tmp_path / "config.yaml"
        config_file.write_text(f"database: {config.database}\nrules_dir: {RULES}\nlog_file:\ntargets:\n"
                               f"  - {{name: members, site: demo_auction, start_urls: ['{server.url}/auction/search']}}\n",
                               encoding="utf-8")
        with Store(config.database) as store:
            before = start_audit(config, store, AuditOptions(targets=[target]))
        assert before.listings_seen == 0 and before.status in ("failed", "partial")  # the sign-in page, nothing else

        state = tmp_path / "state.json"
        host = server.url.split("//")[1].split(":")[0]
        state.write_text(json.dumps({"cookies": [{"name": MEMBER_COOKIE[0], "value": MEMBER_COOKIE[1], "domain": host,
                                                  "path": "/", "expires": -1, "httpOnly": False, "secure": False,
                                                  "sameSite": "Lax"}], "origins": []}), encoding="utf-8")
        said = CliRunner().invoke(cli, ["--config", str(config_file), "login", "members", "--storage-state", str(state)])
        assert said.exit_code == 0 and "session of members saved (1 cookies)" in said.output, said.output
        saved = config.sessions_dir / "members.json"
        assert stat.S_IMODE(saved.stat().st_mode) == 0o600

        with Store(config.database) as store:
            after = start_audit(config, store, AuditOptions(targets=[target]))
        assert after.status == "completed" and after.listings_seen == len(small_catalog.section("auction"))
    bad = tmp_path / "bad.json"
    bad.write_text('{"cookies": [{"name": "x"}]}', encoding="utf-8")
    refused = CliRunner().invoke(cli, ["--config", str(config_file), "login", "members", "--storage-state", str(bad)])
    assert refused.exit_code == 2 and "not a Playwright storage-state file" in refused.output
    forgot = CliRunner().invoke(cli, ["--config", str(config_file), "login", "members", "--forget"])
    assert forgot.exit_code == 0 and not saved.exists()
