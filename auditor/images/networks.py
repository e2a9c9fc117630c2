"""Seller networks: accounts linked by the pictures their listings share.

Two listings share a picture when they showed the very same file or PDQ hash, or when one's image
matched a bank entry taken from the other (re-encoded, resized, stickered, mirrored). Sellers of
linked listings form a network, across accounts and sites; a network is two or more sellers.
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


def _links(store: Store) -> list[tuple[tuple[str, str], tuple[str, str]]]:
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

    links = _links(store)
    if not links:
        return []
    rows = store.listings_by_key({k for pair in links for k in pair})
    seller_of = {k: (r["site"], r["seller_id"]) for k, r in rows.items() if r["seller_id"]}
    for a, b in links:
        if a in seller_of and b in seller_of:
            parent[find(seller_of[a])] = find(seller_of[b])  # sellers, not listings: a network is of accounts
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
    nets = [n for n in groups.values() if len(n.sellers) > 1]
    return sorted(nets, key=lambda n: (-n.flagged, -n.total, sorted(n.sellers)))
