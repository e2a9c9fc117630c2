"""Runs done by `auditor worker` processes on any number of machines, through procrastinate's queue in PostgreSQL.

The process that starts a run (`auditor run`, the scheduler) coordinates it: it defers the run's jobs,
gives the jobs of a worker that died to others, and finishes the run as a single process does (settling
states, seller rules, reports) once no job is left. See coordinator.py, tasks.py and queue.py.

May import run/ and everything below it; never demo/, ops/, serve/ or cli/ (ops hands the coordinator to a run).
"""
