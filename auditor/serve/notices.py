"""The console's takedown notices: a takedown request drafts one, the case shows it (the fields to paste and the
form to open, or Send for a mailed channel), a reviewer records what became of it; the lead's page lists the
notices out, those due again, and per venue how fast notices bring listings down."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from auditor.errors import AuditorError
from auditor.i18n import tr
from auditor.notices.draft import channels_for, draft_notice, target_of
from auditor.notices.facts import CONFIRMING
from auditor.notices.send import mark, send_notice
from auditor.notices.track import due_notices, next_channel, removal_hours, venue_stats


def takedown_ticket(console, site: str, item: str, ticket: str) -> tuple[str, str | None]:
    """A takedown request with no ticket, on a target with notice channels: its ticket names the channel whose
    notice it drafts (after the decision is recorded). Returns (ticket, channel name or None)."""
    if ticket.strip():
        return ticket, None
    chosen = channels_for(console.config, target_of(console.store, site, item))
    if not chosen:
        return ticket, None
    return f"notice: {chosen[0].name}", chosen[0].name


def notice_choices(console, site: str, item: str) -> dict:
    """What the case offers: the channel a takedown request drafts its notice for (the label staff read), and the
    "draft a notice" form's channels, once the case is confirmed."""
    latest = console.store.latest_decisions([(site, item)]).get((site, item)) or {}
    chosen = channels_for(console.config, target_of(console.store, site, item))
    return {"notice_channel": chosen[0].label if chosen else None, "channels": [(c.name, c.label) for c in chosen],
            "confirmed": latest.get("verdict") in CONFIRMING}


def draft_after_takedown(console, user, site: str, item: str, channel: str) -> int:
    return draft_notice(console.store, console.config, [(site, item)], user.name, console.clock(), channel=channel)


def case_notices(console, site: str, item: str) -> list[dict]:
    """The case's notices, newest first, each with its channel and what a person can do with it now."""
    out = []
    for n in reversed(console.store.notices_for_listing(site, item)):
        full = console.store.notice(n["id"])
        channel = console.config.notices.channel(n["channel"])
        out.append({**full, "channel_label": channel.label if channel else n["channel"],
                    "form_url": channel.url if channel and not channel.mails else None,
                    "mails": bool(channel and channel.mails), "to": ", ".join(channel.to) if channel else "",
                    "hours": removal_hours(console.store, n["id"])})
    return out


def _back_to_case(form) -> Response:
    return RedirectResponse("/case?" + urlencode({"site": str(form.get("site", "")), "item": str(form.get("item", ""))})
                            + "#notices", 303)


def _notice_id(form) -> int:
    raw = str(form.get("notice", ""))
    if not raw.isdigit():
        raise AuditorError(tr("which notice? (no notice number was sent)"))
    return int(raw)


def send_page(console, request: Request, form) -> Response:
    # a failed send stays a draft: the case shows its error, and a person decides when to try again
    send_notice(console.store, console.config, _notice_id(form), request.state.user.name, console.clock())
    return _back_to_case(form)


def mark_page(console, request: Request, form) -> Response:
    mark(console.store, console.config, _notice_id(form), str(form.get("state", "")), request.state.user.name,
         console.clock(), receipt=str(form.get("receipt", "")))
    return _back_to_case(form)


def draft_page(console, request: Request, form) -> Response:
    """Draft a notice for a confirmed case (again, or for the next channel of a due notice)."""
    site, item = str(form.get("site", "")), str(form.get("item", ""))
    draft_notice(console.store, console.config, [(site, item)], request.state.user.name, console.clock(),
                 channel=str(form.get("channel", "")) or None,
                 follows=int(form["follows"]) if str(form.get("follows", "")).isdigit() else None)
    return _back_to_case(form)


def notices_page(console, request: Request, form) -> Response:
    """The lead's view: notices due again (with the channel to try next), every notice out, and per venue over 30
    days the notices sent, the share removed and the median and 90th percentile hours from sending to removal."""
    now, store = console.clock(), console.store
    due = due_notices(store, now, console.config.notices.renotice_days)
    items = store.notice_items([n["id"] for n in due])
    rows = [{**n, "next": next_channel(console.config, n), "first": (items[n["id"]] or [{}])[0]} for n in due]
    out = store.notices(states=["draft", "sent", "acknowledged"])
    first = store.notice_items([n["id"] for n in out])
    return console.render(request, "notices.html.j2", due=rows, open=[{**n, "first": (first[n["id"]] or [{}])[0]}
                                                                      for n in out],
                          stats=venue_stats(store, now), days=console.config.notices.renotice_days)
