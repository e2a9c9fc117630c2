from pathlib import Path

import pytest

from auditor.config import Config, load_config
from auditor.errors import ConfigError
from auditor.sites import PROFILES

ROOT = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "config.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(path, known_sites=set(PROFILES))
    return [str(p) for p in info.value.problems]


def test_shipped_config_loads_and_targets_the_demo():
    config = load_config(ROOT / "config.yaml", known_sites=set(PROFILES))
    assert [t.site for t in config.enabled_targets()] == ["demo_auction", "demo_fleamarket"]
    assert config.database == ROOT / "data" / "auditor.db"  # relative to the config file
    assert config.schedule.timezone == "Asia/Tokyo"


def test_unknown_key_names_file_line_and_column(tmp_path):
    p = write(tmp_path, "crawl:\n  retries: 2\n  retrys: 3\n")
    assert problems(p) == [f"{p}:3:3: crawl.retrys: unknown key (did you mean 'retries'?)"]


def test_wrong_type_in_a_target_names_its_index(tmp_path):
    p = write(tmp_path, "targets:\n  - name: a\n    site: demo_auction\n    start_urls: [demo:/x]\n"
                        "  - name: b\n    site: demo_auction\n    enabled: maybe\n    start_urls: [demo:/x]\n")
    assert problems(p) == [f"{p}:7:14: targets[1].enabled: Input should be a valid boolean, unable to interpret input"]


def test_missing_required_key_points_at_its_parent(tmp_path):
    p = write(tmp_path, "targets:\n  - site: demo_auction\n")
    assert problems(p) == [f"{p}:2:5: targets[0].name: required key is missing"]


def test_unknown_site_profile_and_time_zone(tmp_path):
    p = write(tmp_path, "schedule:\n  timezone: Mars/Olympus\n")
    assert problems(p) == [f"{p}:2:13: schedule.timezone: unknown time zone 'Mars/Olympus'"]
    p = write(tmp_path, "targets:\n  - name: x\n    site: ebay_moon\n    start_urls: [demo:/]\n")
    assert problems(p) == [f"{p}:3:11: targets[0].site: unknown site profile 'ebay_moon' "
                           "(known: booth, buyee, demo_auction, demo_fleamarket, dlsite, ebay, fanbox, fanza, mercari, "
                           "paypay_fleamarket, rakuma, schema_org, surugaya, yahoo_auctions)"]


def test_yaml_syntax_error_and_duplicate_key(tmp_path):
    p = write(tmp_path, "crawl:\n  retries: [1, 2\n")
    [msg] = problems(p)
    assert msg.startswith(f"{p}:3:1: YAML syntax:")
    p = write(tmp_path, "database: a.db\ndatabase: b.db\n")
    assert problems(p) == [f"{p}:2:1: database: duplicate key"]


def test_missing_file(tmp_path):
    assert problems(tmp_path / "nope.yaml") == [f"{tmp_path / 'nope.yaml'}: file not found"]


def test_environment_overrides_the_browser(tmp_path, monkeypatch):
    monkeypatch.setenv("AUDITOR_BROWSER_EXECUTABLE", "/opt/chrome")
    config = load_config(write(tmp_path, "browser:\n  headless: true\n"))
    assert config.browser.executable == "/opt/chrome"


def test_every_message_is_in_japanese_and_english():
    from auditor.i18n import MESSAGES, text

    assert set(MESSAGES["ja"]) == set(MESSAGES["en"])
    assert all(MESSAGES["ja"][k] and MESSAGES["en"][k] for k in MESSAGES["en"])
    assert text("ja", "state.evaded.short") == "回避" and text("en", "queue.count", n=3) == "3 cases"


