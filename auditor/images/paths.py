"""Where a listing image is kept: under the images folder by its SHA-256, never by anything scraped."""

from __future__ import annotations

from pathlib import Path

from auditor.crawl.download import IMAGE_TYPES


def image_path(root: Path, sha256: str, content_type: str) -> Path:
    return Path(root) / sha256[:2] / f"{sha256}.{IMAGE_TYPES.get(content_type, 'bin')}"
