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
from dataclasses import replace
import os
import re
import shutil
import tempfile
from datetime import datetime, timezone
from decimal import Decimal
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, pass_context, select_autoescape
from markupsafe import Markup

from auditor.cells import neutralize_cell
from auditor.files import write_atomic
from auditor.i18n import LANGUAGES, problem, reason, text, word
from auditor.report.compile import Report
from auditor.rules.normalize import compact
from auditor.times import local_time

CSV_COLUMNS = ["day", "state", "reason", "severity", "rule_id", "rule_title", "escalated_by", "site", "item_id",
               "title", "current_title", "labels", "matched", "matched_fields", "price", "currency", "buy_now_price", "bids",
               "status", "end_time", "needs_decision", "decision", "decided_by", "decided_at", "ticket",
               "seller_id", "seller_name", "seller_url", "target", "run_id", "read_from",
               "first_seen", "last_seen", "url", "thumbnail", "screenshot", "screenshot_sha256", "html", "html_sha256",
               "captured_at"]
CSV_TIMES = ("end_time", "first_seen", "last_seen", "captured_at", "decided_at")
SCRIPT = resources.files("auditor.report").joinpath("templates/report.js").read_text(encoding="utf-8")
SCRIPT_HASH = base64.b64encode(hashlib.sha256(SCRIPT.encode("utf-8")).digest()).decode()
INDEX_SCRIPT = resources.files("auditor.report").joinpath("templates/index.js").read_text(encoding="utf-8")
INDEX_HASH = base64.b64encode(hashlib.sha256(INDEX_SCRIPT.encode("utf-8")).digest()).decode()
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


def markdown_text(value: str | None) -> str:
    """Scraped text inside Markdown: no emphasis, links, HTML or table breaks get through, nothing else escaped."""
    value = " ".join(str(value or "").split())
    return "".join("\\" + ch if ch in "\\`*_[]<>|~" else ch for ch in value)


def markdown_code(value: str | None, in_table: bool = False) -> str:
    """An id exactly as it is, as a Markdown code span (a fence longer than any run of backticks inside);
    in a table cell a pipe is escaped, as GFM requires."""
    value = " ".join(str(value or "").split())
    if in_table:
        value = value.replace("|", "\\|")
    fence = "`" * (max((len(r) for r in re.findall("`+", value)), default=0) + 1)
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


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


def utc_z(iso: str | None) -> str | None:
    """A stored time as ISO 8601 UTC with 'Z' (for JSON)."""
    if not iso:
        return iso
    try:
        t = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@pass_context
def _ts(ctx, iso: str | None) -> str:
    return local_time(iso, ctx["zone"])


@pass_context
def _t(ctx, key: str, **values) -> str:
    return text(ctx["lang"], key, **values)


@pass_context
def _w(ctx, kind: str, value) -> str:
    return word(ctx["lang"], kind, value)


@pass_context
def _why(ctx, value) -> str:
    return reason(ctx["lang"], value)


@pass_context
def _problem(ctx, value) -> str:
    return problem(ctx["lang"], value)


def search_text(x) -> str:
    """What the report's filter searches in a row, in the form the rules compare text (auditor.rules.normalize)."""
    parts = [x.title, x.current_title or "", x.description, *x.tags, x.seller_name or "", x.seller_id or "",
             x.item_id, x.site, *(r["id"] for r in x.rules)]
    return " ".join(compact(p) for p in parts if p)


_env.filters.update(safe_url=safe_url, money=money, md=markdown_text, code=markdown_code, duration=duration, ts=_ts,
                    search_text=search_text)
_env.globals.update(sparkline=sparkline, t=_t, w=_w, why=_why, problem=_problem, plural=plural)


