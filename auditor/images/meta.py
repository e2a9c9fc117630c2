"""What an image says about where it came from: generator metadata and declared AI provenance.

Read from the bytes as served, without trusting them: PNG text chunks written by Stable Diffusion
front ends (A1111 `parameters`, ComfyUI `prompt` / `workflow`, NovelAI `Software` / `Comment`),
EXIF Software and UserComment, the IPTC digital source type `trainedAlgorithmicMedia` that XMP
declares, and C2PA manifests (Content Credentials, read by c2pa-python): the digital source type of
their actions, the tool that made them, who signed them and whether the signature holds.
Marketplaces re-encode uploads, which strips all of it: its presence is a strong hint, its absence
means nothing. A C2PA signature that holds but whose signer is in no trust list is said so
(`signed, signer not in a trust list`); auditor ships no trust list.
"""

from __future__ import annotations

import io
import json
import logging

from PIL import Image

log = logging.getLogger(__name__)

MAX_VALUE = 500  # each value is cut: metadata is scraped text
GENERATOR_KEYS = ("parameters", "prompt", "workflow", "Software", "Comment", "Description", "Source", "generation_data")
AI_SOURCE = b"trainedAlgorithmicMedia"
_EXIF_SOFTWARE, _EXIF_USER_COMMENT, _EXIF_IFD = 0x0131, 0x9286, 0x8769
_C2PA_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "TIFF": "image/tiff", "AVIF": "image/avif",
               "HEIF": "image/heif", "GIF": "image/gif"}
_UNTRUSTED = "signingCredential.untrusted"


def read_meta(data: bytes) -> list[str]:
    """`key: value` lines of provenance the image carries (empty for most marketplace images)."""
    out: list[str] = []
    if AI_SOURCE in data:
        out.append("digital_source_type: trainedAlgorithmicMedia")
    try:
        with Image.open(io.BytesIO(data)) as img:
            info = dict(img.info)
            kind = img.format or ""
            # a PNG's EXIF can follow its pixels: Pillow would decode the whole image to look; a header one is read
            exif = img.getexif() if kind != "PNG" or "exif" in info else Image.Exif()
    except Exception:  # noqa: BLE001 - unreadable metadata is no metadata
        return out
    if b"c2pa" in data and kind in _C2PA_TYPES:  # a manifest store is a JUMBF box labelled c2pa
        out.extend(read_c2pa(data, _C2PA_TYPES[kind]))
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
    return list(dict.fromkeys(out))


def read_c2pa(data: bytes, mime: str) -> list[str]:
    """What the image's active C2PA manifest declares: digital source types, the generator, the signer, and
    whether the signature and the hashes of the image hold (`c2pa_signature: ...`)."""
    try:
        import c2pa
    except ImportError:
        return []
    try:
        with c2pa.Reader(mime, io.BytesIO(data)) as reader:
            store = json.loads(reader.json())
    except Exception as e:  # noqa: BLE001 - no manifest, or one the library cannot read: nothing declared
        log.debug("no C2PA manifest read: %s", str(e)[:200])
        return []
    active = (store.get("manifests") or {}).get(store.get("active_manifest") or "") or {}
    out = []
    for assertion in active.get("assertions") or ():
        if str(assertion.get("label", "")).startswith("c2pa.actions"):
            for action in (assertion.get("data") or {}).get("actions") or ():
                source = str(action.get("digitalSourceType") or "")
                if source:
                    out.append(f"digital_source_type: {_clean(source.rsplit('/', 1)[-1])}")
    for tool in active.get("claim_generator_info") or ():
        if isinstance(tool, dict) and tool.get("name"):
            out.append(f"c2pa_generator: {_clean(' '.join(str(tool[k]) for k in ('name', 'version') if tool.get(k)))}")
    signer = active.get("signature_info") or {}
    if signer:
        who = " / ".join(str(signer[k]) for k in ("common_name", "issuer") if signer.get(k))
        out.append(f"c2pa_signer: {_clean(who)}")
    failed = sorted({str(s.get("code")) for s in store.get("validation_status") or () if s.get("code")})
    if not failed:
        out.append("c2pa_signature: valid")
    elif failed == [_UNTRUSTED]:
        out.append("c2pa_signature: signed, signer not in a trust list")
    else:
        out.append(f"c2pa_signature: invalid ({_clean(', '.join(c for c in failed if c != _UNTRUSTED))})")
    return out


def _clean(text: str) -> str:
    return "".join(c if c.isprintable() or c in "\n\t" else " " for c in text)[:MAX_VALUE]
