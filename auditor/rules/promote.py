"""`auditor rules promote ID`: move a rule out of shadow mode by editing only its status value.

The file is rewritten with that one word changed (comments, anchors and layout stay as staff wrote
them), checked again, and put back as it was if the change would not load.
"""

from __future__ import annotations

from pathlib import Path

from auditor.errors import AuditorError, RuleError
from auditor.files import write_atomic
from auditor.i18n import tr
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
                raise AuditorError(tr("{rule_id} ({path}) has status {status}: it is not in shadow mode",
                                      rule_id=rule_id, path=path, status=status))
            where = located.location(("rules", i, "status"))
            text = path.read_text(encoding="utf-8")
            lines = text.splitlines(keepends=True)
            line = lines[where.line - 1]
            at = line.find("experimental", where.column - 1)
            if at < 0:
                raise AuditorError(tr("{where}: cannot find the status value to change; edit it by hand",
                                      where=where))
            lines[where.line - 1] = line[:at] + to + line[at + len("experimental"):]
            write_atomic(path, "".join(lines).encode("utf-8"), mode=path.stat().st_mode & 0o777)
            _, problems = check_rules([path])
            if problems:
                write_atomic(path, text.encode("utf-8"), mode=path.stat().st_mode & 0o777)
                raise AuditorError(tr("{path}: promoting {rule_id} would break the file; left as it was",
                                      path=path, rule_id=rule_id))
            return path
    from auditor.rules.condition import did_you_mean

    known = [r.get("id") for path in rule_files(paths)
             for r in ((load_located(path, RuleError).data or {}).get("rules") or [])
             if isinstance(r, dict) and r.get("id")]
    raise AuditorError(tr("no rule {rule!r} in {paths}", rule=rule_id, paths=", ".join(str(p) for p in paths))
                       + did_you_mean(rule_id, known))

