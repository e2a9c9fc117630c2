"""The command line: parse arguments, call one library function, print. Nothing else lives here."""

from __future__ import annotations

import logging
import sys
import time
import webbrowser
from datetime import date, datetime
from pathlib import Path

import click
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, MofNCompleteColumn, Progress as Bar, TextColumn, TimeElapsedColumn
from rich.table import Table

from auditor import __version__
from auditor.config import DEFAULT_CONFIG, Config, load_config
from auditor.errors import AuditorError, SourceError

console = Console(stderr=True)
out = Console()


class _Group(click.Group):
    """Turns every AuditorError into its message and a non-zero exit: no traceback reaches a user."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except AuditorError as e:
            console.print(f"[bold red]error:[/] {e}", markup=True, highlight=False, soft_wrap=True) if not isinstance(e, SourceError) \
                else click.echo("\n".join(f"error: {p}" for p in e.problems), err=True)
            ctx.exit(e.exit_code)
        except KeyboardInterrupt:
            console.print("interrupted")
            ctx.exit(130)


def _config(ctx: click.Context, *, required: bool = True) -> Config:
    from auditor.sites import PROFILES

    path: Path = ctx.obj["config_path"]
    if not path.exists() and not required and ctx.obj["config_default"]:
        return Config().resolved(Path.cwd())
    return load_config(path, known_sites=set(PROFILES))


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="auditor")
@click.option("--config", "config_path", type=click.Path(path_type=Path), default=None,
              help=f"Config file (default: ./{DEFAULT_CONFIG}).")
@click.option("-v", "--verbose", count=True, help="More log lines (-v info, -vv debug).")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, verbose: int) -> None:
    """auditor: find marketplace listings of AI-generated obscene images, and the sellers behind them.

    Crawls marketplaces with headless Chromium, matches listings against the YAML rules in rules/,
    keeps everything in SQLite and writes a daily report into reports/YYYY-MM-DD/.
    """
    level = logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(message)s", handlers=[RichHandler(console=console, show_path=False)])
    ctx.obj = {"config_path": config_path or DEFAULT_CONFIG, "config_default": config_path is None}


def _run_with_progress(config: Config, targets=None) -> "RunSummary":  # noqa: F821
    from auditor.pipeline import AuditOptions, open_store, run_audit

    with Bar(TextColumn("[bold]auditing[/]"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
             TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task("", total=None)

        def show(p) -> None:
            s = p.summary
            bar.update(task, completed=p.done, total=max(p.discovered, p.done),
                       description=f"{s.listings_seen} listings · {s.flagged} flagged · {s.pages_failed} failed")

        with open_store(config) as store:
            return run_audit(config, store, AuditOptions(targets=targets, on_progress=show))


def _print_summary(s) -> None:
    table = Table(title=f"run #{s.run_id}: {s.status}", show_header=False, title_justify="left")
    seconds = (s.finished_at - s.started_at).total_seconds() if s.finished_at else 0
    for k, v in (("targets", ", ".join(s.targets)), ("time", f"{seconds:.1f} s"),
                 ("pages read", s.pages_ok), ("pages failed", s.pages_failed),
                 ("listings seen", f"{s.listings_seen} ({s.listings_new} new, {s.listings_changed} changed)"),
                 ("flagged listings", s.flagged), ("rule hits", s.hits)):
        table.add_row(k, str(v))
    console.print(table)
    for f in s.failures[:10]:
        console.print(f"  [yellow]failed[/] {f.kind}: {f.url} ({f.error}, {f.attempts} attempts)", highlight=False)
    if len(s.failures) > 10:
        console.print(f"  … and {len(s.failures) - 10} more failed pages (see the report)")


@cli.command()
@click.option("--target", "target_names", multiple=True, help="Audit only this target (repeatable).")
@click.pass_context
def run(ctx: click.Context, target_names: tuple[str, ...]) -> None:
    """Run one audit now: crawl the enabled targets, match, store, write the day's report."""
    config = _config(ctx)
    targets = None
    if target_names:
        by_name = {t.name: t for t in config.targets}
        unknown = [n for n in target_names if n not in by_name]
        if unknown:
            raise AuditorError(f"unknown target {', '.join(unknown)} (known: {', '.join(by_name) or 'none'})")
        targets = [by_name[n] for n in target_names]
    summary = _run_with_progress(config, targets)
    _print_summary(summary)
    click.echo(f"report: {Path(summary.report_dir) / 'report.html'}")
    if summary.status != "completed":
        ctx.exit(1)


