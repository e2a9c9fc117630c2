"""A case's web archives handed over, for a court or a partner: `auditor evidence export CASE`."""

from __future__ import annotations

from pathlib import Path

from auditor.errors import AuditorError
from auditor.evidence.files import safe_name, sha256_of
from auditor.evidence.wacz import verify_archive
from auditor.files import write_atomic
from auditor.i18n import tr


def export_archives(store, root: Path, site: str, item_id: str, out: Path, tsa_certs: Path | None = None) -> list[Path]:
    """A case's web archives, for a court or a partner: each capture's archive.wacz copied into `out` (a new
    folder), named by its capture, with its capture.json beside it and SHA256SUMS over all of them; each
    archive is verified first (one that does not hold is refused, naming why)."""
    rows = [r for r in store.evidence_for([(site, item_id)])[(site, item_id)] if r["kind"] == "archive"]
    if not rows:
        raise AuditorError(tr("{case}: no web archive of this listing (captures keep one since evidence.archive)",
                              case=f"{site}/{item_id}"))
    if out.exists() and any(out.iterdir()):
        raise AuditorError(tr("{path} is not empty: give a new folder", path=out))
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    written, sums = [], []
    for r in rows:
        path = (Path(root) / r["path"]).resolve()
        if not path.is_relative_to(Path(root).resolve()) or not path.is_file():
            raise AuditorError(tr("{path}: missing", path=r["path"]))
        why = tr("its SHA-256 differs") if sha256_of(path) != r["sha256"] else verify_archive(path, tsa_certs)
        if why:
            raise AuditorError(tr("{path}: its web archive does not hold: {why}", path=r["path"], why=why))
        name = safe_name(f"{site}_{item_id}_{Path(r['folder']).name}")
        for source, target in ((path, out / f"{name}.wacz"), (path.parent / "capture.json", out / f"{name}.capture.json")):
            if source.is_file():
                write_atomic(target, source.read_bytes(), 0o600)
                sums.append(f"{sha256_of(target)}  {target.name}")
                written.append(target)
    write_atomic(out / "SHA256SUMS", ("\n".join(sums) + "\n").encode("utf-8"), 0o600)
    return written
