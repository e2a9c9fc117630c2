"""What an image says about where it came from: generator metadata and declared AI provenance.

Read from the bytes as served, without trusting them: PNG text chunks written by Stable Diffusion
front ends (A1111 `parameters`, ComfyUI `prompt` / `workflow`, NovelAI `Software` / `Comment`),
EXIF Software and UserComment, and the IPTC digital source type `trainedAlgorithmicMedia` that XMP
and C2PA manifests declare. Marketplaces re-encode uploads, which strips all of it: its presence is a
strong hint, its absence means nothing. (A C2PA signature is not verified here: the declaration is
reported as declared.)
"""

from __future__ import annotations

import io

from PIL import Image

MAX_VALUE = 500  # each value is cut: metadata is scraped text
GENERATOR_KEYS = ("parameters", "prompt", "workflow", "Software", "Comment", "Description", "Source", "generation_data")
AI_SOURCE = b"trainedAlgorithmicMedia"
_EXIF_SOFTWARE, _EXIF_USER_COMMENT, _EXIF_IFD = 0x0131, 0x9286, 0x8769


def read_meta(data: bytes) -> list[str]:
    """`key: value` lines of provenance the image carries (empty for most marketplace images)."""
    out: list[str] = []
    if AI_SOURCE in data:
        out.append("digital_source_type: trainedAlgorithmicMedia")
    try:
        with Image.open(io.BytesIO(data)) as img:
            info = dict(img.info)
            exif = img.getexif()
    except Exception:  # noqa: BLE001 - unreadable metadata is no metadata
        return out
    for key in GENERATOR_KEYS:
        value = info.get(key)
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if isinstance(value, str) and value.strip():
            out.append(f"{key}: {_clean(value)}")
    software = exif.get(_EXIF_SOFTWARE)
    if isinstance(software, str) and software.strip():
        out.append(f"exif_software: {_clean(software)}")
    comment = exif.get_ifd(_EXIF_IFD).get(_EXIF_USER_COMMENT) if exif else None
    if isinstance(comment, bytes):
        comment = comment[8:].decode("utf-8", "replace")  # the first 8 bytes name the encoding
    if isinstance(comment, str) and comment.strip("\x00 "):
        out.append(f"exif_user_comment: {_clean(comment)}")
    return out


def _clean(text: str) -> str:
    return "".join(c if c.isprintable() or c in "\n\t" else " " for c in text)[:MAX_VALUE]
