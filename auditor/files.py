"""Writing a file so that nothing is ever half-written or written through a planted link."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from auditor.errors import NotWritable


def write_atomic(path: Path, data: bytes, mode: int | None = None) -> None:
    """Write through a temporary file of a random name in the same folder (created exclusively, so a link
    planted there is never written through), then move it into place. The file is 0600, as the temporary
    file is created, unless `mode` says otherwise."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def writable(folder: Path, role: str, key: str) -> None:
    """Make sure auditor can write in `folder` (made 0700 where it is missing): a file is created there and
    removed. Raises NotWritable naming the folder, its role and the config key that sets it."""
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, probe = tempfile.mkstemp(prefix=".auditor-probe-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise NotWritable(folder, role, key, e.strerror or str(e)) from None
