"""The command line: parse arguments, call one library function, print. Nothing else lives here.

The top of the flow: may import every package; none imports it."""

import warnings

# requests silences urllib3's "SOCKS support requires PySocks" warning when it is imported, but a library's
# warnings.catch_warnings in another thread can undo that meanwhile (a CI run's Ctrl-C test saw the warning on
# stderr); auditor supports no SOCKS proxy (config says so), so the warning says nothing to its user
warnings.filterwarnings("ignore", message="SOCKS support in urllib3")

from auditor.cli import audit, banks, login, networks, notices, review, rules, worker  # noqa: F401 - each registers its commands on the group
from auditor.cli.base import cli  # noqa: E402

__all__ = ["cli", "main"]


def main() -> None:
    cli(prog_name="auditor")
