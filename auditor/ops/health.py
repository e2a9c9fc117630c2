"""Is the daily audit healthy? For monitoring systems: the last scheduled run's status and age against the schedule."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from auditor.config import Config
from auditor.i18n import problem, spoken, text, word
from auditor.ops.trigger import trigger_for
from auditor.store import Store
from auditor.times import local_time

GRACE = timedelta(hours=2)  # a run may start late and take a while before it counts as missed
OK, BAD_RUN, OLD, MISSING = 0, 1, 4, 5  # exit codes


@dataclass(frozen=True)
class Health:
    code: int
    said: str  # the message's template (the message table's key) and its values
    last_run: dict | None
    values: dict = field(default_factory=dict)
    spent: dict | None = None  # per target of that run: requests by kind, item pages spared, seconds waited

    @property
    def message(self) -> str:
        """In the language spoken here (the terminal's)."""
        return self.message_in(spoken())

    def message_in(self, lang: str) -> str:
        """In a reader's language (an alert's; JSON's is English)."""
        said = {"status": lambda v: word(lang, "status", v), "why": lambda v: problem(lang, v)}
        return text(lang, self.said, **{k: said.get(k, str)(v) for k, v in self.values.items()})

    def as_json(self) -> dict:
        r = self.last_run or {}
        return {"healthy": self.code == OK, "code": self.code, "message": self.message_in("en"), "run_id": r.get("id"),
                "status": r.get("status"), "started_at": r.get("started_at"), "finished_at": r.get("finished_at"),
                "spent": self.spent or {}}


def _last_scheduled(config: Config, store: Store) -> tuple[dict | None, datetime | None]:
    """The last finished scheduled run, and when the schedule's next fire after it was due."""
    rows = list(store.db.query("select * from runs where kind = 'scheduled' and status != 'running' order by id desc limit 1"))
    if not rows:
        return None, None
    started = datetime.fromisoformat(rows[0]["started_at"]).astimezone(config.schedule.zone)
    return rows[0], trigger_for(config.schedule).get_next_fire_time(None, started)


def _when(t: datetime, config: Config) -> str:
    return local_time(t.isoformat(), config.schedule.zone)


def _made_good(store: Store, run: dict) -> dict | None:
    """A later manual run that completed and read every target of the failed scheduled one: the day was made good."""
    wanted = set(json.loads(run["targets"] or "[]"))
    for later in store.db.query("select * from runs where id > ? and kind = 'manual' and status = 'completed'"
                                " order by id desc", [run["id"]]):
        if wanted <= set(json.loads(later["targets"] or "[]")):
            return later
    return None


def check_health(config: Config, store: Store, now: datetime) -> Health:
    health = _check(config, store, now)
    return replace(health, spent=store.spent_of_run(health.last_run["id"])) if health.last_run else health


def _check(config: Config, store: Store, now: datetime) -> Health:
    run, due = _last_scheduled(config, store)
    if run is None:
        return Health(MISSING, "no scheduled run has finished yet (is `auditor schedule` running?)", None)
    started = datetime.fromisoformat(run["started_at"])
    if due is not None and now > due + GRACE:
        return Health(OLD, "no scheduled run since run #{run} ({started}); one was due at {due}", run,
                      {"run": run["id"], "started": _when(started, config), "due": _when(due, config)})
    if run["status"] != "completed":
        good = _made_good(store, run)
        if good is not None:
            return Health(OK, "the last scheduled run #{run} was {status}, and run #{good} (manual, {when}) read all its "
                              "targets since", good, {"run": run["id"], "status": run["status"], "good": good["id"],
                                                      "when": _when(datetime.fromisoformat(good["started_at"]), config)})
        return Health(BAD_RUN, "the last scheduled run #{run} is {status}: {why}", run,
                      {"run": run["id"], "status": run["status"], "why": run["error"] or "–"})
    return Health(OK, "the last scheduled run #{run} completed ({started})", run,
                  {"run": run["id"], "started": _when(started, config)})


def next_due(config: Config, store: Store) -> dict | None:
    """When the report index should start saying "no run since": the next scheduled fire after the last finished
    scheduled run, plus the grace (None before the first scheduled run)."""
    run, due = _last_scheduled(config, store)
    if run is None or due is None:
        return None
    started = datetime.fromisoformat(run["started_at"]).astimezone(config.schedule.zone)
    return {"at": (due + GRACE).isoformat(), "since": f"{started:%Y-%m-%d %H:%M}",
            "run": run["id"]}
