"""The daily picture in SQL: each listing's last known state, and the states each run gave."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Iterable

from auditor.store.times import iso


class PictureTables:
    """Mixed into Store: reads and writes of `picture` and `listing_states`."""

    db: object

    def run_read_keys(self, run_id: int) -> set[tuple[str, str]]:
        """The listings a run read (from their pages or their search cards)."""
        return {(r[0], r[1]) for r in self.db.execute("select distinct site, item_id from observations where run_id = ?",
                                                       [run_id])}

    def picture_keys(self, targets: Iterable[str]) -> set[tuple[str, str]]:
        """The listings the daily picture holds for these targets."""
        names = sorted(set(targets))
        if not names:
            return set()
        return {(r[0], r[1]) for r in self.db.execute(
            f"select site, item_id from picture where target in ({', '.join('?' * len(names))})", names)}

    def run_reads(self, run_id: int, among: Iterable[tuple[str, str]]) -> dict[tuple[str, str], dict]:
        """What a run read of each of these listings: the last observation (source, status, version) and the
        rules that fired. Read as one range of the run's (site, item_id) index, so best given in sorted batches."""
        wanted = set(among)
        if not wanted:
            return {}
        low, high = min(wanted), max(wanted)
        span = "{t}run_id = ? and ({t}site, {t}item_id) >= (?, ?) and ({t}site, {t}item_id) <= (?, ?)"
        args = [run_id, *low, *high]
        out: dict[tuple[str, str], dict] = {}
        for r in self.db.query("select o.site, o.item_id, o.status, o.version_id, o.source, l.target from observations o"
                               " join listings l on l.site = o.site and l.item_id = o.item_id"
                               f" where {span.format(t='o.')} order by o.id", args):
            key = (r["site"], r["item_id"])
            if key not in wanted:
                continue
            before = out.get(key)
            if before is not None and before["source"] == "item" and r["source"] == "card":
                continue  # a card never overrides the item page read in the same run
            out[key] = {**r, "rules": {}}
        for h in self.db.query(f"select site, item_id, rule_id, severity from hits where {span.format(t='')}", args):
            if (h["site"], h["item_id"]) in out:
                out[(h["site"], h["item_id"])]["rules"][h["rule_id"]] = h["severity"]
        return out

    def picture_rows(self, targets: Iterable[str], keys: Iterable[tuple[str, str]] = ()) -> dict[tuple[str, str], dict]:
        """The picture's rows of these targets, and of these listings wherever they belong, with the listing's URL."""
        out: dict[tuple[str, str], dict] = {}
        names = sorted(set(targets))
        if names:
            marks = ", ".join("?" * len(names))
            for r in self.db.query(f"select p.*, l.url from picture p join listings l on l.site = p.site and"
                                   f" l.item_id = p.item_id where p.target in ({marks})", names):
                out[(r["site"], r["item_id"])] = r
        wanted = sorted({k for k in keys if k not in out})
        for i in range(0, len(wanted), 400):  # through the primary key, 400 listings a query
            chunk = wanted[i:i + 400]
            values = ", ".join("(?, ?)" for _ in chunk)
            for r in self.db.query(f"with k (site, item_id) as (values {values}) select p.*, l.url from k"
                                   f" join picture p on p.site = k.site and p.item_id = k.item_id"
                                   f" join listings l on l.site = p.site and l.item_id = p.item_id",
                                   [v for key in chunk for v in key]):
                out[(r["site"], r["item_id"])] = r
        return out

    def followed(self, targets: Iterable[str]) -> list[dict]:
        """The listings followed in these targets (open in the picture), with their item URL and target: the run
        checks each page. With them, the listings a released bank entry matched while held (BankTables.rechecks)."""
        names = sorted(set(targets))
        if not names:
            return []
        marks = ", ".join("?" * len(names))
        rows = list(self.db.query(
            f"select l.url, p.site, p.item_id, p.target from picture p join listings l on l.site = p.site and"
            f" l.item_id = p.item_id where p.target in ({marks}) and p.state in ('new', 'escalated', 'active', 'evaded')"
            f" and p.status not in ('sold', 'ended', 'removed')", names))
        keys = {(r["site"], r["item_id"]) for r in rows}
        return rows + [r for r in self.rechecks(names) if (r["site"], r["item_id"]) not in keys]

    def alias_addresses(self) -> list[dict[str, str]]:
        """Every alias map runs have used ({"demo:": "http://127.0.0.1:PORT"}), to carry stored URLs across."""
        return [json.loads(r["aliases"]) for r in self.db.query(
            "select distinct aliases from runs where aliases is not null and aliases not in ('', '{}')"
            " union select aliases from run_aliases")]

    def versions(self, ids: Iterable[int | None]) -> dict[int, dict]:
        wanted = sorted({i for i in ids if i is not None})
        out: dict[int, dict] = {}
        for i in range(0, len(wanted), 500):
            chunk = wanted[i:i + 500]
            for r in self.db.query(f"select * from listing_versions where id in ({', '.join('?' * len(chunk))})", chunk):
                out[r["id"]] = r
        return out

    def save_states(self, run_id: int, batches: Iterable[tuple[list[dict], list[dict]]], at: datetime) -> None:
        """A run's states, and (for runs that feed the daily picture) the picture's new rows, in one transaction.
        `batches` gives (states, picture rows) a batch of listings at a time, worked out as it is read: the
        run's listings are never all in memory at once."""
        now = iso(at)
        with self.write():
            self.db.execute("delete from listing_states where run_id = ?", [run_id])  # a resumed run settles again
            for rows, picture in batches:
                self._save_batch(run_id, rows, picture, now)

    def _save_batch(self, run_id: int, rows: list[dict], picture: list[dict], now: str) -> None:
        for r in rows:
            self.db.execute(
                "insert into listing_states (run_id, site, item_id, target, state, reason, rules, added,"
                " matched_version, current_version, status, source) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [run_id, r["site"], r["item_id"], r["target"], r["state"], r["reason"], json.dumps(r["rules"]),
                 json.dumps(list(r["added"])), r["matched_version"], r["current_version"], r["status"], r["source"]])
        for p in picture:
            self.db.execute(
                "insert into picture (site, item_id, target, state, status, rules, version_id, run_id, since,"
                " review_since, review_run) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " on conflict (site, item_id) do update set target = excluded.target, state = excluded.state,"
                " status = excluded.status, rules = excluded.rules, version_id = excluded.version_id,"
                " run_id = excluded.run_id,"
                " since = case when picture.state = excluded.state then picture.since else excluded.since end,"
                " review_since = case when excluded.state in ('new', 'escalated', 'evaded')"
                "   and picture.state != excluded.state then excluded.review_since else picture.review_since end,"
                " review_run = case when excluded.state in ('new', 'escalated', 'evaded')"
                "   and picture.state != excluded.state then excluded.review_run else picture.review_run end",
                [p["site"], p["item_id"], p["target"], p["state"], p["status"], json.dumps(p["rules"]),
                 p["version_id"], run_id, now, now, run_id])

    def run_settled(self, run_id: int) -> bool:
        """Whether the run has recorded its listings' states (and moved the picture on)."""
        return self.db.execute("select 1 from listing_states where run_id = ? limit 1", [run_id]).fetchone() is not None

    def states_of_run(self, run_id: int, targets: Iterable[str] | None = None) -> list[dict]:
        rows = list(self.db.query("select * from listing_states where run_id = ? order by id", [run_id]))
        if targets is not None:
            keep = set(targets)
            rows = [r for r in rows if r["target"] in keep]
        return rows

    def state_history(self, site: str, item_id: str) -> list[dict]:
        """Every state a listing was given, oldest first, with its run."""
        return list(self.db.query(
            "select s.*, r.started_at, r.kind from listing_states s join runs r on r.id = s.run_id"
            " where s.site = ? and s.item_id = ? order by s.run_id", [site, item_id]))

    def evaded_before(self, keys: Iterable[tuple[str, str]], run_id: int) -> dict[tuple[str, str], str]:
        """Of these listings, those some run before this one saw evading (edited, no rule matching), with when."""
        wanted = sorted(set(keys))
        out: dict[tuple[str, str], str] = {}
        for i in range(0, len(wanted), 400):
            chunk = wanted[i:i + 400]
            values = ", ".join("(?, ?)" for _ in chunk)
            for row in self.db.query(
                    f"with k (site, item_id) as (values {values}) select s.site, s.item_id, max(r.started_at) as at"
                    " from k join listing_states s on s.site = k.site and s.item_id = k.item_id join runs r"
                    " on r.id = s.run_id where s.state = 'evaded' and s.run_id < ? group by s.site, s.item_id",
                    [v for key in chunk for v in key] + [run_id]):
                out[(row["site"], row["item_id"])] = row["at"]
        return out

    def matched_hits(self, site: str, item_id: str, version_id: int | None, up_to_run: int) -> list[dict]:
        """The hits (rules and spans) of a listing's text version, from the last run up to this one that matched it."""
        rows = list(self.db.query("select * from hits where site = ? and item_id = ? and run_id <= ?"
                                  + (" and version_id = ?" if version_id is not None else "")
                                  + " order by run_id desc, id", [site, item_id, up_to_run]
                                  + ([version_id] if version_id is not None else [])))
        return [r for r in rows if r["run_id"] == rows[0]["run_id"]] if rows else []

    def day_coverage(self, start: datetime, end: datetime, kinds: tuple[str, ...]) -> list[dict]:
        """For each target audited between start and end by runs of these kinds: the run that stands for it, and
        every run of that time that read it ("runs", oldest first).

        The last run that read the target completely; else the last run that tried (failed or partial)."""
        marks = ", ".join("?" * len(kinds))
        runs = list(self.db.query(f"select * from runs where started_at >= ? and started_at < ? and kind in ({marks})"
                                  f" and status not in ('running', 'interrupted') order by id", [iso(start), iso(end), *kinds]))
        best: dict[str, dict] = {}
        for run in runs:
            states = {r["target"]: r for r in self.db.query("select * from run_targets where run_id = ?", [run["id"]])}
            for target in json.loads(run["targets"] or "[]"):
                t = states.get(target)
                complete = bool(t and t["complete"]) and run["status"] != "failed"
                reason = (t["reason"] if t else None) or (run["error"] if not complete else None)
                chosen = best.get(target)
                runs_of = [*(chosen["runs"] if chosen else []), run]
                if chosen is None or complete or not chosen["complete"]:
                    best[target] = {"target": target, "run": run, "complete": complete, "reason": reason, "runs": runs_of}
                else:
                    chosen["runs"] = runs_of
        return [best[t] for t in sorted(best)]
