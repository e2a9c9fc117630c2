"""Site profiles, one module per marketplace, looked up by their slug."""

from __future__ import annotations

from auditor.errors import AuditorError
from auditor.sites.base import SiteProfile
from auditor.sites.demo_auction import DemoAuction
from auditor.sites.demo_fleamarket import DemoFleamarket

PROFILES: dict[str, SiteProfile] = {p.name: p for p in (DemoAuction(), DemoFleamarket())}


def get_profile(name: str) -> SiteProfile:
    try:
        return PROFILES[name]
    except KeyError:
        raise AuditorError(f"unknown site profile {name!r} (known: {', '.join(sorted(PROFILES))})") from None


__all__ = ["PROFILES", "SiteProfile", "get_profile"]
