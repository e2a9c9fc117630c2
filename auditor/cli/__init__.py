"""The command line: parse arguments, call one library function, print. Nothing else lives here.

The top of the flow: may import every package; none imports it."""

from auditor.cli import audit, banks, login, networks, notices, review, rules, worker  # noqa: F401 - each registers its commands on the group
from auditor.cli.base import cli

__all__ = ["cli", "main"]


def main() -> None:
    cli(prog_name="auditor")
