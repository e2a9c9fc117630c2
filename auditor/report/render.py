"""Render a compiled report as report.html, report.md, hits.csv and hits.json, plus the archive index.

Scraped text is hostile: the HTML template escapes everything (Jinja2 autoescape), allows no
scraped markup, links only http(s) URLs, and its Content-Security-Policy allows one script (the
report's own sorting and filtering, pinned by its SHA-256) and no remote load of any kind. CSV
cells that a spreadsheet would run as a formula are neutralised.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import os
import shutil
from datetime import datetime, timezone
from decimal import Decimal
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from auditor.report.compile import Report

CSV_COLUMNS = ["day", "state", "reason", "severity", "rule_id", "rule_title", "site", "item_id", "title", "matched",
               "matched_fields", "price", "currency", "buy_now_price", "bids", "status", "seller_id", "seller_name",
               "seller_url", "first_seen", "last_seen", "url", "thumbnail", "screenshot", "screenshot_sha256",
               "html", "html_sha256", "captured_at"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SCRIPT = resources.files("auditor.report").joinpath("templates/report.js").read_text(encoding="utf-8")
SCRIPT_HASH = base64.b64encode(hashlib.sha256(SCRIPT.encode("utf-8")).digest()).decode()
CSP = ("default-src 'none'; script-src 'sha256-{h}'; style-src 'unsafe-inline'; img-src 'self'; "
       "base-uri 'none'; form-action 'none'; frame-src 'none'; object-src 'none'")

_env = Environment(loader=PackageLoader("auditor.report", "templates"),
                   autoescape=select_autoescape(default=True, default_for_string=True),
                   trim_blocks=True, lstrip_blocks=True)


def safe_url(url: str | None) -> str | None:
    """Only http(s) URLs become links; anything else (javascript:, data:, ...) is shown as text."""
    if not url:
        return None
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return None
    return url.strip() if scheme in ("http", "https") else None


def money(v: Decimal | str | None, currency: str | None = "JPY") -> str:
    if v in (None, ""):
        return "–"
    v = Decimal(v)
    if currency in (None, "JPY"):
        return f"¥{v:,.0f}"
    return f"{v:,.2f} {currency}"


def markdown_text(text: str | None) -> str:
    """Scraped text inside Markdown: no markup, links, HTML or table breaks get through."""
    text = " ".join(str(text or "").split())
    return "".join("\\" + ch if ch in "\\`*_{}[]()<>#+-.!|~" else ch for ch in text)


def sparkline(counts: list[int], days: list, width: int = 150, height: int = 26) -> Markup:
    """An inline SVG bar chart of daily counts; only numbers and our own dates go into it."""
    top = max(counts) or 1
    bar = width / max(1, len(counts))
    rects = []
    for i, (n, day) in enumerate(zip(counts, days)):
        h = 0 if n == 0 else max(1.5, n / top * (height - 2))
        rects.append(f'<rect x="{i * bar:.1f}" y="{height - h:.1f}" width="{bar - 1:.1f}" height="{h:.1f}">'
                     f'<title>{day.isoformat()}: {int(n)}</title></rect>')
    return Markup(f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
                  f'role="img" aria-label="daily flagged listings"><rect class="bg" width="{width}" height="{height}"/>'
                  f'{"".join(rects)}</svg>')


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    seconds = int(seconds)
    return f"{seconds // 3600}h {seconds // 60 % 60:02d}m" if seconds >= 3600 else f"{seconds // 60}m {seconds % 60:02d}s"


def ts(iso: str | None) -> str:
    """'2026-11-25T08:30:05+00:00' -> '2026-11-25 08:30 UTC' (times are stored in UTC)."""
    if not iso:
        return "–"
    try:
        return datetime.fromisoformat(iso).astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return str(iso)


_env.filters.update(safe_url=safe_url, money=money, md=markdown_text, duration=duration, ts=ts)
_env.globals.update(sparkline=sparkline)


def neutralize_cell(value) -> str:
    """A cell a spreadsheet would evaluate (=, +, -, @, tab, CR) is prefixed with a quote."""
    text = "" if value is None else (" | ".join(map(str, value)) if isinstance(value, list) else str(value))
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _evidence_columns(hit: dict) -> dict:
    out = {"screenshot": None, "screenshot_sha256": None, "html": None, "html_sha256": None, "captured_at": None}
    for e in hit["evidence"]:
        if e["kind"] in ("screenshot", "html") and out[e["kind"]] is None:
            out[e["kind"]], out[f"{e['kind']}_sha256"], out["captured_at"] = e["path"], e["sha256"], e["captured_at"]
    return out


def render_csv(report: Report) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for h in report.hits:
        row = {**h, **_evidence_columns(h)}
        writer.writerow([neutralize_cell(row.get(c)) for c in CSV_COLUMNS])
    return buf.getvalue()


def summary_of(report: Report) -> dict:
    """The day's counts: summary.json, which the archive index reads."""
    r = report.run
    return {"day": report.day.isoformat(), "run_id": r["id"], "status": r["status"], "started_at": r["started_at"],
            "finished_at": r["finished_at"], "targets": report.targets, "pages_ok": r["pages_ok"],
            "pages_failed": r["pages_failed"], "listings_seen": r["listings_seen"],
            "flagged": len(report.flagged_now), **report.counts, "by_severity": report.by_severity,
            "sellers": len(report.sellers), "repeat_sellers": r.get("seller_flags") or 0, "hits": len(report.hits)}


