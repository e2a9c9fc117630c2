"""Drafting a notice: from a confirmed case (one listing) or a seller (all its open confirmed listings), for
one channel (the target's first unless named), stored as a draft with the listings it covers."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from auditor.channels import Channel
from auditor.config import Config
from auditor.errors import AuditorError
from auditor.i18n import tr
from auditor.models import DOWN
from auditor.notices.compose import compose
from auditor.notices.facts import CONFIRMING, gather
from auditor.store import Store


def channels_for(config: Config, target: str | None) -> list[Channel]:
    """The channels that apply to a target, in its order."""
    t = next((t for t in config.targets if t.name == target), None)
    return [c for c in (config.notices.channel(n) for n in (t.notices if t else [])) if c is not None]


def target_of(store: Store, site: str, item_id: str) -> str | None:
    row = store.picture_row(site, item_id)
    return row["target"] if row else None


def pick_channel(config: Config, target: str | None, name: str | None) -> Channel:
    if name:
        channel = config.notices.channel(name)
        if channel is None:
            known = ", ".join(c.name for c in config.notices.channels) or "none configured (notices.channels)"
            raise AuditorError(tr("no notice channel {name!r} (known: {known})", name=name, known=known))
        return channel
    chosen = channels_for(config, target)
    if not chosen:
        raise AuditorError(tr("target {value} names no notice channel (targets[].notices in config.yaml); name one "
                              "with --channel", value=target or '–'))
    return chosen[0]


def draft_notice(store: Store, config: Config, keys: list[tuple[str, str]], by: str, now: datetime, *,
                 channel: str | None = None, decided: bool = True, follows: int | None = None) -> int:
    """Draft one notice covering these listings (of one venue); returns its id.

    With `decided`, each listing's latest decision must confirm the violation (a notice is drafted from a
    decision); the console's takedown request drafts before it records its decision, naming the notice."""
    keys = list(dict.fromkeys(keys))
    if not keys:
        raise AuditorError(tr("a notice needs at least one listing"))
    if len({site for site, _ in keys}) > 1:
        raise AuditorError(tr("a notice goes to one venue: its listings must be of one site"))
    if decided:
        latest = store.latest_decisions(keys)
        unconfirmed = [k for k in keys if (latest.get(k) or {}).get("verdict") not in CONFIRMING]
        if unconfirmed:
            raise AuditorError(tr("{value}/{value2} is not a confirmed violation: confirm it (or request its "
                                  "takedown) before drafting a notice",
                                  value=unconfirmed[0][0], value2=unconfirmed[0][1]))
    target = target_of(store, *keys[0])
    chosen = pick_channel(config, target, channel)
    facts = gather(store, keys, Path(config.evidence_dir), config.schedule.zone)
    draft = compose(chosen, config.notices, facts)
    seller = store.listings_by_key([keys[0]])[keys[0]].get("seller_id") if len(keys) > 1 else None
    return store.add_notice(
        {"channel": chosen.name, "kind": chosen.kind, "language": chosen.lang, "target": target, "site": keys[0][0],
         "seller_id": seller, "subject": draft.subject, "body": draft.body, "fields": draft.fields,
         "document": draft.document, "follows": follows},
        [{"site": x.site, "item_id": k[1], "url": x.url, "title": x.title} for k, x in zip(keys, facts.listings)],
        by, now)


def seller_keys(store: Store, site: str, seller_id: str) -> list[tuple[str, str]]:
    """A seller's open confirmed listings: the latest decision confirms them and they are not down."""
    rows = store.seller_listings(site, seller_id)
    keys = [(r["site"], r["item_id"]) for r in rows]
    latest = store.latest_decisions(keys)
    out = [(r["site"], r["item_id"]) for r in rows if (latest.get((r["site"], r["item_id"])) or {}).get("verdict")
           in CONFIRMING and r["status"] not in DOWN]
    if not out:
        raise AuditorError(tr("seller {site}/{seller_id} has no open confirmed listing",
                              site=site, seller_id=seller_id))
    return sorted(out)


def draft_seller_notice(store: Store, config: Config, site: str, seller_id: str, by: str, now: datetime, *,
                        channel: str | None = None) -> int:
    return draft_notice(store, config, seller_keys(store, site, seller_id), by, now, channel=channel)
