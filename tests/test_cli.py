"""The command line is a thin layer: every command has --help, errors are messages, not tracebacks."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from auditor.cli import cli

from conftest import RULES

COMMANDS = [[], ["run"], ["demo"], ["demo", "serve"], ["schedule"], ["report"], ["rules"], ["rules", "validate"],
            ["runs"], ["rules", "test"], ["rules", "explain"], ["rules", "backtest"], ["rules", "schema"],
            ["browser"], ["browser", "install"], ["sites"], ["parse"], ["doctor"], ["serve"], ["users"], ["users", "add"],
            ["users", "list"], ["users", "disable"], ["users", "passwd"], ["decisions"], ["decisions", "export"],
            ["decisions", "import"], ["health"], ["notify"], ["notify", "test"], ["rules", "promote"], ["login"], ["evidence"], ["evidence", "verify"], ["evidence", "prune"], ["banks"], ["worker"]]


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "auditor")
def test_every_command_has_help(command):
    result = invoke(*command, "--help")
    assert result.exit_code == 0
    assert result.output.startswith("Usage: ")
    assert len(result.output.splitlines()) > 3


def write_config(tmp_path: Path, extra: str = "") -> Path:
    p = tmp_path / "config.yaml"
    p.write_text(f"database: {tmp_path}/a.db\nreports_dir: {tmp_path}/reports\nrules_dir: {RULES}\n"
                 "demo:\n  listings: 60\n" + extra, encoding="utf-8")
    return p


def test_a_broken_config_is_a_message_with_its_line(tmp_path):
    p = tmp_path / "config.yaml"
    p.write_text("crawl:\n  retrys: 3\n", encoding="utf-8")
    result = invoke("--config", str(p), "run")
    assert result.exit_code == 2
    assert result.output.strip() == f"error: {p}:2:3: crawl.retrys: unknown key (did you mean 'retries'?)"


def test_unknown_target_is_named(tmp_path):
    p = write_config(tmp_path, "targets:\n  - name: demo-auction\n    site: demo_auction\n    start_urls: ['demo:/auction/search']\n")
    result = invoke("--config", str(p), "run", "--target", "nope")
    assert result.exit_code == 2
    assert "unknown target nope (known: demo-auction)" in result.output


def test_report_before_any_run_says_what_to_do(tmp_path):
    result = invoke("--config", str(write_config(tmp_path)), "report")
    assert result.exit_code == 2
    assert "the database has no scheduled or manual run yet: run `auditor run` first" in result.output


def test_rules_validate_exits_1_with_file_line_column(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - id: bad.one\n    title: x\n    severity: urgent\n    selections:\n      a:\n        keywords: [x]\n")
    result = invoke("rules", "validate", str(bad))
    assert result.exit_code == 1
    assert result.output.startswith(f"{bad}:4:15: rules[0].severity: Input should be ")
    ok = invoke("rules", "validate", str(RULES))
    assert ok.exit_code == 0 and re.search(r"\d+ rules ok", ok.output)


@pytest.mark.e2e
def test_demo_prints_each_days_scores_and_keeps_its_own_data(tmp_path):
    result = invoke("--config", str(write_config(tmp_path)), "demo", "--days", "2")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("day ")]
    assert len(lines) == 2
    for n, line in enumerate(lines, start=1):
        assert re.match(rf"day {n} \(\d{{4}}-\d\d-\d\d\): precision=1\.00 recall=1\.00 states=1\.00 \(", line), line
    report = re.search(r"^report: (.+)$", result.output, re.M).group(1)
    assert Path(report).exists() and Path(report).parent.parent == tmp_path / "reports" / "demo"
    assert (tmp_path / "data" / "demo" / "auditor.db").exists() and not (tmp_path / "a.db").exists()
    history = invoke("--config", str(write_config(tmp_path)), "runs")  # the team's database saw nothing
    assert history.output.strip() == "no runs yet: run `auditor run` first"


@pytest.mark.e2e
def test_a_run_prints_its_times_in_the_configured_zone(tmp_path):
    p = write_config(tmp_path, "evidence: {enabled: false}\ntargets:\n  - {name: demo-auction, site: demo_auction,"
                               " start_urls: ['demo:/auction/search'], requests_per_second: 500}\n")
    result = invoke("--config", str(p), "run")
    assert result.exit_code == 0, result.output
    started = re.search(r"started\s+│?\s*(\S+ \S+)", result.output)
    assert started and re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d\+09:00", started.group(1)), result.output
    assert "UTC" not in result.output
    printed = int(re.search(r"flagged now\s+│?\s*(\d+)", result.output).group(1))
    report = Path(re.search(r"^report: (.+)$", result.output, re.M).group(1))
    md = (report.parent / "report.md").read_text(encoding="utf-8")
    assert f"**{printed} flagged listing" in md  # the run's summary and its report count alike
    runs = invoke("--config", str(p), "runs")
    assert re.search(r"^\s+1\s+manual\s+completed\s+\d{4}-\d\d-\d\d \d\d:\d\d\+09:00", runs.output, re.M), runs.output
    row = re.search(r"^\s+1\s+manual.*$", runs.output, re.M).group(0).split()
    assert int(row[-1]) > 0 and int(row[-2]) == printed  # flagged, as the run's summary and its report count it
    for when in ("today", "yesterday"):
        again = invoke("--config", str(p), "report", "--date", when)
        assert again.exit_code in (0, 2), again.output  # today has the run; yesterday may have none


def test_runs_before_any_run(tmp_path):
    result = invoke("--config", str(write_config(tmp_path)), "runs")
    assert (result.exit_code, result.output.strip()) == (0, "no runs yet: run `auditor run` first")


def test_sites_lists_every_profile_with_what_it_reads():
    result = invoke("sites")
    assert result.exit_code == 0
    for name in ("yahoo_auctions", "paypay_fleamarket", "buyee", "mercari", "ebay", "schema_org"):
        assert re.search(rf"^{name}\s", result.output, re.M), name
    assert "needs a browser" in result.output and "plain HTTP" in result.output


def test_an_ad_hoc_run_needs_a_site_and_something_to_audit(tmp_path):
    p = write_config(tmp_path)
    for args, message in [(["--query", "AI美女"], "--query and --url need --site NAME"),
                          (["--site", "yahoo_auctions"], "say what to audit on yahoo_auctions"),
                          (["--site", "nope", "--query", "x"], "unknown site profile 'nope'"),
                          (["--site", "demo_auction", "--query", "x"], "give --base-url with --query")]:
        result = invoke("--config", str(p), "run", *args)
        assert result.exit_code == 2 and message in result.output, (args, result.output)


@pytest.mark.e2e
def test_an_ad_hoc_query_on_one_site_audits_only_what_it_finds(tmp_path):
    p = write_config(tmp_path)
    result = invoke("--config", str(p), "run", "--site", "demo_auction", "--base-url", "demo:", "--query", "AI美女")
    assert result.exit_code == 0, result.output
    from auditor.store import Store
    with Store(tmp_path / "a.db") as store:
        rows = list(store.db["listings"].rows)
        assert rows and all("AI美女" in r["title"] and r["target"] == "adhoc-demo-auction" for r in rows)


def test_doctor_checks_everything_a_run_needs_and_names_what_is_wrong(tmp_path):
    p = write_config(tmp_path, "targets:\n  - {name: demo-auction, site: demo_auction, start_urls: ['demo:/auction/search']}\n")
    flagged_only = invoke("--config", str(p), "doctor", "--no-browser")
    assert flagged_only.exit_code == 1 and re.search(r"^problem pictures: 1 rules look pictures up in a bank "
                                                     r"\(images\.relisted_confirmed\)", flagged_only.output, re.M)
    p.write_text(p.read_text().replace("start_urls: ['demo:/auction/search']}", "start_urls: ['demo:/auction/search'], images: all}"))
    result = invoke("--config", str(p), "doctor", "--no-browser")
    assert result.exit_code == 0, result.output
    for name in ("config", "rules", "database", "schedule", "reports", "evidence", "target demo-auction"):
        assert re.search(rf"^ok\s+{name}:", result.output, re.M), name
    assert re.search(r"next run \d{4}-\d\d-\d\d \d\d:\d\d\+09:00$", result.output, re.M)  # as every time reads
    bad_rules = tmp_path / "rules"
    bad_rules.mkdir()
    (bad_rules / "x.yaml").write_text("rules:\n  - id: x.a\n    severity: dreadful\n", encoding="utf-8")
    p.write_text(p.read_text().replace(f"rules_dir: {RULES}", f"rules_dir: {bad_rules}"))
    result = invoke("--config", str(p), "doctor", "--no-browser")
    assert result.exit_code == 1
    assert re.search(r"^problem rules: .*x\.yaml:\d+", result.output, re.M) and "fix: " in result.output


@pytest.mark.e2e
def test_a_run_where_one_target_read_nothing_exits_non_zero_and_says_which(tmp_path):
    p = write_config(tmp_path, "evidence: {enabled: false}\ncrawl: {retries: 0, page_timeout_seconds: 3, allow_addresses: ['127.0.0.1']}\ntargets:\n"
                               "  - {name: demo-auction, site: demo_auction, start_urls: ['demo:/auction/search'],"
                               " requests_per_second: 500}\n"
                               "  - {name: gone-site, site: demo_auction, start_urls: ['http://127.0.0.1:9/auction/search']}\n")
    result = invoke("--config", str(p), "run")
    assert result.exit_code == 1
    assert "every page failed for: gone-site" in result.output


@pytest.mark.e2e
def test_parse_fetches_a_url_the_way_its_profile_needs(demo_server, small_catalog):
    import json

    auction, flea = small_catalog.section("auction")[0], small_catalog.section("flea")[0]
    for site, path, item in [("demo_auction", f"/auction/item/{auction.item_id}", auction),
                             ("demo_fleamarket", f"/flea/item/{flea.item_id}", flea)]:
        result = invoke("parse", "--site", site, "--allow-address", "127.0.0.1", demo_server.url + path)
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["listing"]["title"] == item.title
    assert (f"/flea/item/{flea.item_id}", "browser") in demo_server.clients  # rendered by Chromium
    assert (f"/auction/item/{auction.item_id}", "http") in demo_server.clients  # plain HTTP was enough


def test_users_and_decisions_round_trip_through_the_cli(tmp_path):
    import json

    from auditor.store import Store

    p = write_config(tmp_path)
    runner = CliRunner()
    added = runner.invoke(cli, ["--config", str(p), "users", "add", "ana", "--role", "lead", "--password-stdin"],
                          input="a long enough secret\n")
    assert added.exit_code == 0 and "added ana (lead)" in added.output
    short = runner.invoke(cli, ["--config", str(p), "users", "add", "ben", "--password-stdin"], input="short\n")
    assert short.exit_code == 2 and "at least 10 characters" in short.output
    listed = invoke("--config", str(p), "users", "list")
    assert re.search(r"^ana\s+lead\s*$", listed.output, re.M)
    easy = runner.invoke(cli, ["--config", str(p), "users", "add", "cy", "--password-stdin"], input="password1234\n")
    assert easy.exit_code == 2 and "too easy to guess" in easy.output
    assert invoke("--config", str(p), "users", "unlock", "ana").output.strip() == "unlocked ana"
    with Store(tmp_path / "a.db") as store:  # a flagged listing, as a run leaves it
        store.db["listings"].insert({"site": "demo_auction", "item_id": "x1", "title": "AI美女", "url": "http://h/x1"})
        store.db["picture"].insert({"site": "demo_auction", "item_id": "x1", "target": "t", "state": "new",
                                    "status": "active", "rules": '{"ai_poster.label": "high"}', "version_id": None})
    sheet = tmp_path / "decisions.csv"
    sheet.write_text("site,item_id,verdict,note,ticket\ndemo_auction,x1,takedown_requested,=HYPERLINK(1),T-42\n",
                     encoding="utf-8")
    imported = invoke("--config", str(p), "decisions", "import", str(sheet), "--as", "ana")
    assert imported.exit_code == 0 and "imported 1 decisions" in imported.output
    exported = invoke("--config", str(p), "decisions", "export", "--format", "json")
    [row] = json.loads(exported.output)
    assert (row["verdict"], row["ticket"], row["user_name"], row["source"]) == ("takedown_requested", "T-42", "ana", "import")
    as_csv = invoke("--config", str(p), "decisions", "export")
    assert as_csv.output.startswith("\ufeffid,site,item_id") and "'=HYPERLINK(1)" in as_csv.output
    assert "+09:00" in as_csv.output.splitlines()[1] and row["decided_at"].endswith("+00:00")  # people read JST
    assert invoke("--config", str(p), "users", "disable", "ana").exit_code == 0
    assert " disabled" in invoke("--config", str(p), "users", "list").output


def test_doctor_prints_bracketed_text_as_text_and_makes_its_folders_private(tmp_path):
    import stat

    p = write_config(tmp_path)
    bad_rules = tmp_path / "rules"
    bad_rules.mkdir()
    (bad_rules / "x.yaml").write_text("rules: [1, 2\n", encoding="utf-8")  # a flow sequence never closed
    p.write_text(p.read_text().replace(f"rules_dir: {RULES}", f"rules_dir: {bad_rules}"))
    result = invoke("--config", str(p), "doctor", "--no-browser")
    assert result.exit_code == 1
    line = next(x for x in result.output.splitlines() if x.startswith("problem rules:"))
    assert "[expected ',' or ']'" in line, line  # the parser's words in brackets, not eaten as terminal markup
    for folder in (tmp_path / "reports", tmp_path / "reports" / "evidence"):
        if folder.is_dir():
            assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder


def test_doctor_reads_the_cron_exactly_as_the_scheduler_does(tmp_path):
    p = write_config(tmp_path, "schedule: {cron: '61 * * * *'}\n")
    result = invoke("--config", str(p), "doctor", "--no-browser")
    assert result.exit_code == 1
    assert re.search(r"^problem schedule: schedule.cron '61 \* \* \* \*': .*59", result.output, re.M), result.output


def test_health_says_fresh_failed_old_or_missing_in_its_exit_status(tmp_path):
    from datetime import datetime, timedelta, timezone

    from auditor.models import RunSummary
    from auditor.store import Store

    p = write_config(tmp_path, "schedule: {cron: '0 6 1 1 *', timezone: Asia/Tokyo}\n")  # once a year: no fire
    missing = invoke("--config", str(p), "health")                                      # falls due in the test
    assert missing.exit_code == 5 and "no scheduled run has finished yet" in missing.output

    def scheduled(at: datetime, status: str, error: str | None = None, kind: str = "scheduled") -> None:
        with Store(tmp_path / "a.db") as store:
            run = store.start_run(at, ["t"], [], kind=kind)
            store.finish_run(RunSummary(run, status, at, at + timedelta(minutes=5), ["t"]), error=error)

    now = datetime.now(timezone.utc)
    scheduled(now - timedelta(hours=4), "failed", "rules/broken.yaml:7:1: YAML syntax")
    failed = invoke("--config", str(p), "health")
    assert failed.exit_code == 1 and "is failed: rules/broken.yaml:7:1" in failed.output
    scheduled(now - timedelta(hours=3), "completed", kind="manual")  # the rule fixed, the day run again by hand
    mended = invoke("--config", str(p), "health")
    assert mended.exit_code == 0 and "was failed, and run #2 (manual, " in mended.output, mended.output
    assert re.search(r"\+09:00\) read all its targets since", mended.output)  # the zone's offset as everywhere
    scheduled(now - timedelta(hours=2), "completed")
    fresh = invoke("--config", str(p), "health", "--json")
    assert fresh.exit_code == 0 and '"healthy": true' in fresh.output
    with Store(tmp_path / "a.db") as store:  # as if the scheduler had stopped two years ago
        store.db.execute("update runs set started_at = ?", [(now - timedelta(days=800)).isoformat()])
    old = invoke("--config", str(p), "health")
    assert old.exit_code == 4 and "no scheduled run since run #3" in old.output and "+09:00" in old.output
    doctor = invoke("--config", str(p), "doctor", "--no-browser", "--json")  # doctor says the same, as a check
    checks = {c["name"]: c for c in json.loads(doctor.output)["checks"]}
    assert doctor.exit_code == 1 and not checks["last run"]["ok"] and "since run #3" in checks["last run"]["detail"]


def test_the_systemd_units_verify(tmp_path):
    import shutil
    import subprocess

    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed here (Debian's systemd package has it)")
    root = Path(__file__).resolve().parent.parent
    venv_auditor = Path(shutil.which("auditor") or root / ".venv" / "bin" / "auditor")
    for unit in sorted((root / "deploy").glob("*.service")):
        text = unit.read_text().replace("/opt/auditor/.venv/bin/auditor", str(venv_auditor)) \
            .replace("/opt/auditor", str(tmp_path)).replace("=auditor", "=root")
        (tmp_path / unit.name).write_text(text)
    result = subprocess.run(["systemd-analyze", "verify", *map(str, sorted(tmp_path.glob("*.service")))],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert len(list(tmp_path.glob("*.service"))) == 2


def test_a_worker_on_a_sqlite_database_says_it_needs_postgresql(tmp_path):
    result = invoke("--config", str(write_config(tmp_path)), "worker")
    assert result.exit_code == 2
    assert "`auditor worker` needs a PostgreSQL database (database: postgresql://" in result.output
