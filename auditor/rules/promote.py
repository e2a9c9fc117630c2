"""`auditor rules promote ID`: move a rule out of shadow mode by editing only its status value.

The file is rewritten with that one word changed (comments, anchors and layout stay as staff wrote
them), checked again, and put back as it was if the change would not load.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from auditor.errors import AuditorError, RuleError
from auditor.rules.loader import check_rules, rule_files
from auditor.yamlsource import load_located


def promote(paths: list[Path], rule_id: str, to: str = "stable") -> Path:
    """Set a shadow rule's `status: experimental` to `to` in its file; the file it was in."""
    for path in rule_files(paths):
        located = load_located(path, RuleError)
        rules = (located.data or {}).get("rules") if isinstance(located.data, dict) else None
        for i, rule in enumerate(rules or []):
            if not isinstance(rule, dict) or rule.get("id") != rule_id:
                continue
            status = rule.get("status", "stable")
            if status != "experimental":
                raise AuditorError(f"{rule_id} ({path}) has status {status}: it is not in shadow mode")
            where = located.location(("rules", i, "status"))
            text = path.read_text(encoding="utf-8")
            lines = text.splitlines(keepends=True)
            line = lines[where.line - 1]
            at = line.find("experimental", where.column - 1)
            if at < 0:
                raise AuditorError(f"{where}: cannot find the status value to change; edit it by hand")
            lines[where.line - 1] = line[:at] + to + line[at + len("experimental"):]
            _replace(path, "".join(lines))
            _, problems = check_rules([path])
            if problems:
                _replace(path, text)
                raise AuditorError(f"{path}: promoting {rule_id} would break the file; left as it was")
            return path
    raise AuditorError(f"no rule {rule_id!r} in {', '.join(str(p) for p in paths)}")


def _replace(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
