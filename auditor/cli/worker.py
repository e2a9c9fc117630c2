"""`auditor worker`: take the jobs of runs from the queue in PostgreSQL (workers.enabled in config.yaml)."""

from __future__ import annotations

import click

from auditor.cli.base import AuditorError, _config, cli, console
from auditor.databases import redacted
from auditor.i18n import tr


@cli.command()
@click.option("--concurrency", "-c", type=click.IntRange(1, 32), default=None,
              help="Jobs at once in this process (default: workers.concurrency in the config).")
@click.option("--name", default=None, help="This worker's name in the queue and logs (default: host:pid).")
@click.option("--until-empty", is_flag=True, help="Stop when the queue has no job left, instead of waiting for more.")
@click.pass_context
def worker(ctx: click.Context, concurrency: int | None, name: str | None, until_empty: bool) -> None:
    """Take the jobs of audit runs (search pages, item pages with their evidence and pictures) until stopped.

    Start as many as you like, on as many machines as reach the database and the marketplaces; each
    uses the same config.yaml (and rules folder). The process that starts a run (`auditor run`,
    `auditor schedule`) waits for the run's jobs, gives a dead worker's jobs to others, and writes the
    report. SIGTERM or Ctrl-C: the jobs in flight finish, then the worker exits.
    """
    from auditor.work.tasks import run_worker

    config = _config(ctx)
    if not config.postgres:
        raise AuditorError(tr("`auditor worker` needs a PostgreSQL database (database: postgresql://… in config.yaml): "
                              "the job queue lives there"))
    if not config.workers.enabled:
        console.print("[yellow]" + tr("workers.enabled is false in the config: runs do not defer jobs to workers "
                                      "until it is true") + "[/]")
    console.print(tr("worker taking jobs from {database} (concurrency {n}); Ctrl-C or SIGTERM to stop",
                     database=redacted(config.database), n=concurrency or config.workers.concurrency), highlight=False)
    run_worker(config, concurrency=concurrency, name=name, wait=not until_empty)
