"""Commands that audit and report: run, demo, schedule, report, runs, doctor, sites, parse, browser."""

from __future__ import annotations

import json
import time
import webbrowser
from datetime import date, datetime
from pathlib import Path

import click

from auditor.cli.base import AuditorError, Config, _config, _when, cli, console, out
from auditor.i18n import problem, spoken, tr, word
from rich.progress import BarColumn, MofNCompleteColumn, Progress as Bar, TextColumn, TimeElapsedColumn
from rich.markup import escape
from rich.table import Table
from rich.text import Text

def _targets_without_pages(summary) -> list[str]:
    """Targets of which not one page was read: whatever the others did, this target was not audited."""
    return [t for t in summary.targets if not summary.target_pages.get(t)]


def _run_with_progress(config: Config, targets=None, *, kind: str = "manual", wait: bool = False, resume: bool = False,
                       hosts=None, store=None, clock=None, full: bool = False) -> "RunSummary":  # noqa: F821
    from auditor.demo.hosting import demo_hosts
    from auditor.ops.audit import start_audit
    from auditor.run.pipeline import AuditOptions, open_store

    with Bar(TextColumn(f"[bold]{tr('auditing')}[/]"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
             TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task("", total=None)

        def show(p) -> None:
            s = p.summary
            bar.update(task, completed=p.done, total=max(p.discovered, p.done),
                       description=tr("{seen} listings · {flagged} flagged · {failed} failed", seen=s.listings_seen,
                                              flagged=s.flagged, failed=s.pages_failed))

        with open_store(config) as store:
            return start_audit(config, store, AuditOptions(targets=targets, kind=kind, on_progress=show, wait=wait,
                                                         resume=resume, hosts=hosts or demo_hosts(config),
                                                         full=full))


def _needs(config: Config) -> str:
    """Cases needing a decision now, counted as the console's queues count them."""
    from auditor.i18n import text
    from auditor.run.pipeline import open_store

    with open_store(config) as store:
        n = store.needs_decision_counts()
    return f"{n['for_sale'] + n['sold_ended']}: " + text(spoken(), "alert.needs_split", sale=n["for_sale"],
                                                          sold=n["sold_ended"])


def _print_summary(s, config: Config) -> None:
    from auditor.logs import visible

    lang = spoken()
    table = Table(title=tr("run #{run} ({kind}): {status}", run=s.run_id, kind=word(lang, "kind", s.kind),
                           status=word(lang, "status", s.status)), show_header=False, title_justify="left")
    seconds = (s.finished_at - s.started_at).total_seconds() if s.finished_at else 0
    states = s.states
    for k, v in ((tr("targets"), ", ".join(s.targets)), (tr("started"), _when(s.started_at, config)),
                 (tr("time"), f"{seconds:.1f} s"), (tr("pages read"), s.pages_ok), (tr("pages failed"), s.pages_failed),
                 (tr("pages spared"), tr("{n} item pages whose search cards showed nothing new", n=s.pages_spared)
                  + (tr(" (`auditor run --full` reads them)") if s.pages_spared else "")),
                 (tr("listings seen"), tr("{n} ({new} new, {changed} changed)", n=s.listings_seen, new=s.listings_new,
                                          changed=s.listings_changed)),
                 (tr("need a decision"), _needs(config) if s.kind != "adhoc" else
                  tr("– (an ad hoc run changes no queue; the console lists its hits under Ad hoc runs)")),
                 (tr("flagged now"), tr("{n} ({new} new, {escalated} escalated, {active} still active)", n=s.flagged_now,
                                        new=states.get("new", 0), escalated=states.get("escalated", 0),
                                        active=states.get("active", 0))),
                 (tr("evaded"), states.get("evaded", 0)), (tr("gone"), states.get("gone", 0)),
                 (tr("unchecked"), states.get("unchecked", 0)),
                 (tr("evidence"), tr("{n} captured", n=s.evidence_captured)
                  + (tr(", {n} FAILED", n=s.evidence_failed) if s.evidence_failed else ""))):
        table.add_row(k, Text(visible(str(v))))  # Text: a scraped URL's "[/]" is text, never markup
    console.print(table, highlight=False)
    for target, why in s.incomplete.items():
        console.print(f"  [bold red]{tr('not read completely')}[/] {escape(visible(target))}: "
                      f"{escape(visible(problem(lang, why)))}", highlight=False)
    for f in s.failures[:10]:
        attempts = tr("{n} attempts", n=f.attempts) if f.attempts != 1 else tr("1 attempt")
        console.print(f"  [yellow]{tr('failed')}[/] {escape(f.kind)}: {escape(visible(f.url))} ({escape(visible(f.error))}, "
                      f"{attempts})", highlight=False, soft_wrap=True)
    if len(s.failures) > 10:
        console.print(tr("  … and {n} more failed pages (see the report)", n=len(s.failures) - 10))


@cli.command()
@click.option("--target", "target_names", multiple=True, help="Audit only this target (repeatable).")
@click.option("--site", default=None, metavar="NAME", help="Ad hoc: audit this site profile (see `auditor sites`).")
@click.option("--query", "queries", multiple=True, help="Ad hoc, with --site: search for this (repeatable).")
@click.option("--url", "urls", multiple=True, help="Ad hoc, with --site: start from this search or item URL (repeatable).")
@click.option("--base-url", default=None, help="Ad hoc, with --query: the site's address (default: the profile's).")
@click.option("--wait", is_flag=True, help="If another run is going, wait for it to finish instead of refusing.")
@click.option("--scheduled", is_flag=True, help="Record it as a scheduled run (for a cron line instead of "
                                                "`auditor schedule`; `auditor health` watches scheduled runs).")
@click.option("--resume", is_flag=True, help="Carry on the latest run, which was interrupted or killed, "
                                             "skipping the item pages it had done.")
@click.option("--full", is_flag=True, help="Read every listing's item page, also those whose search card shows "
                                           "nothing new since the last run (see crawl.refresh_days).")
@click.option("--followup", is_flag=True, help="A follow-up run: only the followed listings' item pages (flagged, "
                                               "confirmed, takedown requested), no search; see schedule.followups.")
@click.pass_context
def run(ctx: click.Context, target_names: tuple[str, ...], site: str | None, queries: tuple[str, ...],
        urls: tuple[str, ...], base_url: str | None, wait: bool, scheduled: bool, resume: bool, full: bool,
        followup: bool) -> None:
    """Run one audit now: crawl the enabled targets (or one ad hoc search), match, store, write the reports.

    A run over the config's targets (all, or --target ones) is a manual run: it moves the daily picture
    on for the targets it read completely. An ad hoc run (--site) gets a report of its own and changes
    no baseline. A daily run reads the item pages of new and followed listings, of those whose search card
    changed, and of the rest once every crawl.refresh_days; --full reads them all. Exit status: 0 completed; 1 partial or failed, or a target had no page read; 2 a
    usage or config error; 3 another run holds the database; 130 interrupted.

    \b
    auditor run                                   the config's enabled targets
    auditor run --target yahoo-auctions           one of them
    auditor run --site yahoo_auctions --query "AI美女 ポスター"
    auditor run --site ebay --url "https://www.ebay.com/sch/i.html?_nkw=ai+poster"
    """
    config = _config(ctx)
    targets, kind = None, "manual"
    if site or queries or urls:
        from auditor.run.plan import adhoc_target

        if target_names:
            raise AuditorError(tr("give either --target or --site with --query / --url, not both"))
        targets, kind = [adhoc_target(site, queries, urls, base_url)], "adhoc"
    elif target_names:
        by_name = {t.name: t for t in config.targets}
        unknown = [n for n in target_names if n not in by_name]
        if unknown:
            raise AuditorError(tr("unknown target {names} (known: {known})", names=", ".join(unknown),
                                  known=", ".join(by_name) or tr("none")))
        targets = [by_name[n] for n in target_names]
    if scheduled:
        if kind == "adhoc":
            raise AuditorError(tr("an ad hoc run (--site) cannot be a scheduled one"))
        kind = "scheduled"
    if followup:
        if kind != "manual" or full:
            raise AuditorError(tr("--followup reads the followed listings of the config's targets: give it alone "
                                  "(or with --target)"))
        kind = "followup"
    if resume and (targets is not None):
        raise AuditorError(tr("--resume carries on the interrupted run with its own targets: give it alone"))
    from auditor.run.pipeline import NothingToFollow

    try:
        summary = _run_with_progress(config, targets, kind=kind, wait=wait, resume=resume, full=full)
    except NothingToFollow as e:
        click.echo(str(e))
        return
    if summary.reports_only:  # the run itself was over: its status is in `auditor runs`; writing them succeeded
        click.echo(tr("run #{run} had finished ({status}) and only its reports were left: written now",
                      run=summary.run_id, status=word(spoken(), "status", summary.status)))
        for label, folder in ((tr("run report: {path}"), summary.report_dir), (tr("report: {path}"), summary.day_report_dir)):
            if folder:
                click.echo(label.replace("{path}", str(Path(folder) / "report.html")))
        return
    _print_summary(summary, config)
    if summary.report_dir:
        click.echo(tr("run report: {path}", path=Path(summary.report_dir) / "report.html"))
    if summary.day_report_dir:
        click.echo(tr("report: {path}", path=Path(summary.day_report_dir) / "report.html"))
    dead = _targets_without_pages(summary)
    if dead:
        console.print(f"[bold red]{tr('every page failed for:')}[/] {escape(', '.join(dead))}", highlight=False)
    if summary.status != "completed" or dead:
        ctx.exit(1)


@cli.group(invoke_without_command=True)
@click.option("--days", type=click.IntRange(1, 60), default=3, show_default=True,
              help="Simulated days to audit, the last one today.")
@click.pass_context
def demo(ctx: click.Context, days: int) -> None:
    """Audit the bundled demo marketplace over simulated days; print each day's scores.

    Each day the marketplace changes: new listings, bids, sales, removals, an escalation and two
    evasions (「生成美人」, 【エーアイ美女】); on day 3 its flea-market section fails. Every day's flagged
    listings and states are scored against the ground truth. The demo keeps its own database and
    reports (demo.database, demo.reports_dir: data/demo/ and reports/demo/), started afresh each time,
    so it never touches the team's data.
    """
    if ctx.invoked_subcommand is not None:
        return
    from auditor.demo.days import run_days
    from auditor.ops.audit import start_audit

    config = _config(ctx, required=False).for_demo()
    last = None
    for result in run_days(config, days, audit=start_audit):
        s = result.summary
        states = ", ".join(f"{n} {k}" for k, n in sorted(s.states.items(), key=lambda kv: -kv[1]))
        click.echo(tr("day {day} ({date}): precision={precision} recall={recall} states={share} ({right} of {total} "
                      "right: {states}) networks precision={net_precision} recall={net_recall}", day=result.day,
                      date=result.date, precision=f"{result.precision:.2f}", recall=f"{result.recall:.2f}",
                      share=f"{result.state_share:.2f}", right=result.states_right, total=result.states_total,
                      states=states or tr("none"), net_precision=f"{result.network_precision:.2f}",
                      net_recall=f"{result.network_recall:.2f}")
                   + (f"; {word(spoken(), 'status', s.status)}: {'; '.join(f'{t}: {w}' for t, w in s.incomplete.items())}"
                      if s.incomplete else ""))
        for key, (got, want) in sorted(result.wrong.items())[:10]:
            click.echo(tr("  {site}/{item}: audit says {got}, truth is {want}", site=key[0], item=key[1], got=got, want=want))
        last = s
    if last is not None and last.day_report_dir:
        click.echo(tr("report: {path}", path=Path(last.day_report_dir) / "report.html"))


@demo.command("serve")
@click.option("--port", type=int, default=8377, show_default=True, help="Port on 127.0.0.1.")
@click.option("--seed", type=int, default=None, help="Catalogue seed (default: the config's demo.seed).")
@click.option("--listings", type=int, default=None, help="Catalogue size (default: the config's demo.listings).")
@click.option("--day", type=click.IntRange(1, 3650), default=1, show_default=True,
              help="Which simulated day to serve (day 3: the flea market fails).")
@click.pass_context
def demo_serve(ctx: click.Context, port: int, seed: int | None, listings: int | None, day: int) -> None:
    """Serve the demo marketplace on 127.0.0.1 until stopped (Ctrl-C)."""
    from auditor.demo import DemoWorld, serve_demo

    config = _config(ctx, required=False)
    world = DemoWorld(seed if seed is not None else config.demo.seed, listings or config.demo.listings)
    catalog = world.catalog(day)
    try:
        with serve_demo(catalog, port, faults=world.faults(day)) as server:
            out.print(tr("demo marketplace, day {day}: {url}/ ({n} listings, {flagged} that a correct audit flags); "
                         "Ctrl-C to stop", day=day, url=server.url, n=len(catalog.listings), flagged=len(catalog.truth())),
                      highlight=False)
            while True:
                time.sleep(3600)
    except OSError as e:
        raise AuditorError(tr("cannot serve on 127.0.0.1:{port}: {why}", port=port, why=e.strerror)) from None


@cli.command()
@click.pass_context
def schedule(ctx: click.Context) -> None:
    """Run the daily audit on the config's cron schedule, in the foreground, until stopped.

    One scheduler per database (a second one refuses to start). SIGTERM (what systemd sends) or
    Ctrl-C interrupts the run in flight, records it as interrupted (`auditor run --resume` carries it
    on) and exits. Each fire waits for an on-demand run that is going, then runs.
    """
    from auditor.ops.schedule import next_fire, run_scheduler

    config = _config(ctx)
    nxt = next_fire(config.schedule, datetime.now(config.schedule.zone))
    out.print(tr("scheduled '{cron}' ({zone}); next run {next}; Ctrl-C or SIGTERM to stop", cron=config.schedule.cron,
                 zone=config.schedule.timezone, next=_when(nxt.isoformat(), config)), highlight=False)
    run_scheduler(ctx.obj["config_path"], config.schedule, config.database, echo=lambda m: console.print(m, highlight=False))


class _Day(click.ParamType):
    name = "DAY"

    def convert(self, value, param, ctx):
        if isinstance(value, date):
            return value
        if value in ("today", "yesterday"):
            return value
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.fail(tr("{value} is not YYYY-MM-DD, today or yesterday", value=repr(value)), param, ctx)


@cli.command()
@click.option("--date", "day", type=_Day(), default=None,
              help="The day to rebuild: YYYY-MM-DD, today or yesterday (default: the day of the latest daily run).")
@click.option("--run", "run_id", type=int, default=None, help="Rebuild this run's own report instead.")
@click.option("--open", "open_it", is_flag=True,
              help="Open the day's report as written (its newest version) in a browser, without rebuilding it; "
                   "a day with no report yet is built first.")
@click.option("--rebuild", is_flag=True, help="With --open: rebuild first, then open.")
@click.pass_context
def report(ctx: click.Context, day, run_id: int | None, open_it: bool, rebuild: bool) -> None:
    """Rebuild a day's (or a run's) report from the database, or (--open) open it as written.

    A report once written never changes: when the database now says something else (decisions,
    a later run), the rebuild is written beside it as DAY.v2, .v3 ...; an identical rebuild writes
    nothing. A past day is rebuilt with what was known by its end: its runs' captures and the
    decisions made before the next day's run began. Days are calendar days in schedule.timezone.
    """
    from datetime import timedelta

    from auditor.evidence.capture import write_day_manifest, write_run_manifests
    from auditor.report import compile_run_report, publish, rebuild_day, write_index, written_day
    from auditor.run.pipeline import open_store

    config = _config(ctx)
    zone = config.schedule.zone
    with open_store(config) as store:
        if run_id is not None:
            if not store.db["runs"].count_where("id = ?", [run_id]):
                raise AuditorError(tr("no run #{run} (see `auditor runs`)", run=run_id))
            runs_dir = config.reports_dir / "runs"
            write_run_manifests(store, config.evidence_dir, run_id, zone, config.evidence.tsa_url)  # one a full disk kept from being written
            folder = publish(compile_run_report(store, run_id, zone, runs_dir / str(run_id), config.evidence_dir,
                                                config.report.language), runs_dir, str(run_id))
            write_index(config.reports_dir, zone, config.report.language)
        else:
            today = datetime.now(zone).date()
            if day == "today":
                day = today
            elif day == "yesterday":
                day = today - timedelta(days=1)
            elif day is None:
                latest = store.latest_daily_run()
                if latest is None:
                    raise AuditorError(tr("the database has no scheduled or manual run yet: run `auditor run` first"))
                day = datetime.fromisoformat(latest["started_at"]).astimezone(zone).date()
            written = written_day(config.reports_dir, day) if open_it and not rebuild else None
            if written is not None:
                click.echo(tr("report: {path} (as written; `auditor report --date {day}` rebuilds it)",
                              path=written / "report.html", day=day))
                webbrowser.open((written / "report.html").resolve().as_uri())
                return
            write_day_manifest(store, config.evidence_dir, day, zone)  # one a full disk kept from being written
            folder = rebuild_day(store, day, config.reports_dir, zone, config.evidence_dir, config.report.language)
            if folder is None:
                raise AuditorError(tr("no scheduled or manual run on {day} ({zone})", day=f"{day:%Y-%m-%d}",
                                      zone=config.schedule.timezone))
    path = folder / "report.html"
    click.echo(tr("report: {path}", path=path))
    if open_it:
        webbrowser.open(path.resolve().as_uri())


@cli.command()
@click.option("--limit", "-n", type=int, default=20, show_default=True, help="How many recent runs to list.")
@click.pass_context
def runs(ctx: click.Context, limit: int) -> None:
    """List recent runs: status, start, duration, pages read / failed, listings flagged now (as the run's summary
    and report count them: new, escalated, still active), hits."""
    from auditor.run.pipeline import open_store

    config = _config(ctx)
    with open_store(config) as store:
        rows = store.runs(limit)
        store_counts = {r["id"]: store.run_counts(r["id"]) for r in rows if r["status"] == "running"}
        now = store.flagged_now_of_runs([r["id"] for r in rows])
    if not rows:
        click.echo(tr("no runs yet: run `auditor run` first"))
        return
    from auditor.logs import visible

    lang = spoken()
    click.echo(f"{_pad(tr('run'), 5, '>')}  {_pad(tr('kind'), 9)} {_pad(tr('status'), 11)} {_pad(tr('started'), 22)} "
               f"{_pad(tr('duration'), 8, '>')} {_pad(tr('pages ok'), 8, '>')} {_pad(tr('failed'), 6, '>')} "
               f"{_pad(tr('listings'), 8, '>')} {_pad(tr('flagged'), 7, '>')} {_pad(tr('hits'), 6, '>')}  {tr('error')}")
    # flagged: flagged now (new, escalated, still active), as the run's own summary and report count it; an ad hoc
    # run, which keeps no states, counts the listings its rules flagged
    for r in rows:
        started = datetime.fromisoformat(r["started_at"])
        live = r["status"] == "running"
        if live:  # its row's counters are written at the end: count what it has stored so far
            r = {**r, **store_counts.get(r["id"], {})}
        duration = (datetime.fromisoformat(r["finished_at"]) - started).total_seconds() if r["finished_at"] else None
        click.echo(f"{r['id']:>5}  {_pad(word(lang, 'kind', r.get('kind') or 'manual'), 9)} "
                   f"{_pad(word(lang, 'status', r['status']), 11)} {_when(r['started_at'], config):<22} "
                   f"{(f'{duration:.0f} s' if duration is not None else '–'):>8} {r['pages_ok']:>8} {r['pages_failed']:>6} "
                   f"{r['listings_seen']:>8} {now.get(r['id'], r['flagged']):>7} {r['hits']:>6}  "
                   f"{visible(problem(lang, r['error'] or '')[:80])}")


def _pad(text: str, width: int, align: str = "<") -> str:
    """Text padded to a width as the terminal shows it (a Japanese character takes two columns)."""
    from rich.cells import cell_len

    room = " " * max(0, width - cell_len(text))
    return room + text if align == ">" else text + room


@cli.group()
def notify() -> None:
    """Alerts to chat and e-mail (Apprise URLs under notify: in the config)."""


@notify.command("test")
@click.pass_context
def notify_test(ctx: click.Context) -> None:
    """Send a test message to each configured URL and say which worked (exit 1 if any failed)."""
    from auditor.ops.notify import test_message
    from auditor.run.pipeline import open_store, utc_now

    config = _config(ctx)
    if not config.notify:
        raise AuditorError(tr("no notify: URLs in the config (see the README: Alerts)"))
    with open_store(config) as store:
        results = test_message(config, store, utc_now())
    for url, ok in results:
        click.echo(f"{_pad(tr('sent') if ok else tr('FAILED'), 6)} {url}")
    if not all(ok for _, ok in results):
        ctx.exit(1)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--notify", "send", is_flag=True,
              help="When no scheduled run finished in time (exit 4 or 5), send the no_run alert (once per outage); "
                   "run it from cron, beside the scheduler it watches.")
@click.pass_context
def health(ctx: click.Context, as_json: bool, send: bool) -> None:
    """For monitoring: is the daily audit healthy? One line, and the exit status says what is wrong.

    \b
    0  the last scheduled run completed, and no fire has been missed since
    1  the last scheduled run failed, was partial or was interrupted
    4  no scheduled run since one was due (the scheduler stopped, or the machine was off)
    5  no scheduled run has finished yet
    """
    from auditor.ops.health import check_health
    from auditor.run.pipeline import open_store, utc_now

    config = _config(ctx)
    with open_store(config) as store:
        result = check_health(config, store, utc_now())
        if send:
            from auditor.ops.notify import notify_health

            notify_health(config, store, result, utc_now())
    click.echo(json.dumps(result.as_json(), ensure_ascii=False) if as_json else result.message)
    ctx.exit(result.code)


@cli.command()
@click.option("--no-browser", is_flag=True, help="Skip starting Chromium (faster).")
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON, for monitoring and scripts.")
@click.pass_context
def doctor(ctx: click.Context, no_browser: bool, as_json: bool) -> None:
    """Check config, rules, database, the last scheduled run against the schedule, browser, report folders and each
    enabled target; say how to fix each problem."""
    from dataclasses import asdict

    from auditor.ops.doctor import diagnose

    from rich.markup import escape

    checks = diagnose(_config(ctx), browser=not no_browser)
    if as_json:
        click.echo(json.dumps({"ok": all(c.ok for c in checks), "checks": [asdict(c) for c in checks]}, ensure_ascii=False))
        ctx.exit(0 if all(c.ok for c in checks) else 1)
    for c in checks:
        mark = f"[green]{_pad(tr('ok'), 7)}[/]" if c.ok else f"[bold red]{_pad(tr('problem'), 7)}[/]"
        name = tr("target {name}", name=c.name[7:]) if c.name.startswith("target ") else tr(c.name)
        out.print(mark, f"{name}: {escape(c.detail)}", highlight=False, soft_wrap=True)  # "[expected ',']" is text
        if not c.ok and c.fix:
            out.print(f"        {tr('fix:')} {escape(c.fix)}", highlight=False, soft_wrap=True)
    if not all(c.ok for c in checks):
        ctx.exit(1)


@cli.command()
def sites() -> None:
    """List the site profiles: what pages each reads, and whether it needs a browser."""
    from auditor.sites import PROFILES

    for p in PROFILES.values():
        how = tr("needs a browser") if p.needs_browser else tr("plain HTTP")
        extra = [how, tr("search by keyword") + (tr(" and category") if p.has_category else "")
                 + (tr(", newest first (queries stop paging when the news runs out)") if p.newest_first else "")] \
            + ([p.base_url] if p.base_url else [])
        click.echo(f"{p.name:<18} {p.title}")
        click.echo(f"{'':<18} " + tr("reads: {kinds}; {how}", kinds=", ".join(p.page_kinds), how="; ".join(extra)))
        if p.labels:
            click.echo(f"{'':<18} " + tr("labels: {labels}", labels=", ".join(p.labels)))


@cli.command()
@click.option("--site", default=None, metavar="NAME",
              help="The site profile to read the page with (see `auditor sites`); default: the venue the page's own "
                   "address names (its URL, canonical link, og:url), else the one whose hosts it names most.")
@click.option("--kind", type=click.Choice(["search", "item"]), default=None,
              help="Read the page as this kind (default: what its content or URL shows).")
@click.option("--allow-address", "allow", multiple=True, metavar="ADDRESS",
              help="Also allow this private address for the fetch (127.0.0.1:8080, 10.0.0.0/8, a host name), "
                   "as crawl.allow_addresses would.")
@click.argument("source", metavar="FILE_OR_URL")
@click.pass_context
def parse(ctx: click.Context, site: str | None, kind: str | None, allow: tuple[str, ...], source: str) -> None:
    """Print what a site profile reads from a page, as JSON.

    A search page gives its listings and next page; an item page gives its listing; a page with
    nothing to read gives its kind and why: removed, blocked (a bot wall), unrendered (a skeleton
    JavaScript had not filled), age_gate. Each of those exits 0; a page the profile cannot place
    exits 1 with a message naming it. A URL is fetched the way the profile needs (plain HTTP, or the
    browser); a file is read as saved (HTML, or a venue's API JSON).
    """
    from auditor.run.plan import load_source
    from auditor.sites import get_profile, guess_profile
    from auditor.sites.saved import load_file, read_json

    if site is None:
        is_url = source.startswith(("http://", "https://"))
        guessed = guess_profile("" if is_url else load_file(source)[0], source if is_url else "")
        if guessed is None:
            raise AuditorError(tr("{source}: it names no venue auditor knows; give --site (see `auditor sites`)",
                                  source=source))
        profile, why = guessed
        click.echo(tr("read with the {profile} profile: {why}", profile=profile.name, why=why), err=True)
    else:
        profile = get_profile(site)
    try:
        html, url = load_source(source, profile, _config(ctx, required=False), allow)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--allow-address") from None
    click.echo(json.dumps(read_json(profile, html, url, kind), ensure_ascii=False, indent=2))


@cli.group()
def evidence() -> None:
    """Check the evidence files still hold, and remove what the retention allows."""


@evidence.command("verify")
@click.argument("day", required=False, metavar="[DAY]")
@click.pass_context
def evidence_verify(ctx: click.Context, day: str | None) -> None:
    """Check every evidence file (of DAY, a YYYY-MM-DD calendar day in schedule.timezone as the daily manifests
    are, or all) against the SHA-256 the database and the daily
    manifests recorded when it was captured, and each manifest's RFC 3161 time-stamp against the authority's
    certificates (evidence.tsa_certs); name each file that does not hold. Exit 1 if any."""
    from auditor.evidence.verify import verify_evidence
    from auditor.run.pipeline import open_store

    config = _config(ctx)
    if day is not None:
        try:
            date.fromisoformat(day)
        except ValueError:
            raise click.BadParameter(tr("{day} is not a day (YYYY-MM-DD)", day=repr(day)), param_hint="DAY") from None
    with open_store(config) as store:
        checked, problems = verify_evidence(store, config.evidence_dir, day, config.evidence.tsa_certs,
                                            stamped=bool(config.evidence.tsa_url), zone=config.schedule.zone)
    for p in problems:
        click.echo(str(p))
    click.echo(tr("{n} files checked, {bad} do not hold", n=checked, bad=len(problems)) if problems
               else tr("{n} files checked: all hold", n=checked))
    ctx.exit(1 if problems else 0)


@evidence.command("export")
@click.argument("case", metavar="SITE/ITEM_ID")
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="A new folder to write the archives into.")
@click.pass_context
def evidence_export(ctx: click.Context, case: str, output: Path) -> None:
    """Hand over a case's web archives: each capture's signed WACZ (verified first) with its capture.json, and
    SHA256SUMS over them, into a new folder. Any WACZ player replays them (ReplayWeb.page, pywb)."""
    from auditor.evidence.handover import export_archives
    from auditor.run.pipeline import open_store

    site, _, item_id = case.partition("/")
    if not site or not item_id:
        raise AuditorError(tr("{case}: a case is SITE/ITEM_ID (as `auditor case` and the console name it)", case=repr(case)))
    config = _config(ctx)
    with open_store(config) as store:
        written = export_archives(store, config.evidence_dir, site, item_id, output, config.evidence.tsa_certs)
    click.echo(tr("{n} archives of {case} written to {path} (with SHA256SUMS)", n=sum(p.suffix == ".wacz" for p in written),
                  case=case, path=output))


