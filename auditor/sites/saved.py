"""Read one page through a site profile, for staff checking a profile on a page they saved or a URL.

`auditor parse --site NAME FILE_OR_URL` prints what this returns: a search page's listings and
next page, an item page's listing, or what else the page is ({"kind": "removed" | "blocked" |
"unrendered" | "age_gate", "reason": ...}), as plain JSON.
"""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from auditor.crawl.charset import decode_html
from auditor.errors import AgeGate, AuditorError, Blocked, Removed, Unrendered
from auditor.i18n import tr
from auditor.models import Listing, PageKind, SearchPage
from auditor.sites import SiteProfile


def load_file(source: str) -> tuple[str, str]:
    """(html, url) of a saved page, decoded as a run decodes what it fetches."""
    path = Path(source)
    if not path.is_file():
        raise AuditorError(tr("{source}: no such file (give a saved page or an http(s) URL)", source=source))
    return decode_html(path.read_bytes()), path.resolve().as_uri()


def parse_page(profile: SiteProfile, html: str, url: str, kind: str | None = None) -> SearchPage | Listing:
    return profile.parse(html, url, PageKind(kind) if kind else None)


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def as_json(result: SearchPage | Listing) -> dict:
    """{"kind": "search", "total", "next_url", "item_urls", "listings": [...]} or {"kind": "item", "listing": {...}}"""
    if isinstance(result, SearchPage):
        return {"kind": "search", "total": result.total, "next_url": result.next_url, "unrendered": result.unrendered,
                "item_urls": list(result.item_urls), "listings": [_plain(asdict(x)) for x in result.listings]}
    assert is_dataclass(result)
    return {"kind": "item", "listing": _plain(asdict(result))}


PAGE_STATES = (Removed, Blocked, Unrendered, AgeGate)  # pages that hold nothing to read, and say so


def read_json(profile: SiteProfile, html: str, url: str, kind: str | None = None) -> dict:
    """What `auditor parse` prints: the page's listings, or its state with the reason (a page the profile
    cannot place raises its ParseError, which names the page)."""
    try:
        return as_json(parse_page(profile, html, url, kind))
    except PAGE_STATES as e:
        return {"kind": e.kind, "reason": e.detail}
