"""Every command as a user starts it: in a fresh process, `python -m auditor ...`, never imported into the test's
own process (an import cycle that only a fresh process meets once made `auditor evidence verify` and `prune`
crash with an ImportError that every in-process test missed).

The commands are found by walking the CLI itself, so a command added later is covered without editing this.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import click
import pytest

from auditor.cli import cli

from conftest import RULES


def every_command(group: click.Group = cli, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = [prefix]
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            out += every_command(command, (*prefix, name))
        else:
            out.append((*prefix, name))
    return out


def fresh(*args: str, config=None) -> subprocess.CompletedProcess:
    head = [sys.executable, "-m", "auditor"] + (["--config", str(config)] if config else [])
    return subprocess.run([*head, *args], capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)


def test_every_command_starts_in_a_fresh_process_and_gives_its_help():
    """Each top-level command and group in a fresh process (test_cli.py gives every sub-command's help in-process;
    a sub-command's own imports run only when it runs: see the test below)."""
    assert len(every_command()) > 40
    commands = [c for c in every_command() if len(c) <= 1]
    with ThreadPoolExecutor(4) as pool:
        done = dict(zip(commands, pool.map(lambda c: fresh(*c, "--help"), commands)))
    broken = {" ".join(c): (d.returncode, d.stderr[-300:]) for c, d in done.items()
              if d.returncode != 0 or "Traceback" in d.stderr or not d.stdout.startswith("Usage: ")}
    assert not broken, broken


@pytest.fixture
def empty_team(tmp_path):
    """A team's config with a fresh database: what a user has on their first morning."""
    config = tmp_path / "config.yaml"
    config.write_text(f"database: {tmp_path}/a.db\nreports_dir: {tmp_path}/reports\nrules_dir: {RULES}\n",
                      encoding="utf-8")
    return config


@pytest.mark.parametrize("command, codes", [
    (("runs",), {0}), (("sites",), {0}), (("users", "list"), {0}), (("decisions", "export"), {0}),
    (("banks", "list"), {0}), (("evidence", "verify"), {0}), (("evidence", "prune", "--dry-run", "--older-than", "30"), {0}),
    (("rules", "validate"), {0}), (("rules", "test"), {0}), (("rules", "schema"), {0}),
    (("notices", "list"), {0}), (("notices", "list", "--due"), {0}), (("notices", "export"), {0}),
    (("notices", "show", "1"), {2}),  # 2: no such notice, said in one line
    (("health",), {5}),  # 5: no scheduled run has finished yet, as a monitoring system reads it
    (("report",), {0, 1, 2}),
], ids=lambda v: " ".join(v) if isinstance(v, tuple) else "")
def test_commands_that_need_no_server_run_on_a_new_database_without_a_traceback(empty_team, command, codes):
    done = fresh(*command, config=empty_team)
    assert done.returncode in codes, (done.returncode, done.stdout[-500:], done.stderr[-500:])
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout


def test_the_database_and_the_log_a_command_creates_are_the_teams_alone_whatever_the_umask(tmp_path):
    import os
    import stat

    config = tmp_path / "config.yaml"
    config.write_text(f"database: {tmp_path}/data/a.db\nlog_file: {tmp_path}/logs/auditor.log\nreports_dir: "
                      f"{tmp_path}/reports\nrules_dir: {RULES}\n", encoding="utf-8")
    old = os.umask(0o022)  # the usual umask: files 0644 and folders 0755 unless auditor says otherwise
    try:
        done = fresh("users", "list", config=config)
    finally:
        os.umask(old)
    assert done.returncode == 0, done.stderr
    mode = lambda p: stat.S_IMODE(p.stat().st_mode)  # noqa: E731
    assert mode(tmp_path / "data") == 0o700 and mode(tmp_path / "data" / "a.db") == 0o600
    assert mode(tmp_path / "logs") == 0o700 and mode(tmp_path / "logs" / "auditor.log") == 0o600
    assert all(mode(p) == 0o600 for p in (tmp_path / "data").glob("a.db-*"))  # the WAL and its index too


def test_scraped_text_with_markup_brackets_reaches_the_terminal_as_text(empty_team):
    """A URL or message holding "[/]" or "[bold]" (Rich's markup) is printed as it is: no MarkupError, no traceback,
    no control character."""
    url = "http://127.0.0.1:9/item/[/]x[bold]y\x1b[31m"
    done = fresh("run", "--site", "demo_auction", "--url", url, config=empty_team)
    assert "Traceback" not in done.stderr and "MarkupError" not in done.stderr, done.stderr[-800:]
    assert "/item/[/]x[bold]y" in done.stderr and "\x1b[31m" not in done.stderr
    missing = fresh("parse", "/tmp/[/]no-such[bold].html", config=empty_team)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr and "[/]no-such[bold]" in missing.stderr


def test_a_follow_up_run_with_nothing_followed_yet_says_so_and_succeeds(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(f"database: {tmp_path}/a.db\nreports_dir: {tmp_path}/reports\nrules_dir: {RULES}\ntargets:\n"
                      "  - {name: demo-auction, site: demo_auction, start_urls: ['demo:/auction/search']}\n",
                      encoding="utf-8")
    done = fresh("run", "--followup", config=config)
    assert done.returncode == 0 and "no listing is followed yet" in done.stdout, (done.stdout, done.stderr[-500:])
    assert "Traceback" not in done.stderr
    clash = fresh("run", "--followup", "--full", config=config)
    assert clash.returncode == 2 and "--followup reads the followed listings" in clash.stderr


@pytest.fixture
def read_only(tmp_path):
    """A read-only file system (a tmpfs mounted ro), as a folder on a full or remounted disk is: root writes through
    folder permissions, not through that."""
    folder = tmp_path / "ro"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(folder)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a read-only tmpfs here: {mounted.stderr.decode().strip()}")
    yield folder
    subprocess.run(["umount", str(folder)], check=True)


@pytest.mark.parametrize("folder, key", [("database", "database"), ("reports", "reports_dir"),
                                         ("evidence", "evidence.dir")])
def test_a_read_only_folder_is_said_in_one_line_before_anything_is_written(tmp_path, read_only, folder, key):
    paths = {"database": tmp_path / "a.db", "reports": tmp_path / "reports", "evidence": tmp_path / "evidence"}
    paths[folder] = read_only / folder if folder != "database" else read_only / "a.db"
    config = tmp_path / "config.yaml"
    config.write_text(f"database: {paths['database']}\nreports_dir: {paths['reports']}\nrules_dir: {RULES}\n"
                      f"evidence: {{dir: {paths['evidence']}}}\ntargets:\n"
                      "  - {name: demo-auction, site: demo_auction, start_urls: ['demo:/auction/search']}\n",
                      encoding="utf-8")
    done = fresh("run", config=config)
    assert done.returncode == 2 and "Traceback" not in done.stderr, (done.returncode, done.stderr[-800:])
    [line] = [x for x in done.stderr.splitlines() if x.startswith("error:")]
    assert f"the {folder} folder {paths[folder].parent if folder == 'database' else paths[folder]}" in line
    assert "Read-only file system" in line and f"`{key}`" in line and "nothing was written" in line
    if folder != "database":  # the run never began: no run recorded, no report, no evidence
        with sqlite3.connect(paths["database"]) as db:
            assert db.execute("select count(*) from runs").fetchone() == (0,)
        assert not paths["reports"].exists() or not any(paths["reports"].rglob("report.html"))
        export = fresh("decisions", "export", "-o", str(read_only / "decisions.csv"), config=config)  # any command
        assert export.returncode == 2 and "Traceback" not in export.stderr, export.stderr[-800:]
        assert f"cannot write {read_only / 'decisions.csv'}: Read-only file system" in export.stderr
    else:
        assert list(read_only.iterdir()) == []
