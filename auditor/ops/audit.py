"""A run started as its starters start it (the CLI, the scheduler, the demo): the run itself, then its alerts.

The run (auditor.run.pipeline.run_audit) never imports ops/: it is handed what follows it. This module hands
it the three things: `after`, the alerts once it has ended however it ended; `due`, the next scheduled run
that its reports' index shows; and, with workers.enabled, how the `auditor worker`s read its pages.
"""

from __future__ import annotations

from dataclasses import replace

from auditor.config import Config
from auditor.models import RunSummary
from auditor.ops.health import next_due
from auditor.ops.notify import notify_run
from auditor.run.pipeline import AuditOptions, run_audit, utc_now
from auditor.store import DatabaseClock, Store


def with_ops(config: Config, options: AuditOptions | None = None) -> AuditOptions:
    """The options with the starter's part filled in (alerts, the due time, the workers' crawl)."""
    opts = options or AuditOptions()
    workers = None
    if config.workers.enabled:
        from auditor.work.coordinator import crawl_by_workers as workers  # procrastinate: loaded only when used

    return replace(opts, after=lambda store, summary, at: notify_run(config, store, summary, at),
                   due=lambda store: next_due(config, store), crawl_by_workers=workers)


def start_audit(config: Config, store: Store, options: AuditOptions | None = None) -> RunSummary:
    """One audit run, then its alerts: what `auditor run`, `auditor schedule` and `auditor demo` do. A run done by
    workers keeps the database's time, as its workers do (a clock given in the options, a test's, is kept)."""
    opts = with_ops(config, options)
    if config.workers.enabled and opts.clock is utc_now:
        opts = replace(opts, clock=DatabaseClock(store))
    return run_audit(config, store, opts)
