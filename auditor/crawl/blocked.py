"""Telling a block or captcha page from an ordinary error: staff must know they were shut out."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

# Bot walls name themselves: captchas, Cloudflare ("Just a moment...", "Attention Required!"), Akamai ("Access
# Denied", "Reference #"), PerimeterX ("Press & Hold"), DataDome (captcha-delivery.com), Imperva / Distil and
# eBay's "Pardon Our Interruption" / "Checking your browser", and the Japanese venues' own wording.
_MARKERS = re.compile(
    r"captcha|are you a robot|are you human|verify you are human|unusual traffic|access denied|"
    r"cf-challenge|challenge-platform|px-captcha|distil_r_captcha|captcha-delivery\.com|"
    r"pardon our interruption|checking your browser|<title>\s*just a moment|attention required! \| cloudflare|"
    r"press (?:&amp;|&) hold|"
    r"ロボットではありません|アクセスが制限|不正なアクセス|画像認証", re.I)


def block_reason(status: int, html: str) -> str | None:
    """Why this response looks like a block page, or None. Large ordinary pages are not searched."""
    head = html[:20_000] if status >= 400 else (html if len(html) < 20_000 else "")
    m = _MARKERS.search(head)
    if m:
        return f"HTTP {status}, the page says {m.group(0)!r}" if status else f"the page says {m.group(0)!r}"
    return None  # a plain 403 or 503 is an ordinary error


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: either a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = now or datetime.now(timezone.utc)
    return max(0.0, (when - now).total_seconds())
