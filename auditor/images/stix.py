"""Seller networks as STIX 2.1, through the `stix2` library: what partner teams, police liaisons and threat
intelligence tools read and write.

A bundle of the networks (auditor.images.networks) holds, for each network:
- each seller as a user-account (`account_type`: the venue's profile name, `user_id`: its seller id,
  `display_name`), a cyber-observable whose id is derived from those: the same seller has the same id in every
  export, whoever makes it;
- the seller's page on the venue as a url, related to the account;
- each picture that two or more of its sellers showed, as indicators: its SHA-256 as a STIX pattern and its PDQ
  hash as one of pattern type `pdq` (the perceptual hash the hash-sharing world exchanges);
- relationships: account related-to account (how they are linked: shared pictures, shop links), indicator
  related-to each account that showed the picture;
- a grouping (context `suspicious-activity`) that names all of it.
Every object carries the configured TLP marking and names the exporting team as its creator.

Importing a bundle takes its user-accounts on venues auditor knows as a watch list, its account-to-account
relationships as seller links (so the networks link the same sellers), and writes a listing rule that flags the
watched sellers' listings, in shadow until a lead promotes it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from auditor.errors import AuditorError
from auditor.i18n import tr
from auditor.images.networks import Network, picture_links, seller_networks
from auditor.images.pdq import MIN_QUALITY, distance
from auditor.store import Store

TLP = ("clear", "green", "amber", "amber+strict", "red")
PRODUCER = "auditor"


def _marking(tlp: str):
    import stix2

    # STIX 2.1 ships TLP 1.0's four; TLP 2.0's clear is 1.0's white, amber+strict has no 1.0 marking: amber's stricter
    return {"clear": stix2.TLP_WHITE, "green": stix2.TLP_GREEN, "amber": stix2.TLP_AMBER,
            "amber+strict": stix2.TLP_AMBER, "red": stix2.TLP_RED}[tlp]


def networks_bundle(store: Store, *, tlp: str = "amber", team: str = PRODUCER, at: datetime) -> str:
    """The seller networks as a STIX 2.1 bundle (JSON)."""
    import stix2

    marking = _marking(tlp)
    creator = stix2.Identity(name=team, identity_class="organization", object_marking_refs=[marking], created=at,
                             modified=at)
    marked = {"object_marking_refs": [marking]}
    sdo = {**marked, "created_by_ref": creator.id, "created": at, "modified": at}
    objects: dict[str, object] = {creator.id: creator}
    nets = seller_networks(store)
    rows = store.listings_by_key({k for n in nets for k in n.listings})
    pictures = store.images_of({k for n in nets for k in n.listings})
    links = picture_links(store)
    for number, net in enumerate(nets, start=1):
        accounts = {s: stix2.UserAccount(account_type=s[0], user_id=s[1], account_login=s[1],
                                         display_name=net.names.get(s, s[1]), **marked) for s in sorted(net.sellers)}
        members: list[str] = [a.id for a in accounts.values()]
        objects.update({a.id: a for a in accounts.values()})
        for s, account in accounts.items():
            page = next((rows[k]["seller_url"] for k in sorted(net.listings)
                         if rows.get(k) and (rows[k]["site"], rows[k]["seller_id"]) == s and rows[k]["seller_url"]), None)
            if page:
                url = stix2.URL(value=page[:2000], **marked)
                rel = stix2.Relationship(account, "related-to", url, description="the seller's page", **sdo)
                objects.update({url.id: url, rel.id: rel})
                members += [url.id, rel.id]
        ordered = sorted(accounts)
        for a, b in zip(ordered, ordered[1:]):  # a chain links the network (its links say how, not each pair)
            rel = stix2.Relationship(accounts[a], "related-to", accounts[b], description=", ".join(sorted(net.how))
                                     or "linked", **sdo)
            objects[rel.id] = rel
            members.append(rel.id)
        for files, pdq, sellers in _shared(net, rows, pictures, links):
            found = [stix2.Indicator(name=f"a picture {len(sellers)} sellers of network {number} showed",
                                     pattern=" OR ".join(f"[file:hashes.'SHA-256' = '{sha}']" for sha in files),
                                     pattern_type="stix", valid_from=at, indicator_types=["attribution"], **sdo)]
            if pdq:
                found.append(stix2.Indicator(name=f"the same picture, PDQ (network {number})", pattern=pdq,
                                             pattern_type="pdq", valid_from=at, indicator_types=["attribution"], **sdo))
            for indicator in found:
                objects[indicator.id] = indicator
                members.append(indicator.id)
                for s in sorted(sellers):
                    rel = stix2.Relationship(indicator, "related-to", accounts[s], description="showed this picture",
                                             **sdo)
                    objects[rel.id] = rel
                    members.append(rel.id)
        group = stix2.Grouping(name=f"seller network {number}: {len(net.sellers)} sellers, {net.flagged} flagged "
                                    f"listings", context="suspicious-activity", object_refs=members,
                               description=f"linked by {', '.join(sorted(net.how)) or 'their pictures'}", **sdo)
        objects[group.id] = group
    return stix2.Bundle(objects=list(objects.values()), allow_custom=False).serialize(pretty=True)


def _shared(net: Network, rows: dict, pictures: dict, links) -> list[tuple[list[str], str | None, set]]:
    """The pictures the network's sellers share: along each link between two of its listings, the two listings'
    pictures that are one file or within PDQ_NEAR bits of each other (a mirror through its dihedral variants),
    grouped into one picture each (its files' SHA-256, the PDQ of its first file, the sellers who showed it)."""
    parent: dict[str, str] = {}

    def find(k: str) -> str:
        while parent.setdefault(k, k) != k:
            k = parent[k]
        return k

    shown: dict[str, set] = {}
    pdq_of: dict[str, str | None] = {}
    for a, b in links:
        if a not in net.listings or b not in net.listings:
            continue
        for ia in pictures.get(a, []):
            for ib in pictures.get(b, []):
                if ia["sha256"] == ib["sha256"] or _near(ia, ib):
                    parent[find(ia["sha256"])] = find(ib["sha256"])
                    for key, image in ((a, ia), (b, ib)):
                        if rows.get(key) and rows[key]["seller_id"]:
                            shown.setdefault(image["sha256"], set()).add((rows[key]["site"], rows[key]["seller_id"]))
                        pdq_of[image["sha256"]] = image["pdq"] if (image["quality"] or 0) >= MIN_QUALITY else None
    groups: dict[str, list[str]] = {}
    for sha in shown:
        groups.setdefault(find(sha), []).append(sha)
    out = []
    for files in groups.values():
        files = sorted(files)
        sellers = set().union(*(shown[f] for f in files))
        if len(sellers) > 1:
            out.append((files, next((pdq_of[f] for f in files if pdq_of[f]), None), sellers))
    return sorted(out)


PDQ_NEAR = 31  # bits of 256: what a bank match allows by default


def _near(a: dict, b: dict) -> bool:
    if not a["pdq"] or not b["pdq"] or (a["quality"] or 0) < MIN_QUALITY or (b["quality"] or 0) < MIN_QUALITY:
        return False
    return any(distance(h, b["pdq"]) <= PDQ_NEAR for h in (a["dihedral"] or a["pdq"]).split())


@dataclass(frozen=True)
class Imported:
    sellers: int  # accounts on known venues, now watched
    links: int  # seller links added
    skipped: int  # accounts on venues auditor has no profile for
    rule_file: Path | None


def import_bundle(store: Store, text: str, source: str, *, known_sites: set[str], rules_dir: Path | None,
                  at: datetime) -> Imported:
    """A partner's bundle: its sellers watched, their links kept, a shadow rule flagging their listings."""
    import stix2
    from stix2.exceptions import STIXError

    try:
        bundle = stix2.parse(text, allow_custom=True)
    except (STIXError, ValueError, json.JSONDecodeError) as e:
        raise AuditorError(tr("{source}: not a STIX 2.1 bundle: {why}", source=source, why=str(e)[:300])) from None
    if getattr(bundle, "type", None) != "bundle":
        raise AuditorError(tr("{source}: not a STIX 2.1 bundle: {why}", source=source, why=tr("no bundle at the top")))
    objects = list(getattr(bundle, "objects", []))
    accounts = {o.id: (o.account_type, o.user_id, getattr(o, "display_name", None) or o.user_id) for o in objects
                if o.type == "user-account" and getattr(o, "account_type", None) and getattr(o, "user_id", None)}
    watched = {i: a for i, a in accounts.items() if a[0] in known_sites}
    links = [(watched[o.source_ref], watched[o.target_ref]) for o in objects if o.type == "relationship"
             and o.source_ref in watched and o.target_ref in watched]
    added = store.watch_sellers([(site, sid, name) for site, sid, name in watched.values()], source,
                                getattr(bundle, "id", source), at)
    linked = store.add_seller_links([((a[0], a[1]), (b[0], b[1])) for a, b in links], f"stix:{bundle.id}", at)
    rule = write_watch_rule(rules_dir, Path(source).stem, sorted({(s, i) for s, i, _ in watched.values()})) \
        if rules_dir is not None and watched else None
    return Imported(added, linked, len(accounts) - len(watched), rule)


def write_watch_rule(rules_dir: Path, name: str, sellers: list[tuple[str, str]]) -> Path:
    """A rule file flagging the listings of these sellers (by seller id), in shadow (status experimental)."""
    import yaml

    slug = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_")[:40] or "partner"
    path = Path(rules_dir) / f"watch_{slug}.yaml"  # a rule's id starts with its file's name
    ids = sorted({seller_id for _, seller_id in sellers})
    rule = {"id": f"watch_{slug}.sellers", "title": f"Seller named in {name} / {name} に載った出品者",
            "severity": "high", "status": "experimental", "tags": ["seller", "watch"],
            "description": f"sellers a partner's STIX bundle named: {', '.join(f'{s}/{i}' for s, i in sellers[:20])}"
                           + (" …" if len(sellers) > 20 else ""),
            "selections": {"named": {"fields": ["seller_id"], "regex": [f"^(?:{'|'.join(re.escape(i) for i in ids)})$"]}},
            "examples": {"match": [{"seller_id": ids[0]}], "no_match": [{"seller_id": ids[0] + "-other"}]}}
    text = ("# yaml-language-server: $schema=./rule.schema.json\n# Written by `auditor networks import`: in shadow "
            "until `auditor rules promote` puts it into production.\n"
            + yaml.safe_dump({"rules": [rule]}, allow_unicode=True, sort_keys=False))
    from auditor.files import write_atomic

    write_atomic(path, text.encode("utf-8"), 0o644)
    return path
