"""Sending a notice, and recording what became of it.

A channel with addresses (`to:`) is mailed by auditor over SMTP, with the case file of each listing
attached (and the Art. 16 document as JSON for a DSA notice); the server's acceptance makes it `sent`,
its Message-ID the receipt. A form channel is filed by a person: auditor gives the fields to paste and
the form's address, and the notice becomes `sent` when the person records the venue's receipt or
reference number. A send that fails (refused, timed out, no password) stays a draft with its error and
is tried again only when a person says so: it is never reported as sent."""

from __future__ import annotations

import json
import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from pathlib import Path

from auditor.channels import Channel
from auditor.config import Config, environment_secret
from auditor.errors import AuditorError
from auditor.i18n import tr
from auditor.notices.text import block, one_line
from auditor.review.casefile import case_file
from auditor.store import Store

log = logging.getLogger(__name__)
# headers folded only past RFC 5322's hard limit: Python's folding of a subject mixing ASCII and Japanese drops
# the space at the fold (a bounded subject fits on one line, its spaces kept)
_POLICY = SMTP.clone(max_line_length=998)
MAX_ATTACHED = 20  # case files on one mail (a seller notice covers more: the first 20, the rest named in the text)
STATES = ("draft", "sent", "acknowledged", "removed", "ended", "rejected", "no_response")
MARKS = {  # what a person may record, and from which states
    "sent": ("draft",), "acknowledged": ("sent",), "rejected": ("sent", "acknowledged"),
    "no_response": ("sent", "acknowledged"), "removed": ("sent", "acknowledged"),
}


@dataclass(frozen=True)
class Sent:
    ok: bool
    receipt: str = ""
    error: str = ""


def notice_or_fail(store: Store, notice_id: int) -> dict:
    notice = store.notice(notice_id)
    if notice is None:
        raise AuditorError(tr("no notice #{notice_id} (see `auditor notices list`)", notice_id=notice_id))
    return notice


def channel_of(config: Config, notice: dict) -> Channel:
    channel = config.notices.channel(notice["channel"])
    if channel is None:
        raise AuditorError(tr("notice #{id}: its channel {channel!r} is no longer in config.yaml's notices.channels",
                              id=notice['id'], channel=notice['channel']))
    return channel


def send_notice(store: Store, config: Config, notice_id: int, by: str, now: datetime) -> Sent:
    """Mail a drafted notice through its channel's SMTP server; records `sent` or the failure (it stays a draft)."""
    notice = notice_or_fail(store, notice_id)
    channel = channel_of(config, notice)
    if not channel.mails:
        raise AuditorError(tr("notice #{notice_id} goes through {label}'s form ({url}): file it there, then record "
                              "the receipt (`auditor notices mark {notice_id} sent --receipt …`)",
                              notice_id=notice_id, label=channel.label, url=channel.url))
    if notice["state"] != "draft":
        raise AuditorError(tr("notice #{notice_id} is {state}, not a draft: it is not sent again",
                              notice_id=notice_id, state=notice['state']))
    try:
        receipt = _mail(channel, notice, _attachments(store, config, notice))
    except (smtplib.SMTPException, OSError, AuditorError) as e:
        error = one_line(f"{type(e).__name__}: {e}", 500)
        store.add_notice_event(notice_id, "failed", now, user_name=by, error=error)
        log.error("notice #%s to %s was not sent: %s", notice_id, ", ".join(channel.to), error)
        return Sent(False, error=error)
    store.add_notice_event(notice_id, "sent", now, user_name=by, receipt=receipt)
    log.info("notice #%s sent to %s (%s)", notice_id, ", ".join(channel.to), receipt)
    return Sent(True, receipt=receipt)


def mark(store: Store, config: Config, notice_id: int, state: str, by: str, now: datetime, *, receipt: str = "") -> None:
    """Record by hand what became of a notice: sent (with the venue's receipt), acknowledged, rejected,
    no_response, or removed (the venue said so before a run saw it)."""
    if state not in MARKS:
        raise AuditorError(tr("a notice can be marked {value}, not {state!r}", value=', '.join(MARKS), state=state))
    notice = notice_or_fail(store, notice_id)
    if notice["state"] not in MARKS[state]:
        raise AuditorError(tr("notice #{notice_id} is {state}: it cannot become {state2}",
                              notice_id=notice_id, state=notice['state'], state2=state))
    receipt = one_line(receipt, 200)
    if state == "sent":
        if channel_of(config, notice).mails:
            raise AuditorError(tr("notice #{notice_id} is mailed by auditor: send it (`auditor notices send "
                                  "{notice_id}`)", notice_id=notice_id))
        if not receipt:
            raise AuditorError(tr("a notice filed through a form is sent once its receipt or reference number is "
                               "recorded (--receipt; write 「なし」/none when the form gave none)"))
    hours = None
    if state == "removed" and notice["sent_at"]:
        hours = round((now - datetime.fromisoformat(notice["sent_at"])).total_seconds() / 3600, 2)
    store.add_notice_event(notice_id, state, now, user_name=by, receipt=receipt, hours=hours)


def _attachments(store: Store, config: Config, notice: dict) -> list[tuple[str, str, bytes]]:
    out = []
    for x in notice["items"][:MAX_ATTACHED]:
        data = case_file(store, x["site"], x["item_id"], Path(config.evidence_dir), config.schedule.zone)
        out.append((f"case-{_safe(x['site'])}-{_safe(x['item_id'])}.zip", "application/zip", data))
    if notice["document"]:
        out.append(("dsa-notice.json", "application/json",
                    json.dumps(notice["document"], ensure_ascii=False, indent=2).encode("utf-8")))
    return out


def _safe(value: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "_" for c in value)[:60] or "_"


def _mail(channel: Channel, notice: dict, attachments: list[tuple[str, str, bytes]]) -> str:
    smtp = channel.smtp
    assert smtp is not None  # a channel with addresses has its server (channels.Channel refuses it otherwise)
    password = environment_secret(smtp.password_env) if smtp.password_env else None
    if smtp.user and password is None:
        raise AuditorError(tr("the SMTP password is read from ${password_env}, which is not set",
                              password_env=smtp.password_env))
    msg = EmailMessage(policy=_POLICY)
    msg["From"] = smtp.sender
    msg["To"] = ", ".join(channel.to)
    msg["Subject"] = one_line(notice["subject"])  # one line, whatever the title held
    msg["Date"] = format_datetime(datetime.now().astimezone())
    msg["Message-ID"] = receipt = make_msgid(f"notice-{notice['id']}", domain=smtp.sender.rsplit("@", 1)[1])
    msg.set_content(block(notice["body"], 20_000) + "\n", charset="utf-8")
    for name, kind, data in attachments:
        main, sub = kind.split("/")
        msg.add_attachment(data, maintype=main, subtype=sub, filename=name)
    with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout) as s:
        if smtp.starttls:
            s.starttls(context=ssl.create_default_context())
        if smtp.user:
            s.login(smtp.user, password or "")
        refused = s.send_message(msg)
    if refused:
        raise AuditorError(tr("the server refused {addresses}", addresses=", ".join(sorted(refused))))
    return receipt

