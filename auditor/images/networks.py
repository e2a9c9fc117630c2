"""Seller networks: accounts linked by the pictures their listings share, and by the links they show.

Two listings share a picture when they showed the very same file or PDQ hash, or when one's image
matched a bank entry taken from the other (re-encoded, resized, stickered, mirrored). A seller also
links an account when its shop or one of its listings names that account's page on a venue (a
Mercari Shops shop naming its owner's Mercari account). Linked sellers form a network, across
accounts and sites; a network is two or more sellers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from auditor.store import Store


@dataclass
class Network:
    sellers: set[tuple[str, str]] = field(default_factory=set)  # (site, seller id)
    names: dict[tuple[str, str], str] = field(default_factory=dict)
    listings: set[tuple[str, str]] = field(default_factory=set)
    flagged: int = 0
    total: Decimal = Decimal(0)
    how: set[str] = field(default_factory=set)  # pictures | shop links


def picture_links(store: Store) -> list[tuple[tuple[str, str], tuple[str, str]]]:
    """Pairs of listings that show one picture (the same file, the same PDQ hash, or one matched through a bank)."""
    pairs = [((r["site"], r["item_id"]), (r["other_site"], r["other_item_id"])) for r in store.image_links()]
    pairs += [((r["site"], r["item_id"]), (r["other_site"], r["other_item_id"])) for r in store.shared_images()]
    return pairs


def seller_networks(store: Store, flagged: set[tuple[str, str]] | None = None) -> list[Network]:
    """Networks of two or more sellers (a seller linked to two others joins them), most flagged listings first, then
    by their total price. `listings` are the linked listings, those that show a shared picture."""
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def find(k):
        root = k
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while parent[k] != root:
            parent[k], k = root, parent[k]
        return root

    links = picture_links(store)
    named = store.seller_links()
    if not links and not named:
        return []
    rows = store.listings_by_key({k for pair in links for k in pair} | {(r["site"], r["item_id"]) for r in named})
    seller_of = {k: (r["site"], r["seller_id"]) for k, r in rows.items() if r["seller_id"]}
    how: dict[tuple[str, str], set[str]] = {}
    for a, b in links:
        if a in seller_of and b in seller_of:
            parent[find(seller_of[a])] = find(seller_of[b])  # sellers, not listings: a network is of accounts
            how.setdefault(seller_of[a], set()).add("pictures")
    others: dict[tuple[str, str], str] = {}
    for r in named:
        one, other = (r["site"], r["seller_id"]), (r["other_site"], r["other_seller_id"])
        parent[find(one)] = find(other)
        how.setdefault(one, set()).add("partner" if str(r.get("url") or "").startswith("stix:") else "shop links")
        others[other] = r.get("other_name") or other[1]
        others.setdefault(one, one[1])  # an account known only from a link (a partner's bundle) is one too
    flagged = flagged if flagged is not None else set(store.ever_flagged_keys())
    groups: dict[tuple[str, str], Network] = {}
    for key, seller in seller_of.items():
        row = rows[key]
        net = groups.setdefault(find(seller), Network())
        net.sellers.add(seller)
        net.names[seller] = row["seller_name"] or row["seller_id"]
        net.listings.add(key)
        if key in flagged:
            net.flagged += 1
            try:
                net.total += Decimal(row["price"] or 0)
            except (InvalidOperation, ValueError):
                pass
    for seller, name in others.items():  # an account known only from a link to it
        net = groups.setdefault(find(seller), Network())
        net.sellers.add(seller)
        net.names.setdefault(seller, name)
    for seller, ways in how.items():
        groups.setdefault(find(seller), Network()).how |= ways
    nets = [n for n in groups.values() if len(n.sellers) > 1]
    return sorted(nets, key=lambda n: (-n.flagged, -n.total, sorted(n.sellers)))
