"""The command group, its error handling, and what every command shares (config, times, consoles)."""

from __future__ import annotations

import errno
import logging
from datetime import datetime
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.logging import RichHandler

from auditor import __version__
from auditor.config import DEFAULT_CONFIG, Config, load_config
from auditor.errors import AuditorError, SourceError
from auditor.i18n import language_from, speak, tr, tr_log
from auditor.logs import visible

console = Console(stderr=True)
out = Console()


class _Group(click.Group):
    """Turns every AuditorError into its message and a non-zero exit: no traceback reaches a user."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except AuditorError as e:
            console.print(f"[bold red]{tr('error:')}[/] {escape(visible(str(e)))}", markup=True, highlight=False,
                          soft_wrap=True) if not isinstance(e, SourceError) \
                else click.echo("\n".join(f"{tr('error:')} {p}" for p in e.problems), err=True)
            ctx.exit(e.exit_code)
        except KeyboardInterrupt:
            console.print(tr("interrupted: `auditor run --resume` carries the run on (or finishes its reports)"))
            ctx.exit(130)
        except OSError as e:
            if e.errno not in _CANNOT_WRITE:
                raise
            where = escape(visible(str(e.filename or "a file")))
            console.print(f"[bold red]{tr('error:')}[/] " + tr("cannot write {where}: {why}. Make its folder writable for "
                          "this user (or free space), then run again", where=where, why=escape(e.strerror or str(e))),
                          markup=True, highlight=False, soft_wrap=True)
            ctx.exit(2)


class _SaidHandler(RichHandler):
    """The terminal's log lines in the language spoken here (the log file stays English, for whoever greps it)."""

    def emit(self, record: logging.LogRecord) -> None:
        said = tr_log(record.msg) if isinstance(record.msg, str) else record.msg
        if said is not record.msg:
            args = tuple(_word(a) for a in record.args) if isinstance(record.args, tuple) else record.args
            record = logging.makeLogRecord({**record.__dict__, "msg": said, "args": args})
        super().emit(record)


def _word(value):
    """A log line's argument that is one of the tool's own words (a run's kind or status), in the spoken language."""
    from auditor.i18n import MESSAGES, spoken, word

    if isinstance(value, str):
        for kind in ("kind", "status"):
            if f"{kind}.{value}" in MESSAGES["en"]:
                return word(spoken(), kind, value)
    return value


_CANNOT_WRITE = {errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOSPC, errno.EDQUOT}


def _config(ctx: click.Context, *, required: bool = True) -> Config:
    from auditor.logs import log_to_file, set_zone
    from auditor.sites import PROFILES, target_notes

    path: Path = ctx.obj["config_path"]
    if not path.exists() and not required and ctx.obj["config_default"]:
        config = Config().resolved(Path.cwd())
    else:
        config = load_config(path, known_sites=set(PROFILES), check_target=target_notes)
        if not ctx.obj.get("notices_shown"):
            for notice in config.warnings:
                click.echo(notice, err=True)
            ctx.obj["notices_shown"] = True
    set_zone(config.schedule.zone)
    if config.log_file:
        log_to_file(config.log_file)
    return config


def _write_out(data: str, output: Path | None) -> None:
    """An export to its file (saying so), or to standard output."""
    if output:
        output.write_text(data, encoding="utf-8", newline="")
        click.echo(tr("wrote {path}", path=output))
    else:
        click.echo(data, nl=False)


def _when(t: datetime | str | None, config: Config) -> str:
    """A time as users see it: in the configured zone, with its offset."""
    from auditor.times import local_time

    if t is None:
        return "–"
    return local_time(t if isinstance(t, str) else t.isoformat(), config.schedule.zone)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="auditor")
@click.option("--config", "config_path", type=click.Path(path_type=Path), default=None,
              help=f"Config file (default: ./{DEFAULT_CONFIG}).")
@click.option("-v", "--verbose", count=True, help="More log lines (-v info, -vv debug).")
@click.option("--lang", type=click.Choice(["ja", "en"]), default=None,
              help="The language auditor speaks here, ja or en (default: AUDITOR_LANG, else your locale's: ja_JP is ja).")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, verbose: int, lang: str | None) -> None:
    """auditor: find marketplace listings of AI-generated obscene images, and the sellers behind them.

    Crawls marketplaces (plain HTTP, or headless Chromium where pages need JavaScript), matches
    listings against the YAML rules in rules/, keeps everything in SQLite, tells each flagged
    listing's state since the last audit, writes the day's report into reports/YYYY-MM-DD/, and
    serves the review console (`auditor serve`) where staff decide on every case.
    """
    from auditor.logs import terminal_time

    speak(lang or language_from())
    level = logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(message)s",
                        handlers=[_SaidHandler(console=console, show_path=False, markup=False, log_time_format=terminal_time)])
    ctx.obj = {"config_path": config_path or DEFAULT_CONFIG, "config_default": config_path is None}