def _evidence_columns(hit: dict) -> dict:
    out = {"screenshot": None, "screenshot_sha256": None, "html": None, "html_sha256": None, "captured_at": None}
    for e in hit["evidence"]:
        if e["kind"] in ("screenshot", "html") and out[e["kind"]] is None:
            out[e["kind"]], out[f"{e['kind']}_sha256"], out["captured_at"] = e["path"], e["sha256"], e["captured_at"]
    return out


def render_csv(report: Report) -> str:
    """hits.csv: UTF-8 with a BOM (Excel on Japanese Windows reads it right), times in the configured zone."""
    buf = io.StringIO()
    buf.write("\ufeff")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for h in report.hits:
        row = {**h, **_evidence_columns(h)}
        for c in CSV_TIMES:
            row[c] = local_time(row.get(c), report.zone, seconds=True) if row.get(c) else None
        writer.writerow([neutralize_cell(row.get(c)) for c in CSV_COLUMNS])
    return buf.getvalue()


def summary_of(report: Report, version: int = 1) -> dict:
    """The report's counts: summary.json, which the archive index reads. Times in UTC ('Z')."""
    r, totals = report.run, report.totals
    return {"scope": report.scope, "day": report.day.isoformat(), "version": version, "run_id": r["id"],
            "kind": r.get("kind") or "manual", "status": r["status"], "started_at": utc_z(r["started_at"]),
            "finished_at": utc_z(r["finished_at"]),
            "covers": [{"target": c.target, "run_id": c.run["id"], "runs": [r["id"] for r in c.all_runs],
                        "complete": c.complete, "reason": c.reason} for c in report.covered],
            "targets": report.targets, **totals, "flagged": len(report.flagged_now),
            "needs_decision": report.needs_decision, "needs_for_sale": report.needs_for_sale,
            "needs_sold": report.needs_sold, **report.counts, "by_severity": report.by_severity,
            "sellers": len(report.sellers), "repeat_sellers": sum(1 for s in report.sellers if s.flags),
            "hits": len(report.hits)}


def render_json(report: Report) -> str:
    hits = []
    for h in report.hits:
        h = dict(h)
        for c in ("end_time", "first_seen", "last_seen", "decided_at"):
            h[c] = utc_z(h[c])
        h["evidence"] = [{**e, "captured_at": utc_z(e["captured_at"])} for e in h["evidence"]]
        hits.append(h)
    return json.dumps({"scope": report.scope, "day": report.day.isoformat(), "run_id": report.run["id"],
                       "runs": [r["id"] for r in report.runs], "summary": summary_of(report), "hits": hits},
                      ensure_ascii=False, indent=2)


def _context(report: Report) -> dict:
    return {"r": report, "zone": report.zone, "lang": report.language, "csp": CSP.format(h=SCRIPT_HASH),
            "script": Markup(SCRIPT), "home": "../index.html" if report.scope == "day" else "../../index.html"}


def render_html(report: Report) -> str:
    return _env.get_template("report.html.j2").render(**_context(report))


def render_markdown(report: Report) -> str:
    return _env.get_template("report.md.j2").render(**_context(report))


def render_index(days: list[dict], runs: list[dict], zone: ZoneInfo, language: str, due: dict | None = None) -> str:
    """`due`: {at: the time the next scheduled run is due (ISO), since, why}: past it, the page says so in red."""
    return _env.get_template("index.html.j2").render(days=days, runs=runs, csp=CSP.format(h=INDEX_HASH), zone=zone,
                                                     lang=language, due=due, script=Markup(INDEX_SCRIPT))


def _write_text(path: Path, text_: str) -> None:
    write_atomic(path, text_.encode("utf-8"))


def _files_of(report: Report) -> dict[str, bytes]:
    """The report's files; report.html in the report's language, and report.LANG.html in each other one (the
    console serves each reader their own)."""
    files = {"report.html": render_html(report).encode("utf-8"), "report.md": render_markdown(report).encode("utf-8"),
             "hits.csv": render_csv(report).encode("utf-8"), "hits.json": render_json(report).encode("utf-8"),
             "summary.json": json.dumps(summary_of(report), ensure_ascii=False, indent=2).encode("utf-8")}
    for lang in LANGUAGES:
        if lang != report.language:
            files[f"report.{lang}.html"] = render_html(replace(report, language=lang)).encode("utf-8")
    return files


