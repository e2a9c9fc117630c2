"""What runs around runs: the schedule (APScheduler 3.x), health, alerts and notifications, doctor, and
`start_audit` (ops.audit), which starts a run as its starters do and then sends its alerts.

May import anything below it (demo, work, run, the parts, the store, the vocabulary); never cli/ or serve/.
"""