@cli.group(invoke_without_command=True)
@click.pass_context
def demo(ctx: click.Context) -> None:
    """Audit the bundled demo marketplace end to end and print precision and recall.

    Serves the demo marketplace on localhost, audits both sections with headless Chromium,
    writes the report, and scores the flagged listings against the generator's ground truth.
    """
    if ctx.invoked_subcommand is not None:
        return
    from auditor.pipeline import demo_score, demo_targets, open_store

    config = _config(ctx, required=False)
    summary = _run_with_progress(config, demo_targets())
    _print_summary(summary)
    with open_store(config) as store:
        precision, recall = demo_score(config, store, summary.run_id)
    click.echo(f"precision={precision:.2f} recall={recall:.2f}")
    click.echo(f"report: {Path(summary.report_dir) / 'report.html'}")
    if summary.status != "completed":
        ctx.exit(1)


@demo.command("serve")
@click.option("--port", type=int, default=8377, show_default=True, help="Port on 127.0.0.1.")
@click.option("--seed", type=int, default=None, help="Catalogue seed (default: the config's demo.seed).")
@click.option("--listings", type=int, default=None, help="Catalogue size (default: the config's demo.listings).")
@click.pass_context
def demo_serve(ctx: click.Context, port: int, seed: int | None, listings: int | None) -> None:
    """Serve the demo marketplace on 127.0.0.1 until stopped (Ctrl-C)."""
    from auditor.demo import generate, serve_demo

    config = _config(ctx, required=False)
    catalog = generate(seed if seed is not None else config.demo.seed, listings or config.demo.listings)
    try:
        with serve_demo(catalog, port) as server:
            out.print(f"demo marketplace: {server.url}/ ({len(catalog.listings)} listings, "
                      f"{len(catalog.truth())} that a correct audit flags); Ctrl-C to stop", highlight=False)
            while True:
                time.sleep(3600)
    except OSError as e:
        raise AuditorError(f"cannot serve on 127.0.0.1:{port}: {e.strerror}") from None


@cli.command()
@click.pass_context
def schedule(ctx: click.Context) -> None:
    """Run the daily audit on the config's cron schedule, in the foreground, until stopped."""
    from auditor.schedule import build_scheduler, next_fire

    config = _config(ctx)
    scheduler = build_scheduler(ctx.obj["config_path"], config.schedule)
    nxt = next_fire(config.schedule, datetime.now(config.schedule.zone))
    out.print(f"scheduled '{config.schedule.cron}' ({config.schedule.timezone}); next run {nxt:%Y-%m-%d %H:%M %Z}; "
              "Ctrl-C to stop", highlight=False)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        scheduler.shutdown(wait=False)


@cli.command()
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="The day to rebuild (default: the day of the latest run).")
@click.option("--run", "run_id", type=int, default=None, help="Rebuild from this run instead.")
@click.option("--open", "open_it", is_flag=True, help="Open the report in a browser.")
@click.pass_context
def report(ctx: click.Context, day: datetime | None, run_id: int | None, open_it: bool) -> None:
    """Rebuild a day's report from the database."""
    from auditor.pipeline import open_store
    from auditor.report import build_report

    config = _config(ctx)
    zone = config.schedule.zone
    with open_store(config) as store:
        if run_id is None:
            if day is None:
                runs = [r for r in store.runs(1)]
                if not runs:
                    raise AuditorError("the database has no runs yet: run `auditor run` first")
                run_id = runs[0]["id"]
            else:
                found = store.latest_run_on(day.date(), zone)
                if not found:
                    raise AuditorError(f"no finished run on {day.date():%Y-%m-%d} ({config.schedule.timezone})")
                run_id = found["id"]
        folder = build_report(store, run_id, config.reports_dir, zone)
    path = folder / "report.html"
    click.echo(f"report: {path}")
    if open_it:
        webbrowser.open(path.resolve().as_uri())


@cli.group()
def browser() -> None:
    """The headless Chromium auditor drives."""


@browser.command("install")
def browser_install() -> None:
    """Make sure a headless Chromium is there (Playwright's download, else Debian's package)."""
    from auditor.crawl import install_browser

    out.print(install_browser(echo=lambda m: console.print(m, highlight=False)), highlight=False)


@cli.group()
def rules() -> None:
    """Check the YAML rule files."""


@rules.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.pass_context
def rules_validate(ctx: click.Context, paths: tuple[Path, ...]) -> None:
    """Check rule files (default: the config's rules folder); print file:line:column: problem."""
    from auditor.rules import check_rules

    if not paths:
        paths = (_config(ctx, required=False).rules_dir,)
    loaded, problems = check_rules(list(paths))
    for p in problems:
        click.echo(str(p))
    if problems:
        ctx.exit(1)
    out.print(f"{len(loaded)} rules ok", highlight=False)


def main() -> None:
    cli(prog_name="auditor")


if __name__ == "__main__":
    sys.exit(main())
