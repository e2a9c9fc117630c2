"""The report compiler: data for a run or a day, rendered as HTML, Markdown, CSV and JSON, and the archive index.

    reports/runs/RUN_ID/    each run's own report, written once
    reports/YYYY-MM-DD/     the day's report (the runs that stand for each target that day);
                            YYYY-MM-DD.v2/ ... when a later run or a rebuild changes it: never rewritten
    reports/index.html      the archive: days (their latest version) and runs

Also each target's site health (site_health), which ops/ reads for its alerts. May import images/, evidence/,
crawl/, sites/, rules/, the store and the shared vocabulary; never review/, run/ or above.
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from auditor import failpoints
from auditor.models import DAILY_KINDS
from auditor.report.compile import Report, compile_day_report, compile_run_report, run_day
from auditor.report.render import publish, write_index
from auditor.store import Store

__all__ = ["Report", "compile_day_report", "compile_run_report", "publish", "write_index", "write_reports"]


def write_reports(store: Store, run_id: int, reports_dir: Path, zone: ZoneInfo, evidence_dir: Path | None = None,
                  language: str = "en", due: dict | None = None, renotice_days: float = 7) -> tuple[Path, Path | None]:
    """A run's own report and, for a run that feeds the daily picture, its day's report; then the index."""
    reports_dir = Path(reports_dir)
    run = store.run(run_id)
    runs = reports_dir / "runs"
    run_folder = publish(compile_run_report(store, run_id, zone, runs / str(run_id), evidence_dir, language, renotice_days), runs, str(run_id))
    failpoints.reached("report")
    day_folder = None
    if (run.get("kind") or "manual") in DAILY_KINDS:
        day = run_day(run, zone)
        report = compile_day_report(store, day, zone, reports_dir / day.isoformat(), evidence_dir, language,
                                    renotice_days)
        if report is not None:
            day_folder = publish(report, reports_dir, day.isoformat())
    write_index(reports_dir, zone, language, due)
    return run_folder, day_folder


def written_day(reports_dir: Path, day) -> Path | None:
    """The newest version of a day's report already written (DAY, DAY.v2, ...), or None."""
    base, name = Path(reports_dir), day.isoformat()
    found = [p for p in base.glob(f"{name}*") if p.is_dir() and (p.name == name or (p.name.startswith(f"{name}.v")
                                                                                   and p.name[len(name) + 2:].isdigit()))]
    return max(found, key=lambda p: 1 if p.name == name else int(p.name[len(name) + 2:]), default=None)


def rebuild_day(store: Store, day, reports_dir: Path, zone: ZoneInfo, evidence_dir: Path | None = None,
                language: str = "en") -> Path | None:
    """The day's report again from the database: a new version beside the old if anything differs."""
    report = compile_day_report(store, day, zone, Path(reports_dir) / day.isoformat(), evidence_dir, language)
    if report is None:
        return None
    folder = publish(report, Path(reports_dir), day.isoformat())
    write_index(Path(reports_dir), zone, language)
    return folder
