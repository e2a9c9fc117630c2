"""Evidence on disk: one folder per capture, every file hashed, a sha256sum manifest per day.

Layout under the evidence folder (by default reports/evidence/):

    <site>/<item id>/<YYYYmmddTHHMMSSZ>/page.png, listing.png, page-annotated.png, page.html, image-1.jpg, ...,
        capture.json      (listing.png: the listing's main block alone, where its profile names it;
        archive.wacz: the page as the browser received it, a signed web archive: auditor.evidence.wacz)
    manifests/<YYYY-MM-DD>.sha256      (`cd reports/evidence && sha256sum -c manifests/DAY.sha256`)

A capture is written into a temporary `.partial-*` folder and renamed into place when complete:
evidence is never overwritten nor half-written, and a listing seen again that changed gets a new
folder beside the old one. Item ids come from scraped pages, so they are
reduced to safe file names before they touch the file system.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import uuid
from dataclasses import replace
from datetime import date, datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from auditor.crawl.download import IMAGE_TYPES
from auditor.evidence.annotate import annotated
from auditor.files import write_atomic
from auditor.models import Evidence, EvidenceFile, Snapshot

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


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


PARTIAL = ".partial-"  # a capture being written; renamed into place only when complete


def _place(root: Path, site: str, item_id: str, at: datetime, written: Path) -> Path:
    """Rename a complete capture folder to its final name; an existing capture is never written into."""
    parent = root / safe_name(site) / safe_name(item_id)
    stamp = at.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    for n in range(1, 1000):
        folder = parent / (stamp if n == 1 else f"{stamp}-{n}")
        if folder.exists():
            continue
        try:
            os.rename(written, folder)  # atomic; fails on a non-empty folder of that name
        except OSError:
            if folder.exists():
                continue
            raise
        _sync_dir(parent)
        return folder
    raise FileExistsError(f"too many captures of {site}/{item_id} at {stamp}")


def _sync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write(folder: Path, name: str, data: bytes, kind: str, source: str | None = None) -> tuple[str, EvidenceFile]:
    """A new file readable by auditor's user only (evidence is for legal teams, not for every account on the machine)."""
    with open(os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    return name, EvidenceFile(kind, name, hashlib.sha256(data).hexdigest(), len(data), source)


def save_snapshot(root: Path, site: str, item_id: str, snap: Snapshot, at: datetime, zone: ZoneInfo | None = None,
                  *, title: str = "", key_path: Path | None = None, tsa_url: str | None = None) -> Evidence:
    """Write a snapshot into a new capture folder; capture.json lists every file with its hash. The screenshot
    also gets an annotated copy (page-annotated.png: URL, time in `zone` and UTC, capture id on a band).

    The files are written into a temporary folder beside the final one and renamed into place when all
    of them (and capture.json) are on disk: a capture folder is complete or absent, never half-written."""
    parent = root / safe_name(site) / safe_name(item_id)
    _private_dirs(root, parent)
    work = Path(tempfile.mkdtemp(prefix=PARTIAL, dir=parent))  # 0700, and so the capture folder it becomes
    try:
        capture_id = uuid.uuid4().hex[:16]
        files = [_write(work, "page.png", snap.png, "screenshot", snap.final_url),
                 _write(work, "page.html", snap.html.encode("utf-8", "surrogatepass"), "html", snap.final_url)]
        band = annotated(snap.png, snap.url, snap.final_url, at, zone or ZoneInfo("UTC"), capture_id)
        if band is not None:
            files.insert(1, _write(work, "page-annotated.png", band, "annotated", snap.final_url))
        if snap.block_png:
            files.insert(1, _write(work, "listing.png", snap.block_png, "listing", snap.final_url))
        if snap.exchanges:  # the page as the browser received it, a signed web archive (auditor.evidence.wacz)
            from auditor.evidence.wacz import write_archive

            write_archive(work / ".archive.wacz", snap, at, title, key_path, tsa_url)
            files.append(_write(work, "archive.wacz", (work / ".archive.wacz").read_bytes(), "archive", snap.final_url))
            (work / ".archive.wacz").unlink()
        for i, (url, ctype, body) in enumerate(snap.images, start=1):
            ext = IMAGE_TYPES.get(ctype.split(";")[0].strip().lower(), "bin")
            files.append(_write(work, f"image-{i}.{ext}", body, "image", url))
        record = {
            "capture_id": capture_id, "site": site, "item_id": item_id, "url": snap.url, "final_url": snap.final_url,
            "captured_at": at.astimezone(timezone.utc).isoformat(timespec="seconds"),
            "partial": snap.partial, "notes": list(snap.notes),
            "files": [{"name": name, "kind": f.kind, "sha256": f.sha256, "bytes": f.bytes,
                       "source_url": f.source_url} for name, f in files],
        }
        files.append(_write(work, "capture.json", json.dumps(record, ensure_ascii=False, indent=2).encode("utf-8"),
                            "capture"))
        _sync_dir(work)
        folder = _place(root, site, item_id, at, work)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    rel = folder.relative_to(root).as_posix()
    return Evidence(site, item_id, snap.url, snap.final_url, at, rel,
                    tuple(replace(f, path=f"{rel}/{name}") for name, f in files))


def clean_partial(root: Path) -> int:
    """Remove capture folders a killed process left half-written; how many there were."""
    leftovers = list(Path(root).glob(f"*/*/{PARTIAL}*")) if Path(root).is_dir() else []
    for folder in leftovers:
        shutil.rmtree(folder, ignore_errors=True)
    return len(leftovers)


def orphans(root: Path, site: str, item_id: str, known: set[str]) -> list[Evidence]:
    """Complete captures of a listing on disk that the database does not list (the process was killed
    between renaming a capture into place and recording it), read back from their capture.json with
    every file's hash checked. A folder that does not check out is left alone and not returned."""
    parent = Path(root) / safe_name(site) / safe_name(item_id)
    found = []
    for folder in sorted(parent.iterdir()) if parent.is_dir() else []:
        rel = folder.relative_to(root).as_posix()
        if rel in known or folder.name.startswith(PARTIAL) or not folder.is_dir():
            continue
        try:
            record = json.loads((folder / "capture.json").read_text(encoding="utf-8"))
            if record["site"] != site or record["item_id"] != item_id:
                continue
            files = [EvidenceFile(f["kind"], f"{rel}/{f['name']}", f["sha256"], f["bytes"], f.get("source_url"))
                     for f in record["files"]]
            if verify(root, [(f.sha256, f.path) for f in files]):
                continue
            own = folder / "capture.json"
            files.append(EvidenceFile("capture", f"{rel}/capture.json", sha256_of(own), own.stat().st_size, None))
            found.append(Evidence(site, item_id, record["url"], record["final_url"],
                                  datetime.fromisoformat(record["captured_at"]), rel, tuple(files)))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return found


def _private_dirs(root: Path, folder: Path) -> None:
    """Create root and every folder down to `folder` readable by the service's user alone (mkdir's mode
    applies only to the last folder it makes)."""
    if not root.exists():
        root.mkdir(parents=True, mode=0o700)
    for part in reversed([folder, *folder.parents]):
        if part != root and part.is_relative_to(root) and not part.exists():
            part.mkdir(mode=0o700, exist_ok=True)


def write_manifest(root: Path, day: date, files: list[tuple[str, str]]) -> Path:
    """manifests/DAY.sha256 in `sha256sum` format: (sha256, path relative to root), sorted."""
    folder = root / "manifests"
    _private_dirs(root, folder)
    path = folder / f"{day.isoformat()}.sha256"
    write_atomic(path, "".join(f"{digest}  {rel}\n" for digest, rel in sorted(files, key=lambda f: f[1])).encode("utf-8"))
    return path


def verify(root: Path, files: list[tuple[str, str]]) -> list[str]:
    """The paths whose file is missing or whose content no longer matches its recorded hash."""
    bad = []
    for digest, rel in files:
        path = root / rel
        if not path.is_file() or sha256_of(path) != digest:
            bad.append(rel)
    return bad