def test_a_target_proxy_reads_its_password_from_the_environment_and_only_http_proxies(tmp_path, monkeypatch):
    path = tmp_path / "config.yaml"
    path.write_text("targets:\n  - name: yahoo\n    site: yahoo_auctions\n    start_urls: [https://auctions.yahoo.co.jp/]\n"
                    "    proxy: http://team:${JP_PROXY_PASSWORD}@proxy.example.jp:3128\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"target yahoo proxy needs \$\{JP_PROXY_PASSWORD\}"):
        load_config(path, known_sites=set(PROFILES))
    monkeypatch.setenv("JP_PROXY_PASSWORD", "s3cret")
    assert load_config(path, known_sites=set(PROFILES)).targets[0].proxy == "http://team:s3cret@proxy.example.jp:3128"
    path.write_text(path.read_text().replace("http://team:${JP_PROXY_PASSWORD}@", "socks5://"), encoding="utf-8")
    with pytest.raises(ConfigError, match="is not an http://host:port proxy") as e:
        load_config(path, known_sites=set(PROFILES))
    assert "s3cret" not in str(e.value)


def test_a_postgresql_database_keeps_its_url_and_its_password_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("AUDITOR_DB_PASSWORD", "s3cret")
    p = write(tmp_path, "database: postgresql://auditor:${AUDITOR_DB_PASSWORD}@db.internal:5432/auditor\n"
                        "workers: {enabled: true}\n")
    config = load_config(p)
    assert config.database == "postgresql://auditor:s3cret@db.internal:5432/auditor"  # not a path, not resolved
    assert config.postgres and config.workers.enabled
    assert config.data_folder == tmp_path / "data" and config.sessions_dir == tmp_path / "data" / "sessions"


def test_workers_need_postgresql_and_a_browser_endpoint_is_a_ws_address(tmp_path):
    p = write(tmp_path, "workers:\n  enabled: true\n")
    [problem] = problems(p)
    assert "workers.enabled needs a PostgreSQL database" in problem
    p = write(tmp_path, "browser:\n  endpoint: http://browsers:3000/\n")
    assert problems(p) == [f"{p}:2:13: browser.endpoint: 'http://browsers:3000/' is not a ws:// or wss:// "
                           "address of a Playwright browser server"]
    p = write(tmp_path, "database: mysql://x/y\n")
    assert "a database is a SQLite file or a postgresql:// URL" in problems(p)[0]


VENUES = """targets:
  - name: dl
    site: dlsite
    start_urls: ["https://www.dlsite.com/maniax/fsr/=/keyword/AI"]
  - name: dl-adult
    site: dlsite
    start_urls: ["https://www.dlsite.com/maniax/fsr/=/keyword/AI"]
    headers: {Cookie: "locale=ja; adultchecked=1"}
  - name: box
    site: fanbox
    queries: [a-creator]
"""


def test_a_venue_says_at_load_what_its_target_needs_in_a_fresh_process(tmp_path):
    import subprocess
    import sys

    p = write(tmp_path, VENUES)
    auditor = [sys.executable, "-m", "auditor", "--config", str(p)]
    done = subprocess.run([*auditor, "runs"], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if ": warning: " in line]
    assert warnings == [f"{p}:2:11: warning: target dl: dlsite puts adult works behind an age gate: they are recorded "
                        "unchecked (age gate); for an adult reviewer's audit set headers: {Cookie: adultchecked=1}"]
    api = write(tmp_path, VENUES + '  - name: mapi\n    site: mercari\n    start_urls: ["https://api.mercari.jp/v2/entities:search"]\n')
    refused = subprocess.run([*auditor[:-1], str(api), "runs"], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert refused.returncode == 2
    assert f"{api}:14:17: target mapi: https://api.mercari.jp/v2/entities:search: api.mercari.jp answers only " \
           "requests signed by Mercari's own web app" in refused.stderr + refused.stdout


def test_a_venues_own_headers_go_with_every_request_beneath_the_targets():
    from auditor.crawl.routes import Routes
    from auditor.sites import default_headers

    config = Config.model_validate(
        {"targets": [{"name": "box", "site": "fanbox", "queries": ["x"], "base_url": "https://api.fanbox.cc"},
                     {"name": "box2", "site": "fanbox", "base_url": "https://api2.fanbox.cc",
                      "headers": {"Origin": "https://elsewhere.example"}}]})
    routes = Routes.of(config.targets, headers=default_headers)
    assert dict(routes.for_target("box").headers) == {"Origin": "https://www.fanbox.cc"}
    assert dict(routes.for_target("box2").headers) == {"Origin": "https://elsewhere.example"}  # the target's own win
