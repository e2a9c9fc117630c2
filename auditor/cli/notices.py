"""`auditor notices`: draft, send, record and list takedown notices."""

from __future__ import annotations

from pathlib import Path

import click

from auditor.cli.base import AuditorError, _config, _when, _write_out, cli, out
from auditor.i18n import tr


@cli.group()
def notices() -> None:
    """Takedown notices: from a confirmed case to the venue, the hotline or an Art. 16 DSA notice, to removal."""


def _state(state: str) -> str:
    """A notice's state as staff read it (the console's words); in English, the state's own name."""
    from auditor.i18n import MESSAGES, spoken, text

    key = f"notice.state.{state}"
    return text("ja", key) if spoken() == "ja" and key in MESSAGES["en"] else state


def _key(case: str) -> tuple[str, str]:
    site, _, item_id = case.partition("/")
    if not site or not item_id:
        raise AuditorError(tr("{case}: a case is SITE/ITEM_ID (as `auditor case` and the console name it)", case=repr(case)))
    return site, item_id


def _user(store, name: str) -> str:
    if store.user_named(name) is None:
        raise AuditorError(tr("no user {name} (see `auditor users list`)", name=repr(name)))
    return name


@notices.command("draft")
@click.argument("cases", nargs=-1)
@click.option("--seller", default=None, metavar="SITE/SELLER_ID", help="All the seller's open confirmed listings in one notice.")
@click.option("--channel", default=None, help="A channel of notices.channels (default: the target's first).")
@click.option("--as", "as_user", required=True, help="Who drafts it (a console user).")
@click.pass_context
def notices_draft(ctx: click.Context, cases: tuple[str, ...], seller: str | None, channel: str | None, as_user: str) -> None:
    """Draft a notice for confirmed CASES (SITE/ITEM_ID, one venue) or a --seller; prints its number."""
    from auditor.notices.draft import draft_notice, draft_seller_notice
    from auditor.run.pipeline import open_store, utc_now

    if bool(cases) == bool(seller):
        raise AuditorError(tr("name the confirmed cases (SITE/ITEM_ID …) or --seller SITE/SELLER_ID, one of the two"))
    config = _config(ctx)
    with open_store(config) as store:
        by = _user(store, as_user)
        if seller:
            notice_id = draft_seller_notice(store, config, *_key(seller), by, utc_now(), channel=channel)
        else:
            notice_id = draft_notice(store, config, [_key(c) for c in cases], by, utc_now(), channel=channel)
        n = store.notice(notice_id)
    click.echo(tr("notice #{id} drafted for {channel} ({n} listing(s)): {subject}", id=notice_id, channel=n["channel"],
                  n=len(n["items"]), subject=n["subject"]))


@notices.command("send")
@click.argument("notice_id", type=int)
@click.option("--as", "as_user", required=True, help="Who sends it (a console user).")
@click.pass_context
def notices_send(ctx: click.Context, notice_id: int, as_user: str) -> None:
    """Mail a drafted notice through its channel's SMTP server (a form channel is filed by a person: `mark`)."""
    from auditor.notices.send import send_notice
    from auditor.run.pipeline import open_store, utc_now

    config = _config(ctx)
    with open_store(config) as store:
        sent = send_notice(store, config, notice_id, _user(store, as_user), utc_now())
    if not sent.ok:
        raise AuditorError(tr("notice #{id} was not sent (it stays a draft): {why}", id=notice_id, why=sent.error))
    click.echo(tr("notice #{id} sent: {receipt}", id=notice_id, receipt=sent.receipt))


