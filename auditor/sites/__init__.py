"""Site profiles, one module per marketplace, looked up by their slug: what a page is, its search URLs,
and the listings its search and item pages carry; `saved` reads a saved page as `auditor parse` does.

May import crawl/ (decoding a page) and the shared vocabulary; never the store, run/ or above.
"""

from __future__ import annotations

from auditor.errors import AuditorError
from auditor.sites.base import SiteProfile
from auditor.sites.demo_auction import DemoAuction
from auditor.sites.demo_fleamarket import DemoFleamarket

from auditor.sites.booth import Booth
from auditor.sites.buyee import Buyee
from auditor.sites.dlsite import Dlsite
from auditor.sites.ebay import Ebay
from auditor.sites.fanbox import Fanbox
from auditor.sites.fanza import Fanza
from auditor.sites.mercari import Mercari
from auditor.sites.paypay_fleamarket import PaypayFleamarket
from auditor.sites.rakuma import Rakuma
from auditor.sites.schema_org import SchemaOrg
from auditor.sites.surugaya import Surugaya
from auditor.sites.yahoo_auctions import YahooAuctions

PROFILES: dict[str, SiteProfile] = {p.name: p for p in (DemoAuction(), DemoFleamarket(), YahooAuctions(), PaypayFleamarket(), Buyee(), Mercari(), Ebay(), SchemaOrg(), Booth(), Rakuma(), Dlsite(), Fanza(), Fanbox(), Surugaya())}


def get_profile(name: str) -> SiteProfile:
    try:
        return PROFILES[name]
    except KeyError:
        raise AuditorError(f"unknown site profile {name!r} (known: {', '.join(sorted(PROFILES))})") from None


__all__ = ["PROFILES", "SiteProfile", "get_profile"]


def target_notes(target) -> list[tuple[str, str]]:
    """What a config target's venue says of it before it runs (SiteProfile.target_notes); nothing for an unknown
    profile (that is its own error) or a demo: target."""
    profile = PROFILES.get(target.site)
    urls = [u for u in target.start_urls if not u.startswith("demo:")]
    if profile is None or (target.start_urls and not urls):
        return []
    return profile.target_notes(urls, dict(target.headers))


def default_headers(target) -> dict[str, str]:
    """The headers the target's venue needs on every request (its profile's), beneath the target's own."""
    profile = PROFILES.get(target.site)
    return {**(profile.headers if profile else {}), **dict(target.headers)}
