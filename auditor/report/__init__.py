"""The report compiler: data for a run, rendered as HTML, Markdown, CSV and JSON, and the archive index."""

from pathlib import Path
from zoneinfo import ZoneInfo

from auditor.report.compile import Report, compile_report
from auditor.report.render import write_index, write_report
from auditor.store import Store

__all__ = ["Report", "build_report", "compile_report", "write_index", "write_report"]


def build_report(store: Store, run_id: int, reports_dir: Path, zone: ZoneInfo, evidence_dir: Path | None = None) -> Path:
    """Compile a run's report from the database and write it; returns the day's folder."""
    return write_report(compile_report(store, run_id, zone, reports_dir, evidence_dir), reports_dir)
