"""`auditor networks`: the seller networks, listed, and exchanged with partners as STIX 2.1 bundles."""

from __future__ import annotations

from pathlib import Path

import click

from auditor.cli.base import _config, _write_out, cli, out
from auditor.i18n import tr


@cli.group()
def networks() -> None:
    """Seller networks: accounts linked by the pictures they share and the links they show, across venues.

    Export them for a partner team, a police liaison or a threat-intelligence tool as a STIX 2.1 bundle
    (marked with networks.tlp); import a partner's bundle as a watch list, the links it states, and a
    shadow rule that flags its sellers' listings."""


@networks.command("list")
@click.pass_context
def networks_list(ctx: click.Context) -> None:
    """Each network: its sellers (site/id name), how they are linked, its flagged listings."""
    from auditor.images.networks import seller_networks
    from auditor.run.pipeline import open_store

    with open_store(_config(ctx)) as store:
        nets = seller_networks(store)
    if not nets:
        out.print(tr("no seller network yet: sellers are linked by the pictures they share and the links they show"),
                  highlight=False)
    for number, net in enumerate(nets, start=1):
        out.print(tr("network {n}: {sellers} sellers, {flagged} flagged listings ({how})", n=number,
                     sellers=len(net.sellers), flagged=net.flagged, how=", ".join(tr(h) for h in sorted(net.how))),
                  markup=False, highlight=False)
        for site, seller_id in sorted(net.sellers):
            out.print(f"  {site}/{seller_id}  {net.names.get((site, seller_id), '')}", markup=False, highlight=False)


@networks.command("export")
@click.option("--format", "fmt", type=click.Choice(["stix"]), default="stix", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="default: standard output")
@click.pass_context
def networks_export(ctx: click.Context, fmt: str, output: Path | None) -> None:
    """Write the seller networks as a STIX 2.1 bundle: sellers as user accounts, their pages, the pictures they
    share as indicators (SHA-256 and PDQ), their relationships, a grouping per network, the TLP marking."""
    from auditor.images.stix import networks_bundle
    from auditor.run.pipeline import open_store, utc_now

    config = _config(ctx)
    with open_store(config) as store:
        text = networks_bundle(store, tlp=config.networks.tlp, team=config.networks.team, at=utc_now())
    _write_out(text + "\n", output)


@networks.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--no-rule", is_flag=True, help="Keep the watch list and links only; write no rule file.")
@click.pass_context
def networks_import(ctx: click.Context, file: Path, no_rule: bool) -> None:
    """Take in a partner's STIX 2.1 bundle: its sellers (user accounts on venues auditor has a profile for) go on
    the watch list, the relationships between them link them as a network, and a rule flagging their listings
    is written into the rules folder in shadow (`auditor rules promote` puts it into production)."""
    from auditor.images.stix import import_bundle
    from auditor.run.pipeline import open_store, utc_now
    from auditor.sites import PROFILES

    config = _config(ctx)
    with open_store(config) as store:
        done = import_bundle(store, file.read_text(encoding="utf-8", errors="replace"), file.name,
                             known_sites=set(PROFILES), rules_dir=None if no_rule else config.rules_dir, at=utc_now())
    out.print(tr("{sellers} sellers watched, {links} links added from {file}", sellers=done.sellers, links=done.links,
                 file=file.name) + (tr("; {n} accounts on venues without a profile were left out", n=done.skipped)
                                    if done.skipped else ""), markup=False, highlight=False)
    if done.rule_file:
        out.print(tr("wrote {path} (in shadow: `auditor rules promote` puts it into production)", path=done.rule_file),
                  markup=False, highlight=False)
