"""Render a compiled report as report.html, report.md, hits.csv and hits.json.

Scraped text is hostile: the HTML template escapes everything (Jinja2 autoescape), allows no
scraped markup, links only http(s) URLs, and its Content-Security-Policy forbids scripts and
every remote load; CSV cells that a spreadsheet would run as a formula are neutralised.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, select_autoescape

from auditor.report.compile import Report

CSV_COLUMNS = ["day", "severity", "rule_id", "rule_title", "site", "item_id", "title", "matched", "matched_fields",
               "price", "currency", "buy_now_price", "bids", "status", "seller_id", "seller_name", "category",
               "end_time", "first_seen", "last_seen", "url"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

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


_env.filters["safe_url"] = safe_url
_env.filters["money"] = money
_env.filters["md"] = markdown_text


def neutralize_cell(value) -> str:
    """A cell a spreadsheet would evaluate (=, +, -, @, tab, CR) is prefixed with a quote."""
    text = "" if value is None else (" | ".join(value) if isinstance(value, list) else str(value))
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def render_csv(report: Report) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for h in report.hits:
        writer.writerow([neutralize_cell(h.get(c)) for c in CSV_COLUMNS])
    return buf.getvalue()


def render_json(report: Report) -> str:
    return json.dumps({"day": report.day.isoformat(), "run_id": report.run["id"], "hits": report.hits},
                      ensure_ascii=False, indent=2)


def render_html(report: Report) -> str:
    return _env.get_template("report.html.j2").render(r=report)


def render_markdown(report: Report) -> str:
    return _env.get_template("report.md.j2").render(r=report)


def write_report(report: Report, reports_dir: Path) -> Path:
    """Write the four files into reports_dir/YYYY-MM-DD/ and return that folder."""
    folder = Path(reports_dir) / report.day.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    files = {"report.html": render_html(report), "report.md": render_markdown(report),
             "hits.csv": render_csv(report), "hits.json": render_json(report)}
    for name, text in files.items():
        tmp = folder / f".{name}.tmp"
        tmp.write_text(text, encoding="utf-8", newline="")
        tmp.replace(folder / name)
    return folder
