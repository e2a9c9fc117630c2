"""auditor: find marketplace listings that sell AI-generated obscene images, and the sellers behind them.

The modules at this root are the shared vocabulary every part speaks (config, models, errors, values,
yamlsource, i18n, files, databases, logs, and failpoints, the named points where a test stops a process);
they import nothing of auditor's packages. The packages, and the one way their imports flow
(`lint-imports` checks it, see pyproject.toml):

    cli -> serve | ops -> demo -> work -> run -> report | review -> images -> evidence
        -> sites | rules -> crawl -> store -> the shared vocabulary
"""

__version__ = "0.1.0"
