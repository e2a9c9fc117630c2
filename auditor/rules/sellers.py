"""Seller rules: a seller with many flagged listings, or flagged listings worth much, in the last days."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable

from auditor.models import SellerHit
from auditor.rules.loader import LoadedRule


@dataclass(frozen=True)
class FlaggedRow:
    """One rule hit on one listing, as the store keeps it."""

    site: str
    seller_id: str
    seller_name: str | None
    item_id: str
    price: Decimal | None
    rule_id: str
    tags: tuple[str, ...]


def _counts(loaded: LoadedRule, row: FlaggedRow) -> bool:
    test = loaded.rule.seller
    if test.rules and not any(fnmatch.fnmatchcase(row.rule_id, p) for p in test.rules):
        return False
    return not test.tags or bool(set(test.tags) & set(row.tags))


def judge_sellers(loaded: LoadedRule, rows: Iterable[FlaggedRow]) -> list[SellerHit]:
    """The sellers this seller rule flags, given the hits of its time window."""
    test, rule = loaded.rule.seller, loaded.rule
    items: dict[tuple[str, str], dict[str, Decimal]] = {}
    names: dict[tuple[str, str], str | None] = {}
    for row in rows:
        if _counts(loaded, row):
            key = (row.site, row.seller_id)
            items.setdefault(key, {})[row.item_id] = row.price or Decimal(0)
            names[key] = row.seller_name
    out = []
    for (site, seller_id), prices in sorted(items.items()):
        total = sum(prices.values(), Decimal(0))
        if test.fires(len(prices), total):
            out.append(SellerHit(rule.id, rule.title, rule.severity, site, seller_id, names[(site, seller_id)],
                                 len(prices), total, test.within_days))
    return out