@notices.command("mark")
@click.argument("notice_id", type=int)
@click.argument("state", type=click.Choice(["sent", "acknowledged", "rejected", "no_response", "removed"]))
@click.option("--receipt", default="", help="The venue's receipt or reference number (needed for sent).")
@click.option("--as", "as_user", required=True, help="Who records it (a console user).")
@click.pass_context
def notices_mark(ctx: click.Context, notice_id: int, state: str, receipt: str, as_user: str) -> None:
    """Record what became of a notice: filed through the form (sent, with --receipt), acknowledged, rejected, …"""
    from auditor.notices.send import mark
    from auditor.run.pipeline import open_store, utc_now

    config = _config(ctx)
    with open_store(config) as store:
        mark(store, config, notice_id, state, _user(store, as_user), utc_now(), receipt=receipt)
    click.echo(tr("notice #{id}: {state}", id=notice_id, state=_state(state)))


@notices.command("list")
@click.option("--due", is_flag=True, help="Only the notices due again (no removal notices.renotice_days after sending).")
@click.pass_context
def notices_list(ctx: click.Context, due: bool) -> None:
    """Every notice, newest first: number, state, channel, venue, listings, when sent."""
    from auditor.notices.track import due_notices, next_channel
    from auditor.run.pipeline import open_store, utc_now

    config = _config(ctx)
    with open_store(config) as store:
        rows = due_notices(store, utc_now(), config.notices.renotice_days) if due else store.notices()
        for n in rows:
            after = next_channel(config, n) if due else None
            out.print(f"#{n['id']:<5} {_state(n['state']):<12} {n['channel']:<16} {n['site']:<18} "
                      + tr("{n} listing(s)  sent {when}", n=f"{n['listings']:>3}", when=_when(n["sent_at"], config))
                      + (tr("  next: {channel}", channel=after.name) if after else ""),
                      markup=False, highlight=False, soft_wrap=True)
    if not rows:
        click.echo(tr("no notice is due" if due else "no notice yet"))


@notices.command("show")
@click.argument("notice_id", type=int)
@click.pass_context
def notices_show(ctx: click.Context, notice_id: int) -> None:
    """A notice in full: subject, each form field to paste, the text, and its states."""
    from auditor.notices.send import notice_or_fail
    from auditor.run.pipeline import open_store

    config = _config(ctx)
    with open_store(config) as store:
        n = notice_or_fail(store, notice_id)
    channel = config.notices.channel(n["channel"])
    lines = [tr("notice #{id}: {state}", id=n["id"], state=_state(n["state"]))
             + f" — {channel.label if channel else n['channel']} ({n['kind']})"]
    if channel is not None and channel.url:
        lines.append(tr("form: {url}", url=channel.url))
    if n["error"]:
        lines.append(tr("last send failed: {why}", why=n["error"]))
    lines += ["", f"Subject: {n['subject']}", ""]  # the notice's own header, in the notice's language
    for label, value in n["fields"].items():
        lines += [f"--- {label} ---", value]
    lines += ["", tr("--- text ---"), n["body"]]
    if n["document"]:  # a DSA notice's Art. 16 elements, for a venue's API or form that takes JSON
        import json

        lines += ["", "--- Art. 16 DSA (JSON) ---", json.dumps(n["document"], ensure_ascii=False, indent=2)]
    lines += ["", tr("--- states ---")]
    for e in n["events"]:
        lines.append(f"{_when(e['at'], config)}  {_state(e['state'])}"
                     + (tr(" by {name}", name=e["user_name"]) if e["user_name"] else "")
                     + (tr("  receipt {receipt}", receipt=e["receipt"]) if e["receipt"] else "")
                     + (f"  {e['error']}" if e["error"] else "")
                     + (tr("  {h} h after sending", h=f"{e['hours']:g}") if e["hours"] is not None else ""))
    out.print("\n".join(lines), markup=False, highlight=False, soft_wrap=True)


@notices.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Default: standard output.")
@click.pass_context
def notices_export(ctx: click.Context, fmt: str, output: Path | None) -> None:
    """Every notice with its state, receipt and hours to removal (CSV times in schedule.timezone, JSON in UTC)."""
    from auditor.notices.export import export_notices
    from auditor.run.pipeline import open_store

    config = _config(ctx)
    with open_store(config) as store:
        data = export_notices(store, fmt, config.schedule.zone)
    _write_out(data, output)
