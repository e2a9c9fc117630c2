"""PDQ, Meta's perceptual hash of images: 256 bits and a quality (0-100).

Two images whose hashes differ in at most 31 of the 256 bits are taken for the same picture
(re-encoded, resized, a sticker on it). Measured: a JPEG re-encode moves 0-2 bits, a 50 % resize
12-20, unrelated pictures sit at 114-146. A crop of 5 % or more, a border or a mirror image is not
the same picture to PDQ; a bank that must catch mirrors stores the 8 dihedral variants. A quality
under 50 means the picture is too flat for the hash to mean anything.

Images are scraped and hostile: decoding is bounded in pixels, and anything that is not an image
Pillow can read is a `BadImage` with why.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, UnidentifiedImageError

from auditor.errors import AuditorError

MAX_PIXELS = 40_000_000  # a decompression bomb is refused, not decoded
# Pillow's bomb warning is an error here, set once: warnings.catch_warnings around each decode is not thread-safe
# (it saves and restores the process's filters, undoing any another thread set meanwhile) and decodes run in threads
warnings.filterwarnings("error", category=Image.DecompressionBombWarning)
MIN_QUALITY = 50  # below this a PDQ hash is unreliable (flat images)
_WORK = (512, 512)  # PDQ reads a 64x64 summary: decoding a JPEG at a reduced scale first changes nothing material


class BadImage(AuditorError):
    """Bytes that are not an image we can read."""


@dataclass(frozen=True)
class Pdq:
    hex: str  # 64 hex digits
    quality: int

    @property
    def reliable(self) -> bool:
        return self.quality >= MIN_QUALITY


def _bits_to_hex(bits: np.ndarray) -> str:
    return np.packbits(bits.astype(np.uint8)).tobytes().hex()


def decode(data: bytes) -> np.ndarray:
    """The image as RGB pixels, at most 512 on a side (BadImage for what is not an image, or too large)."""
    try:
        img = Image.open(io.BytesIO(data))
        if img.width * img.height > MAX_PIXELS:
            raise BadImage(f"image of {img.width}x{img.height} pixels is over the {MAX_PIXELS:,} pixel cap")
        img.draft("RGB", _WORK)  # JPEG: decode at 1/2, 1/4 or 1/8 scale
        img = img.convert("RGB")
    except BadImage:
        raise
    except UnidentifiedImageError:
        raise BadImage("not a readable image: not a format Pillow reads (PNG, JPEG, WebP, GIF, ...)") from None
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise BadImage(f"not a readable image: {type(e).__name__}: {str(e)[:200]}") from None
    if img.width > _WORK[0] or img.height > _WORK[1]:
        img.thumbnail(_WORK, Image.Resampling.BILINEAR)
    return np.asarray(img)


def hash_image(data: bytes) -> Pdq:
    """The PDQ hash of an image's bytes (decode included)."""
    import pdqhash

    bits, quality = pdqhash.compute(decode(data))
    return Pdq(_bits_to_hex(bits), int(quality))


def dihedral_hashes(data: bytes) -> list[Pdq]:
    """The PDQ hashes of the image's 8 rotations and mirror images (the first is the image itself)."""
    import pdqhash

    hashes, quality = pdqhash.compute_dihedral(decode(data))
    return [Pdq(_bits_to_hex(h), int(quality)) for h in hashes]


def distance(a: str, b: str) -> int:
    """Hamming distance between two hex PDQ hashes."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


def check_hex(text: str) -> str:
    """A PDQ hash as 64 lower-case hex digits, or a ValueError saying what is wrong."""
    h = text.strip().lower()
    if len(h) != 64 or any(c not in "0123456789abcdef" for c in h):
        raise ValueError(f"{text[:80]!r} is not a PDQ hash (64 hex digits)")
    return h
