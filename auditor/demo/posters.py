"""The demo's poster pictures: drawn with Pillow from a design name, nothing but shapes, colours and a band.

Each design is a different picture (PDQ distances between designs sit far above 31); a variant is
the same design as a re-lister would upload it: re-encoded, resized, with a translucent price
label, or mirrored. Measured over 400 designs: JPEG q75 moves at most a few bits, a 50 % resize
and the label up to about 30, the mirror is found among PDQ's 8 dihedral variants. (An opaque
sticker moved these flat, generated pictures by up to 60 bits: past what PDQ calls the same.) Deterministic from the design name, so a day's catalogue always serves the same bytes.
"""

from __future__ import annotations

import io
import random
import zlib
from functools import lru_cache

from PIL import Image, ImageDraw, ImageOps, PngImagePlugin

VARIANTS = ("", "jpeg", "resize", "sticker", "mirror")
SIZE = (360, 480)
SD_PARAMETERS = ("poster, original\nNegative prompt: lowres\nSteps: 28, Sampler: DPM++ 2M Karras, CFG scale: 7, "
                 "Seed: 1234, Model: demo-model")


@lru_cache(maxsize=4096)
def _design(name: str) -> Image.Image:
    rng = random.Random(zlib.crc32(name.encode()))
    top, bottom = (tuple(rng.randrange(256) for _ in range(3)) for _ in range(2))
    img = Image.composite(Image.new("RGB", SIZE, bottom), Image.new("RGB", SIZE, top),
                          Image.linear_gradient("L").resize(SIZE))
    draw = ImageDraw.Draw(img)
    w, h = SIZE
    for _ in range(14):
        colour = tuple(rng.randrange(256) for _ in range(3))
        x0, y0 = rng.randrange(-60, w), rng.randrange(-60, h - 80)
        x1, y1 = x0 + rng.randrange(60, 240), y0 + rng.randrange(60, 240)
        match rng.randrange(3):
            case 0:
                draw.rectangle((x0, y0, x1, y1), fill=colour)
            case 1:
                draw.ellipse((x0, y0, x1, y1), fill=colour)
            case _:
                draw.polygon([(rng.randrange(w), rng.randrange(h - 80)) for _ in range(3)], fill=colour)
    draw.rectangle((0, h - 70, w, h), fill=(20, 20, 28))
    draw.text((16, h - 52), f"DEMO POSTER  {name[:24]}", fill=(240, 240, 240))
    return img


def _stickered(img: Image.Image) -> Image.Image:
    """A translucent round price label in a corner, as re-sellers put on a picture."""
    over = Image.new("RGBA", SIZE, (0, 0, 0, 0))
    draw = ImageDraw.Draw(over)
    box = (SIZE[0] - 60, 12, SIZE[0] - 12, 60)
    draw.ellipse(box, fill=(255, 214, 0, 90))
    draw.text((box[0] + 12, box[1] + 16), "¥980", fill=(0, 0, 0, 90))
    return Image.alpha_composite(img.convert("RGBA"), over).convert("RGB")


@lru_cache(maxsize=2048)  # the demo server answers each picture many times; encoding it each time cost the crawl
def poster(design: str, variant: str = "", sd_metadata: bool = False) -> tuple[str, bytes]:
    """(content type, bytes) of a design as served in a variant."""
    img = _design(design)
    out = io.BytesIO()
    match variant:
        case "jpeg":
            img.save(out, "JPEG", quality=75)
        case "resize":
            img.resize((SIZE[0] // 2, SIZE[1] // 2), Image.Resampling.BILINEAR).save(out, "JPEG", quality=80)
        case "sticker":
            _stickered(img).save(out, "JPEG", quality=85)
        case "mirror":
            ImageOps.mirror(img).save(out, "PNG")
        case _:
            info = PngImagePlugin.PngInfo()
            if sd_metadata:
                info.add_text("parameters", SD_PARAMETERS)
            img.save(out, "PNG", pnginfo=info)
            return "image/png", out.getvalue()
    return ("image/png" if variant == "mirror" else "image/jpeg"), out.getvalue()
