"""What the terminal says, in Japanese too: every line a command prints, every error auditor raises, every log line
of a run, through the one message table (`auditor.i18n.terminal`: gettext's way, the English template is the key).

The source is read for its call sites, so a message added later without its Japanese fails here; the commands are
then run as staff run them, in fresh processes, with `--lang ja`, `AUDITOR_LANG=ja` or a Japanese locale.
"""

from __future__ import annotations

import ast
import os
import re
import string
import subprocess
import sys
from pathlib import Path

import pytest

from auditor.i18n import MESSAGES
from auditor.i18n.terminal import JA

from conftest import RULES, untranslated

SOURCE = Path(__file__).resolve().parent.parent / "auditor"
_PRINTS = {"echo", "print", "secho"}
_LOGS = {"info", "warning", "error", "critical", "exception"}
# Errors a person reads as they are raised. A page's failure (CrawlError and its kinds, an address refused, a picture
# unread) is stored as a record and stays English there, like the log file: the report says it in its reader's words.
_SAID = {"AuditorError", "SourceError", "ConfigError", "RuleError", "NotWritable", "DiskFull", "StoreError",
         "BrowserError", "RunLocked", "BankError", "LoginError", "NothingToFollow", "ConditionSyntaxError",
         "ClickException", "BadParameter", "UsageError", "Problem"}
_VALIDATORS = ("config.py", "channels.py", "model.py")  # their ValueErrors are what pydantic tells the user
_NAMES_FIRST = {"Problem": 1, "NotWritable": 3}  # arguments before the message: a location; a folder, a role, a key


def modules():
    for path in sorted(SOURCE.rglob("*.py")):
        if "i18n" not in path.parts and "demo" not in path.parts:
            yield path, ast.parse(path.read_text(encoding="utf-8"), str(path))


def literal(node) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def literals(node) -> list[str]:
    """The templates an argument can be: a literal, or either side of `"a" if x else "b"`."""
    if isinstance(node, ast.IfExp):
        return literals(node.body) + literals(node.orelse)
    return [t] if (t := literal(node)) is not None else []


def said_in_english(node) -> bool:
    """Whether an argument is words written here rather than passed through: a literal, or an f-string, with letters
    outside its placeholders (a bare `{x}` or "\\n".join(...) is not)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(re.search(r"[A-Za-z]{2,}", re.sub(r"\[/?[a-z ]*\]", "", node.value)))  # Rich's [bold red] is no word
    if isinstance(node, ast.JoinedStr):
        return any(said_in_english(v) for v in node.values if isinstance(v, ast.Constant))
    if isinstance(node, ast.BinOp):
        return said_in_english(node.left) or said_in_english(node.right)
    return False


def calls(name_test):
    for path, tree in modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and name_test(node.func):
                yield path, node


def name(func) -> str:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def fields(template: str, style: str) -> list[str]:
    if style == "format":
        return sorted(f for _, f, _, _ in string.Formatter().parse(template) if f is not None)
    return re.findall(r"%[-#0 +]*\d*(?:\.\d+)?[sdrif]", template)


def test_every_template_the_source_says_has_its_japanese_with_the_same_placeholders():
    templates = {t: (p, n.lineno, "format") for p, n in calls(lambda f: name(f) == "tr") if n.args
                 for t in literals(n.args[0])}
    templates |= {t: (p, n.lineno, "format") for p, n in calls(lambda f: name(f) == "Health") if len(n.args) > 1
                  for t in literals(n.args[1])}  # a health message is kept as its template, said in each reader's language
    templates |= {t: (p, n.lineno, "percent") for p, n in calls(lambda f: isinstance(f, ast.Attribute)
                  and f.attr in _LOGS and name(f.value) in ("log", "logger", "_log")) if n.args
                  for t in literals(n.args[0])}
    assert len(templates) > 150
    missing = [f"{p.relative_to(SOURCE.parent)}:{line}: {t!r}" for t, (p, line, _) in templates.items() if t not in JA]
    assert missing == [], "\n".join(missing)
    unlike = [t for t, (_, _, style) in templates.items() if fields(t, style) != fields(JA[t], style)]
    assert unlike == []
    assert set(MESSAGES["ja"]) == set(MESSAGES["en"]) and all(MESSAGES["en"][t] == t for t in JA)


def test_no_command_prints_and_no_error_says_words_outside_the_table():
    """A line written in English at its call site would never be Japanese: everything a person reads goes
    through tr() (scraped text, paths, numbers and JSON are passed through as values)."""
    printed = [f"{p.relative_to(SOURCE.parent)}:{n.lineno}" for p, n in calls(lambda f: name(f) in _PRINTS)
               if "cli" in p.parts and any(said_in_english(a) for a in n.args)]
    raised = [f"{p.relative_to(SOURCE.parent)}:{n.lineno}" for p, n in calls(lambda f: name(f) in _SAID or name(f) ==
              "ValueError") if (name(n.func) != "ValueError" or p.name in _VALIDATORS)
              and any(said_in_english(a) for a in n.args[_NAMES_FIRST.get(name(n.func), 0):])]
    assert printed == [] and raised == [], (printed, raised)


def auditor(*args: str, config=None, lang: str | None = "ja", env: dict | None = None) -> subprocess.CompletedProcess:
    """`python -m auditor ...` in a fresh process, as staff start it, with AUDITOR_LANG=lang (None: unset)."""
    environ = {k: v for k, v in os.environ.items() if k not in ("AUDITOR_LANG", "LANG", "LC_ALL", "LC_MESSAGES")}
    environ |= {"LANG": "C.UTF-8", "COLUMNS": "200"} | ({"AUDITOR_LANG": lang} if lang else {}) | (env or {})
    head = [sys.executable, "-m", "auditor"] + (["--config", str(config)] if config else [])
    return subprocess.run([*head, *args], capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
                          env=environ)


def japanese(text: str) -> bool:
    return bool(re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", text))


def test_the_language_is_asked_by_flag_then_AUDITOR_LANG_then_the_locale(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(f"database: {tmp_path}/a.db\nreports_dir: {tmp_path}/reports\nrules_dir: {RULES}\n", encoding="utf-8")
    english, said_ja = "no runs yet: run `auditor run` first", "まだ実行がありません。まず `auditor run` を実行してください"
    assert auditor("runs", config=config, lang=None).stdout.strip() == english  # C.UTF-8: English
    assert auditor("runs", config=config, lang=None, env={"LANG": "ja_JP.UTF-8"}).stdout.strip() == said_ja
    assert auditor("runs", config=config, lang="en", env={"LANG": "ja_JP.UTF-8"}).stdout.strip() == english
    assert auditor("runs", config=config, lang="ja").stdout.strip() == said_ja
    assert auditor("--lang", "en", "runs", config=config, lang="ja").stdout.strip() == english
    assert auditor("--lang", "ja", "runs", config=config, lang="en").stdout.strip() == said_ja


@pytest.fixture(scope="module")
def team(tmp_path_factory):
    """A team's config, its database after one run in Japanese over the demo marketplace."""
    tmp = tmp_path_factory.mktemp("team")
    config = tmp / "config.yaml"
    config.write_text(f"database: {tmp}/a.db\nreports_dir: {tmp}/reports\nrules_dir: {RULES}\nevidence: {{dir: {tmp}/ev}}\n"
                      "demo: {listings: 40}\ntargets:\n"
                      "  - {name: demo-auction, site: demo_auction, start_urls: ['demo:/auction/search']}\n",
                      encoding="utf-8")
    first = auditor("-v", "run", config=config)
    return config, first


