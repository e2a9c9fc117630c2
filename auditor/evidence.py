"""Evidence on disk: one folder per capture, every file hashed, a sha256sum manifest per day.

Layout under the evidence folder (by default reports/evidence/):

    <site>/<item id>/<YYYYmmddTHHMMSSZ>/page.png, page.html, image-1.jpg, ..., capture.json
    manifests/<YYYY-MM-DD>.sha256      (`cd reports/evidence && sha256sum -c manifests/DAY.sha256`)

A capture's folder is created exclusively: evidence is never overwritten, a listing seen again
that changed gets a new folder beside the old one. Item ids come from scraped pages, so they are
reduced to safe file names before they touch the file system.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

from auditor.models import Evidence, EvidenceFile

IMAGE_TYPES = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif", "image/avif": "avif"}
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class Snapshot:
    """What the browser saw of a page: the screenshot, the rendered HTML and the listing's images."""

    url: str
    final_url: str
    png: bytes
    html: str
    images: tuple[tuple[str, str, bytes], ...] = ()  # (url, content type, body)
    notes: tuple[str, ...] = ()  # what the capture stopped or refused (navigations, popups, addresses)
    partial: str | None = None  # why the capture is not the whole page, when it is not


def safe_name(text: str, limit: int = 80) -> str:
    """A file-name-safe form of a scraped id; different ids never share a name."""
    cleaned = _UNSAFE.sub("_", text).strip("._")[:limit]
    if cleaned == text and cleaned:
        return cleaned
    return f"{cleaned or 'id'}-{hashlib.sha256(text.encode()).hexdigest()[:10]}"


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _new_folder(root: Path, site: str, item_id: str, at: datetime) -> Path:
    parent = root / safe_name(site) / safe_name(item_id)
    parent.mkdir(parents=True, exist_ok=True)
    stamp = at.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    for n in range(1, 1000):
        folder = parent / (stamp if n == 1 else f"{stamp}-{n}")
        try:
            folder.mkdir()  # exclusive: an existing capture is never written into
            return folder
        except FileExistsError:
            continue
    raise FileExistsError(f"too many captures of {site}/{item_id} at {stamp}")


def _write(root: Path, folder: Path, name: str, data: bytes, kind: str, source: str | None = None) -> EvidenceFile:
    path = folder / name
    with open(path, "xb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    return EvidenceFile(kind, path.relative_to(root).as_posix(), hashlib.sha256(data).hexdigest(), len(data), source)


def save_snapshot(root: Path, site: str, item_id: str, snap: Snapshot, at: datetime) -> Evidence:
    """Write a snapshot into a new capture folder; capture.json lists every file with its hash."""
    folder = _new_folder(root, site, item_id, at)
    files = [_write(root, folder, "page.png", snap.png, "screenshot", snap.final_url),
             _write(root, folder, "page.html", snap.html.encode("utf-8"), "html", snap.final_url)]
    for i, (url, ctype, body) in enumerate(snap.images, start=1):
        ext = IMAGE_TYPES.get(ctype.split(";")[0].strip().lower(), "bin")
        files.append(_write(root, folder, f"image-{i}.{ext}", body, "image", url))
    record = {
        "site": site, "item_id": item_id, "url": snap.url, "final_url": snap.final_url,
        "captured_at": at.astimezone(timezone.utc).isoformat(timespec="seconds"),
        "partial": snap.partial, "notes": list(snap.notes),
        "files": [{"name": Path(f.path).name, "kind": f.kind, "sha256": f.sha256, "bytes": f.bytes,
                   "source_url": f.source_url} for f in files],
    }
    files.append(_write(root, folder, "capture.json",
                        json.dumps(record, ensure_ascii=False, indent=2).encode("utf-8"), "capture"))
    return Evidence(site, item_id, snap.url, snap.final_url, at, folder.relative_to(root).as_posix(), tuple(files))


def write_manifest(root: Path, day: date, files: list[tuple[str, str]]) -> Path:
    """manifests/DAY.sha256 in `sha256sum` format: (sha256, path relative to root), sorted."""
    folder = root / "manifests"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{day.isoformat()}.sha256"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)  # never a predictable name
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write("".join(f"{digest}  {rel}\n" for digest, rel in sorted(files, key=lambda f: f[1])))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def verify(root: Path, files: list[tuple[str, str]]) -> list[str]:
    """The paths whose file is missing or whose content no longer matches its recorded hash."""
    bad = []
    for digest, rel in files:
        path = root / rel
        if not path.is_file() or sha256_of(path) != digest:
            bad.append(rel)
    return bad
