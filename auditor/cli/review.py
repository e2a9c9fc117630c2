"""The review console and its people and decisions: serve, users, decisions."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from auditor.cli.base import AuditorError, _config, _when, _write_out, cli, out
from auditor.i18n import spoken, tr, word

@cli.command()
@click.option("--host", default=None, help="Address to listen on (default: serve.host, 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default: serve.port, 8765).")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Serve the review console: queues, cases, decisions, rules and reports, behind a login.

    Add people first with `auditor users add NAME --role reviewer|lead|admin`. Put it behind a
    reverse proxy with TLS to share it with a team (see the README).
    """
    from auditor.serve.app import serve as run_server

    config = _config(ctx)
    host, port = host or config.serve.host, port or config.serve.port
    out.print(tr("review console on {url} (Ctrl-C to stop)", url=f"http://{host}:{port}/"), highlight=False)
    run_server(config, host, port)


@cli.group()
def users() -> None:
    """People who may sign in to the console, and their roles (reviewer < lead < admin)."""


def _password(stdin: bool) -> str:
    if stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt(tr("password"), hide_input=True, confirmation_prompt=True)


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["reviewer", "lead", "admin"]), default="reviewer", show_default=True,
              help="reviewer: decides; lead: also reopens decisions and sees reviewer metrics; admin: also manages users.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of asking.")
@click.pass_context
def users_add(ctx: click.Context, name: str, role: str, password_stdin: bool) -> None:
    """Add a person (the password is asked for, twice, or read from stdin)."""
    from auditor.review.users import add_user
    from auditor.run.pipeline import open_store, utc_now

    config = _config(ctx)
    with open_store(config) as store:
        add_user(store, name, role, _password(password_stdin), utc_now())
    click.echo(tr("added {name} ({role})", name=name, role=word(spoken(), "role", role)))


@users.command("list")
@click.pass_context
def users_list(ctx: click.Context) -> None:
    """Everyone, with role and whether disabled or locked."""
    from auditor.run.pipeline import open_store

    config = _config(ctx)
    with open_store(config) as store:
        rows = store.users()
    for r in rows:
        flags = (tr(" disabled") if r["disabled"] else "") + (
            tr(" locked until {when}", when=_when(r["locked_until"], config)) if r["locked_until"] else "")
        click.echo(f"{r['name']:<20} {word(spoken(), 'role', r['role']):<9}{flags}")
    if not rows:
        click.echo(tr("no users yet: `auditor users add NAME --role admin`"))


@users.command("disable")
@click.argument("name")
@click.pass_context
def users_disable(ctx: click.Context, name: str) -> None:
    """Stop someone signing in (their sessions end; their decisions stay)."""
    from auditor.review.users import disable
    from auditor.run.pipeline import open_store

    with open_store(_config(ctx)) as store:
        disable(store, name)
    click.echo(tr("disabled {name}", name=name))


@users.command("enable")
@click.argument("name")
@click.pass_context
def users_enable(ctx: click.Context, name: str) -> None:
    """Let a disabled person sign in again (their lockout is cleared too)."""
    from auditor.review.users import enable
    from auditor.run.pipeline import open_store

    with open_store(_config(ctx)) as store:
        enable(store, name)
    click.echo(tr("enabled {name}", name=name))


@users.command("unlock")
@click.argument("name")
@click.pass_context
def users_unlock(ctx: click.Context, name: str) -> None:
    """Let every place try NAME's sign-in again now (after 10 failures, a place waits 15 minutes)."""
    from auditor.review.users import unlock
    from auditor.run.pipeline import open_store

    with open_store(_config(ctx)) as store:
        waiting = unlock(store, name)
    click.echo(tr("unlocked {name}", name=name) + (tr(" ({n} place(s) were waiting)", n=waiting) if waiting else ""))


@users.command("passwd")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of asking.")
@click.pass_context
def users_passwd(ctx: click.Context, name: str, password_stdin: bool) -> None:
    """Set a new password (and unlock the account)."""
    from auditor.review.users import set_password
    from auditor.run.pipeline import open_store

    with open_store(_config(ctx)) as store:
        set_password(store, name, _password(password_stdin))
    click.echo(tr("password of {name} changed", name=name))


@cli.group()
def decisions() -> None:
    """The decisions recorded in the console, for teams that keep a spreadsheet beside it."""


@decisions.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Default: standard output.")
@click.pass_context
def decisions_export(ctx: click.Context, fmt: str, output: Path | None) -> None:
    """Every decision, oldest first: who, when, which listing and rules, verdict, note, ticket."""
    from auditor.review.decisions import export_decisions
    from auditor.run.pipeline import open_store

    config = _config(ctx)
    with open_store(config) as store:
        data = export_decisions(store, fmt, config.schedule.zone)
    _write_out(data, output)


@decisions.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "as_user", required=True, help="The user the import is recorded under (where a row names none).")
@click.pass_context
def decisions_import(ctx: click.Context, file: Path, as_user: str) -> None:
    """Append decisions from a CSV or JSON file (columns: site, item_id, verdict, note, ticket, decided_at).

    A verdict may be its key or the console's label in Japanese or English (違反を確認, Confirmed violation);
    a time may be written as spreadsheets write it (2026/11/25 9:00), read in schedule.timezone when it
    gives no zone. Every row is checked first: a wrong one is named by its line and column and nothing is
    stored. Rows already recorded are skipped and counted, so a file imported twice doubles nothing."""
    from auditor.review.imports import import_decisions
    from auditor.review.users import User
    from auditor.run.pipeline import open_store, utc_now

    config = _config(ctx)
    with open_store(config) as store:
        row = store.user_named(as_user)
        if row is None:
            raise AuditorError(tr("no user {name} (see `auditor users list`)", name=repr(as_user)))
        fmt = "json" if file.suffix.lower() == ".json" else "csv"
        try:
            content = file.read_text(encoding="utf-8")
        except UnicodeDecodeError as e:
            raise AuditorError(tr("{file}: not UTF-8 text (byte {at}); save the sheet as CSV UTF-8", file=file,
                                  at=e.start)) from None
        done = import_decisions(store, content, fmt, User(row["id"], row["name"], row["role"]), utc_now(),
                                config.schedule.zone, file_name=file.name)
    click.echo(tr("imported {n} decisions", n=done.added)
               + (tr("; {n} already recorded, skipped", n=done.duplicates) if done.duplicates else ""))


