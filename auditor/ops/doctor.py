"""`auditor doctor`: check everything a run needs, and say what is wrong and how to fix it."""

from __future__ import annotations

import asyncio
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx

from auditor.config import Config
from auditor.errors import AuditorError
from auditor.i18n import tr
from auditor.times import local_time


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def _rules(config: Config) -> Check:
    from auditor.rules import load_rules

    try:
        ruleset = load_rules(config.rules_dir)
    except AuditorError as e:
        return Check("rules", False, str(e).splitlines()[0], tr("fix the file and line named; `auditor rules validate`"))
    return Check("rules", True, tr("{n} rules in {files} files ({folder})", n=len(ruleset), files=len(ruleset.files),
                                   folder=config.rules_dir))


def _pictures(config: Config) -> Check | None:
    """A rule that looks pictures up in a bank catches a confirmed picture re-listed under an innocent title only
    where its target fetches every listing's pictures (images: all)."""
    from auditor.rules import load_rules

    try:
        banked = [r.rule.id for r in load_rules(config.rules_dir).listing_rules
                  if r.rule.status != "experimental" and any(s.image_bank for s in r.rule.selections.values())]
    except AuditorError:
        return None  # the rules check says what is wrong
    targets = config.enabled_targets()
    if not banked or not targets or any(t.images == "all" for t in targets):
        return None
    return Check("pictures", False, tr("{n} rules look pictures up in a bank ({value}), but no enabled target fetches "
                                       "every listing's pictures: a confirmed picture re-listed under an innocent "
                                       "title is never seen",
                                       n=len(banked), value=", ".join(banked[:3])),
                 tr("set images: all on the targets where re-listings matter (its cost is in the README)"))


def _database(config: Config) -> Check:
    from auditor.store import Store

    try:
        with Store(config.database) as store:
            result = store.integrity()
            runs = store.count("runs")
            shown = store.shown
    except AuditorError as e:
        return Check("database", False, str(e), tr("check the path or URL and its permissions (database: in config.yaml)"))
    if result != "ok":
        return Check("database", False, f"{shown}: {result}", tr("restore a backup; the file is damaged"))
    return Check("database", True, tr("{shown}: ok, {runs} runs", shown=shown, runs=runs))


def _writable(name: str, folder: Path) -> Check:
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)  # auditor's folders are its user's alone
        with tempfile.NamedTemporaryFile(dir=folder):
            pass
    except OSError as e:
        return Check(name, False, f"{folder}: {e.strerror}", tr("make {folder} writable by this user, or point the config "
                                                                "elsewhere", folder=folder))
    return Check(name, True, tr("{folder}: writable", folder=folder))


def _browser(config: Config) -> Check:
    from auditor.crawl.browser import BrowserFetcher
    from auditor.crawl.install import has_cjk_fonts

    async def launch() -> None:
        async with BrowserFetcher(executable=config.browser.executable, concurrency=1):
            pass

    try:
        asyncio.run(launch())
    except AuditorError as e:
        return Check("browser", False, str(e), tr("`auditor browser install`"))
    fonts = "" if has_cjk_fonts() else tr("; no Japanese fonts (screenshots show boxes: `auditor browser install`)")
    return Check("browser", True, tr("headless Chromium starts") + fonts)


def _targets(config: Config) -> list[Check]:
    from auditor.sites import get_profile

    out = []
    for t in config.enabled_targets():
        urls = t.start_urls or ([t.base_url] if t.base_url else [])
        if any(u.startswith("demo:") for u in urls):
            out.append(Check(f"target {t.name}", True, tr("the bundled demo marketplace (started by each run)")))
            continue
        try:
            get_profile(t.site)
            url = urls[0].split("?")[0].rstrip("/")
            origin = "/".join(url.split("/")[:3])
            r = httpx.get(origin + "/robots.txt", timeout=10, follow_redirects=True,
                          headers={"User-Agent": config.crawl.user_agent})
            ok = r.status_code < 500
            out.append(Check(f"target {t.name}", ok, tr("{origin}: robots.txt answered HTTP {status_code}",
                                                        origin=origin, status_code=r.status_code),
                             "" if ok else "the site is failing; try later"))
        except (httpx.HTTPError, AuditorError, IndexError) as e:
            out.append(Check(f"target {t.name}", False, tr("cannot reach it: {kind}: {e}", kind=type(e).__name__, e=e),
                             tr("check the network, a proxy, or the target's URLs")))
    return out


def _schedule(config: Config) -> Check:
    """The cron exactly as `auditor schedule` reads it, and when it fires next."""
    from datetime import datetime

    from auditor.ops.schedule import next_fire

    try:
        nxt = next_fire(config.schedule, datetime.now(config.schedule.zone))
    except AuditorError as e:
        return Check("schedule", False, str(e), tr("fix schedule.cron in config.yaml (minute 0-59, hour 0-23, ...)"))
    return Check("schedule", True, tr("'{cron}' ({timezone}); next run {next}", cron=config.schedule.cron,
                                      timezone=config.schedule.timezone,
                                      next=local_time(nxt.isoformat(), config.schedule.zone)))


def _last_run(config: Config) -> Check:
    """The last finished scheduled run, against the schedule (what `auditor health` says, as a check)."""
    from datetime import datetime, timezone

    from auditor.ops.health import MISSING, OK, check_health
    from auditor.run.pipeline import open_store

    if not config.postgres and not Path(config.database).exists():
        return Check("last run", True, tr("no database yet: no scheduled run so far"))
    try:
        with open_store(config) as store:
            health = check_health(config, store, datetime.now(timezone.utc))
    except Exception as e:  # noqa: BLE001 - the database check says what is wrong with it
        return Check("last run", False, tr("not read: {e}", e=e))
    if health.code == MISSING:
        return Check("last run", True, health.message)
    return Check("last run", health.code == OK, health.message,
                 "" if health.code == OK else tr("see `auditor runs`; is `auditor schedule` (or its cron line) running?"))


def diagnose(config: Config, *, browser: bool = True) -> list[Check]:
    checks = [Check("config", True, tr("read and valid")), _rules(config), _database(config), _schedule(config), _last_run(config),
              _writable("reports", config.reports_dir), _writable("evidence", config.evidence_dir)]
    if browser:
        checks.append(_browser(config))
    checks += _targets(config)
    pictures = _pictures(config)
    if pictures is not None:
        checks.append(pictures)
    if not config.enabled_targets():
        checks.append(Check("targets", False, tr("no enabled target"), tr("enable one in config.yaml, or use `auditor demo`")))
    if os.environ.get("AUDITOR_BROWSER_EXECUTABLE"):
        checks.append(Check("environment", True, tr("AUDITOR_BROWSER_EXECUTABLE overrides browser.executable")))
    return checks