def test_a_run_in_japanese_says_its_progress_summary_and_log_in_japanese(team):
    config, done = team
    said = done.stdout + done.stderr
    assert done.returncode == 0 and "Traceback" not in said, said[-2000:]
    assert "実行 #1（手動）: 完了" in said and "現在の検出" in said and "レポート: " in said
    assert re.search(r"実行 1（手動）: 対象 1、ルール \d+、追跡中の出品 0", said), said[-2000:]  # a log line, INFO
    assert untranslated(said) == []


@pytest.mark.parametrize("command, codes", [
    (("runs",), {0}), (("sites",), {0}), (("users", "list"), {0}), (("banks", "list"), {0}),
    (("evidence", "verify"), {0}), (("evidence", "prune", "--dry-run", "--older-than", "30"), {0}),
    (("rules", "validate"), {0}), (("rules", "test"), {0}), (("rules", "explain", "--title", "AI美女 ポスター", "--all"), {0}),
    (("rules", "backtest"), {0}), (("notices", "list"), {0}), (("notices", "show", "9"), {2}), (("health",), {5}),
    (("doctor", "--no-browser"), {0, 1}), (("report",), {0}), (("run", "--target", "nope"), {2}),
    (("parse", "/nonexistent/page.html", "--site", "mercari"), {2}), (("report", "--run", "99"), {2}),
    (("evidence", "prune"), {2}), (("users", "disable", "nobody"), {2}),
], ids=lambda v: " ".join(v) if isinstance(v, tuple) else "")
def test_in_japanese_every_command_says_what_it_says_in_japanese(team, command, codes):
    config, _ = team
    done = auditor(*command, config=config)
    said = done.stdout + done.stderr
    assert done.returncode in codes and "Traceback" not in said, (done.returncode, said[-1500:])
    assert japanese(said) and untranslated(said) == [], said[-1500:]
    if done.returncode == 2:
        assert done.stderr.startswith("エラー: "), done.stderr


def test_in_japanese_a_broken_config_or_rule_file_names_its_line_in_japanese(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("crawl:\n  retrys: 3\n  page_timeout_seconds: soon\n", encoding="utf-8")
    done = auditor("run", config=config)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"エラー: {config}:2:3: crawl.retrys: 不明なキー（'retries' のことですか？）" in done.stderr, done.stderr
    assert f"{config}:3:25: crawl.page_timeout_seconds: 数値にしてください" in done.stderr, done.stderr
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "broken.yaml").write_text("rules:\n  - id: x\n    title: t\n    severity: high\n    selections:\n"
                                       "      a: {fields: [title], keywords: [AI]}\n    condition: a and b\n",
                                       encoding="utf-8")
    done = auditor("rules", "validate", str(rules))
    assert done.returncode == 1 and "Traceback" not in done.stdout + done.stderr
    assert "broken.yaml:7" in done.stdout and "条件が選択条件 'b' を指していますが、ルールに定義がありません" in done.stdout, done.stdout