def render_json(report: Report) -> str:
    return json.dumps({"day": report.day.isoformat(), "run_id": report.run["id"],
                       "previous_run_id": report.previous_run["id"] if report.previous_run else None,
                       "summary": summary_of(report), "hits": report.hits}, ensure_ascii=False, indent=2)


def render_html(report: Report) -> str:
    return _env.get_template("report.html.j2").render(r=report, csp=CSP.format(h=SCRIPT_HASH), script=Markup(SCRIPT))


def render_markdown(report: Report) -> str:
    return _env.get_template("report.md.j2").render(r=report)


def render_index(days: list[dict]) -> str:
    return _env.get_template("index.html.j2").render(days=days, csp=CSP.format(h=SCRIPT_HASH),
                                                     generated=datetime.now(timezone.utc).isoformat(timespec="seconds"))


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8", newline="")
    tmp.replace(path)


def _copy_thumbs(report: Report, folder: Path) -> None:
    """Thumbnails live inside the report's folder, so the page loads nothing from outside it."""
    for x in report.listings:
        if not x.thumb or not x.thumb_source:
            continue
        target = folder / x.thumb
        if target.exists() or not x.thumb_source.is_file():
            continue
        target.parent.mkdir(exist_ok=True)
        try:
            os.link(x.thumb_source, target)
        except OSError:
            shutil.copyfile(x.thumb_source, target)


def write_index(reports_dir: Path) -> Path:
    """reports/index.html: every day's report, newest first, with its counts."""
    days = []
    for summary in sorted(Path(reports_dir).glob("*/summary.json"), reverse=True):
        try:
            days.append(json.loads(summary.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
    path = Path(reports_dir) / "index.html"
    _write_text(path, render_index(days))
    return path


def write_report(report: Report, reports_dir: Path) -> Path:
    """Write the day's files into reports_dir/YYYY-MM-DD/, refresh the index, return the folder."""
    folder = Path(reports_dir) / report.day.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    _copy_thumbs(report, folder)
    files = {"report.html": render_html(report), "report.md": render_markdown(report),
             "hits.csv": render_csv(report), "hits.json": render_json(report),
             "summary.json": json.dumps(summary_of(report), ensure_ascii=False, indent=2)}
    for name, text in files.items():
        _write_text(folder / name, text)
    write_index(reports_dir)
    return folder
