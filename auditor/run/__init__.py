"""One audit run from its start to its settled picture: pipeline (run_audit), plan, tools, ingest, settle,
states, the run lock and stopping.

May import the parts (crawl, sites, rules, images, evidence, report, review), the store and the shared
vocabulary; never ops/, serve/ or cli/: whoever starts a run does what follows it (alerts, the next due time).
"""