@evidence.command("prune")
@click.option("--dry-run", is_flag=True, help="Say what would be removed; remove nothing.")
@click.option("--older-than", "days", type=click.IntRange(min=1), help="Days (default: evidence.retention_days).")
@click.pass_context
def evidence_prune(ctx: click.Context, dry_run: bool, days: int | None) -> None:
    """Remove captures older than the retention, except those of listings a decision keeps (confirmed,
    escalated, takedown requested or confirmed). Each removed file stays recorded in the database."""
    import getpass

    from auditor.evidence.verify import prunable, prune
    from auditor.run.pipeline import open_store, utc_now

    config = _config(ctx)
    days = days or config.evidence.retention_days
    if not days:
        raise AuditorError(tr("no retention: set evidence.retention_days in the config, or give --older-than DAYS"))
    with open_store(config) as store:
        going = prunable(store, utc_now(), days)
        for p in going:
            click.echo(tr("would remove {folder} ({files} files, {bytes} bytes, captured {day})" if dry_run else
                          "removing {folder} ({files} files, {bytes} bytes, captured {day})", folder=p.folder,
                          files=p.files, bytes=f"{p.bytes:,}", day=p.captured_at[:10]))
        if not dry_run and going:
            n = prune(store, config.evidence_dir, going, utc_now(), getpass.getuser())
            click.echo(tr("{n} files removed from {captures} captures", n=n, captures=len(going)))
        elif not going:
            click.echo(tr("nothing is older than {days} days that a decision does not keep", days=days))


@cli.group()
def browser() -> None:
    """The headless Chromium auditor drives."""


@browser.command("install")
def browser_install() -> None:
    """Make sure a headless Chromium is there (Playwright's download, else Debian's package), and
    Japanese fonts for evidence screenshots."""
    from auditor.crawl.install import ensure_cjk_fonts, install_browser

    echo = lambda m: console.print(m, highlight=False)  # noqa: E731
    out.print(install_browser(echo=echo), highlight=False)
    out.print(ensure_cjk_fonts(echo=echo), highlight=False)


