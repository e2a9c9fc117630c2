"""An annotated copy of an evidence screenshot: a band above the page stating what it is.

The band says the URL captured (and the final URL when it differs), the capture time in the
configured zone and in UTC, and the capture id (also in capture.json), so a printed or forwarded
screenshot carries its own provenance. The raw screenshot stays untouched beside it, and both are
hashed into the capture's manifest. Scraped URLs are cut and drawn as text, never interpreted.
"""

from __future__ import annotations

import io
import textwrap
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw, ImageFont

MAX_PIXELS = 60_000_000  # a screenshot taller than this is not copied (the raw one stays)
BAND_BG, BAND_FG = (20, 24, 33), (255, 255, 255)
_FONT_SIZE = 15


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)  # Pillow's bundled scalable font
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


def band_lines(url: str, final_url: str, at: datetime, zone: ZoneInfo, capture_id: str, width_chars: int) -> list[str]:
    local = at.astimezone(zone)
    lines = [f"Captured by auditor  |  capture {capture_id}",
             f"{local:%Y-%m-%d %H:%M:%S} {local.tzname()} ({zone.key})  =  {at.astimezone(timezone.utc):%Y-%m-%d %H:%M:%S} UTC"]
    for label, value in (("URL", url), ("Final URL", final_url if final_url != url else "")):
        if value:
            lines += textwrap.wrap(f"{label}: {value[:600]}", width=max(20, width_chars), break_long_words=True)[:4]
    return ["".join(c if c.isprintable() else "?" for c in line) for line in lines]


def annotated(png: bytes, url: str, final_url: str, at: datetime, zone: ZoneInfo, capture_id: str) -> bytes | None:
    """The screenshot with its band on top, as PNG; None when the screenshot cannot be read or is too large."""
    try:
        with Image.open(io.BytesIO(png)) as shot:
            if shot.width * shot.height > MAX_PIXELS:
                return None
            shot = shot.convert("RGB")
    except Exception:  # noqa: BLE001 - a screenshot Pillow cannot read keeps no copy; the raw one stays
        return None
    font = _font(_FONT_SIZE)
    char_w = max(1, int(font.getlength("M") * 0.62))
    lines = band_lines(url, final_url, at, zone, capture_id, (shot.width - 24) // char_w)
    line_h = _FONT_SIZE + 6
    band = 12 + line_h * len(lines)
    out = Image.new("RGB", (shot.width, shot.height + band), BAND_BG)
    draw = ImageDraw.Draw(out)
    for i, line in enumerate(lines):
        draw.text((12, 6 + i * line_h), line, fill=BAND_FG, font=font)
    out.paste(shot, (0, band))
    buf = io.BytesIO()
    out.save(buf, "PNG", optimize=False, compress_level=3)
    return buf.getvalue()