def _same(folder: Path, files: dict[str, bytes], thumbs: set[str]) -> bool:
    for name, data in files.items():
        path = folder / name
        if name == "summary.json":
            continue  # it carries the version number
        if name.count(".") == 2 and not path.is_file():
            continue  # written before reports came in every language: the same report, in its own language
        if not path.is_file() or path.read_bytes() != data:
            return False
    have = {p.relative_to(folder).as_posix() for sub in ("thumbs", "media") if (folder / sub).is_dir()
            for p in (folder / sub).glob("*")}
    return have == thumbs


def publish(report: Report, base: Path, name: str) -> Path:
    """Write the report into base/name, or into name.v2, .v3 ... when an earlier version differs: a report
    once written never changes. An identical rebuild writes nothing and returns the existing folder."""
    base.mkdir(parents=True, exist_ok=True)
    files = _files_of(report)
    thumbs = {x.thumb: x.thumb_source for x in report.listings if x.thumb and x.thumb_source and x.thumb_source.is_file()}
    thumbs.update({e.href: e.source for x in report.listings for e in x.evidence if e.source and e.source.is_file()})
    thumb_names = set(thumbs)
    for version in range(1, 10_000):
        folder = base / (name if version == 1 else f"{name}.v{version}")
        if folder.exists():
            if _same(folder, files, thumb_names):
                return folder
            continue
        tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=base))
        files["summary.json"] = json.dumps(summary_of(report, version), ensure_ascii=False, indent=2).encode("utf-8")
        for fname, data in files.items():
            (tmp / fname).write_bytes(data)
        for rel, source in thumbs.items():
            target = tmp / rel
            target.parent.mkdir(exist_ok=True)
            try:
                os.link(source, target)
            except OSError:
                shutil.copyfile(source, target)
        try:
            os.rename(tmp, folder)  # whole, or not at all; a folder that appeared meanwhile is never written into
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)
            continue
        return folder
    raise RuntimeError(f"too many versions of {base / name}")


_VERSION = re.compile(r"^(?P<name>.+?)(?:\.v(?P<v>\d+))?$")


def latest_versions(base: Path) -> dict[str, tuple[int, Path]]:
    """For each report folder under base: its newest version and folder."""
    out: dict[str, tuple[int, Path]] = {}
    if not base.is_dir():
        return out
    for folder in base.iterdir():
        m = _VERSION.match(folder.name)
        if not folder.is_dir() or folder.name.startswith(".") or not m or not (folder / "summary.json").is_file():
            continue
        v = int(m["v"] or 1)
        if m["name"] not in out or v > out[m["name"]][0]:
            out[m["name"]] = (v, folder)
    return out


def _summaries(base: Path, prefix: str) -> list[dict]:
    out = []
    for name, (version, folder) in latest_versions(base).items():
        try:
            data = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        out.append({**data, "href": f"{prefix}{folder.name}/report.html", "version": version, "name": name})
    return out


def write_index(reports_dir: Path, zone: ZoneInfo = ZoneInfo("UTC"), language: str = "en", due: dict | None = None) -> Path:
    """reports/index.html: every day's report (its latest version) and the runs, newest first; with `due`, a red
    "no run since" line a reader sees once their clock is past the next scheduled run's time."""
    days = sorted((d for d in _summaries(Path(reports_dir), "") if d.get("scope") == "day"),
                  key=lambda d: d["day"], reverse=True)
    runs = sorted(_summaries(Path(reports_dir) / "runs", "runs/"), key=lambda d: d["run_id"], reverse=True)
    path = Path(reports_dir) / "index.html"
    _write_text(path, render_index(days, runs[:200], zone, language, due))
    return path
