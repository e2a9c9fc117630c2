"""`auditor banks`: the hash banks of confirmed images (list, create, add, remove, import, export, feedback, held,
release)."""

from __future__ import annotations

import getpass
from pathlib import Path

import click

from auditor.cli.base import _config, cli, out
from auditor.i18n import tr


@cli.group()
def banks() -> None:
    """Hash banks: PDQ hashes of confirmed images, matched against every listing image a run fetches.

    Confirming a violation in the review console adds the listing's pictures to the bank
    `images.confirm_bank` (default: confirmed). Share banks with `export` and `import`, as CSV (with each
    entry's provenance) or in the ThreatExchange / HMA file format (`pdq <hex>`, `video_md5 <hex>` a line);
    send partners `feedback` on their entries. An entry that suddenly matches far more listings than usual is
    held (`held`) until a lead releases it (`release`)."""


def _store(ctx: click.Context):
    from auditor.run.pipeline import open_store

    return open_store(_config(ctx))


def _now():
    from auditor.run.pipeline import utc_now

    return utc_now()


@banks.command("list")
@click.pass_context
def banks_list(ctx: click.Context) -> None:
    """Each bank, how many hashes it holds, and who made it when."""
    from auditor.times import local_time

    zone = _config(ctx).schedule.zone
    with _store(ctx) as store:
        rows = store.banks()
        verdicts = {b["name"]: store.imported_entry_verdicts(b["name"]) for b in rows}
    if not rows:
        out.print(tr("no banks yet: `auditor banks create confirmed`, or confirm a violation in the console"))
    for b in rows:
        withdrawn = tr(", {n} withdrawn (their confirmation was replaced)", n=b["withdrawn"]) if b.get("withdrawn") else ""
        if b.get("held"):
            withdrawn += tr(", {n} held for a flood (`auditor banks held`)", n=b["held"])
        out.print(tr("{name}: {n} hashes{withdrawn} (made {day} by {who})", name=b["name"], n=b["entries"],
                     withdrawn=withdrawn, day=local_time(b["created_at"], zone)[:10], who=b["created_by"])
                  + (f" - {b['description']}" if b["description"] else ""), markup=False, highlight=False)
        judged = verdicts.get(b["name"]) or {}
        if judged:
            out.print(tr("  its imported entries, as our decisions judged listings showing them (the entries stay as "
                         "imported): ") + ", ".join(f"{v} {n}" for v, n in judged.items()), highlight=False)


@banks.command("create")
@click.argument("name")
@click.option("--description", default="", help="what the bank holds")
@click.option("--mirrors/--no-mirrors", default=True, show_default=True,
              help="also match mirror images and rotations of its pictures (PDQ's 8 dihedral variants)")
@click.pass_context
def banks_create(ctx: click.Context, name: str, description: str, mirrors: bool) -> None:
    """Make an empty bank."""
    from auditor.images.banks import check_name

    with _store(ctx) as store:
        made = store.create_bank(check_name(name), description, getpass.getuser(), _now(), mirrors)
    out.print(tr("bank {name} created" if made else "bank {name} already exists", name=name), markup=False, highlight=False)


@banks.command("add")
@click.argument("name")
@click.argument("images", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--tag", "tags", multiple=True, help="a tag for these hashes (repeatable)")
@click.pass_context
def banks_add(ctx: click.Context, name: str, images: tuple[Path, ...], tags: tuple[str, ...]) -> None:
    """Hash image files and add them to a bank (images with a PDQ quality under 50 are refused)."""
    from auditor.images.banks import require
    from auditor.images.pdq import BadImage, hash_image

    entries = []
    for path in images:
        try:
            pdq = hash_image(path.read_bytes())
        except BadImage as e:
            raise click.ClickException(f"{path}: {e}") from None
        if not pdq.reliable:
            raise click.ClickException(tr("{path}: PDQ quality {quality} is under 50 (too flat to match reliably)",
                                          path=path, quality=pdq.quality))
        entries.append({"pdq": pdq.hex, "quality": pdq.quality, "source": "file", "ref": path.name, "tags": tags})
    with _store(ctx) as store:
        added = store.add_to_bank(require(store, name), entries, getpass.getuser(), _now())
    held = len(entries) - added
    out.print(tr("{added} of {n} added to {name}", added=added, n=len(entries), name=name)
              + (tr(" ({n} were in it already)", n=held) if held else ""),
              markup=False, highlight=False)


@banks.command("remove")
@click.argument("name")
@click.argument("hashes", nargs=-1, required=True)
@click.pass_context
def banks_remove(ctx: click.Context, name: str, hashes: tuple[str, ...]) -> None:
    """Take entries out of a bank by their hash: PDQ hashes (64 hex digits) or exact digests (MD5: 32)."""
    from auditor.images.banks import require

    wanted = [h.strip().lower() for h in hashes]
    bad = [h for h in wanted if len(h) not in (32, 64) or any(c not in "0123456789abcdef" for c in h)]
    if bad:
        raise click.ClickException(tr("{value!r} is not a hash (32 or 64 hex digits)", value=bad[0][:80]))
    with _store(ctx) as store:
        removed = store.remove_from_bank(require(store, name), wanted)
    out.print(tr("{n} removed from {name}", n=removed, name=name), markup=False, highlight=False)


@banks.command("import")
@click.argument("name")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["csv", "te"]), help="default: csv for .csv files, else te")
@click.option("--source", help="where the file comes from (a partner, an exchange), kept with each entry and shown "
              "in every match; default: the file's name (a CSV's own source column comes first)")
@click.option("--create", is_flag=True, help="make the bank if it does not exist")
@click.pass_context
def banks_import(ctx: click.Context, name: str, file: Path, fmt: str | None, source: str | None, create: bool) -> None:
    """Add the entries of a bank file: PDQ hashes, and exact MD5 / SHA-256 digests (ThreatExchange's `video_md5`,
    `video_sha256`), each with its provenance. The file is checked whole first: a bad, duplicate or wrong-length
    line stops it, naming the line, and nothing is added."""
    from auditor.images.banks import check_name, require
    from auditor.images.exchange import read_file

    entries = read_file(file, fmt, source=source, now=_now())
    with _store(ctx) as store:
        if create:
            store.create_bank(check_name(name), tr("imported from {file}", file=file.name), getpass.getuser(), _now())
        added = store.add_to_bank(require(store, name), entries, getpass.getuser(), _now())
    out.print(tr("{added} of {n} hashes added to {name}", added=added, n=len(entries), name=name), markup=False,
              highlight=False)


def _write(output: Path | None, text: str, said: str) -> None:
    from auditor.files import write_atomic

    if output is None:
        click.echo(text, nl=False)
    else:
        write_atomic(output, text.encode("utf-8"), 0o644)
        out.print(said, markup=False, highlight=False)


@banks.command("export")
@click.argument("name")
@click.option("--format", "fmt", type=click.Choice(["csv", "te"]), default="csv", show_default=True,
              help="csv: with each entry's provenance; te: the ThreatExchange local-file format")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="default: standard output")
@click.pass_context
def banks_export(ctx: click.Context, name: str, fmt: str, output: Path | None) -> None:
    """Write a bank's entries for sharing with other platforms and NGOs (withdrawn ones left out)."""
    from auditor.images.banks import require
    from auditor.images.exchange import write_file

    with _store(ctx) as store:
        text = write_file(store.bank_entries([require(store, name)]), fmt)
    _write(output, text, tr("{path}: {n} hashes", path=output, n=text.count(chr(10)) - (fmt == "csv")))


@banks.command("feedback")
@click.argument("name")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="default: standard output")
@click.pass_context
def banks_feedback(ctx: click.Context, name: str, output: Path | None) -> None:
    """What our reviewers decided on the listings a bank's imported entries matched, per entry, for the partners
    who shared them: a CSV of ThreatExchange opinions (POSITIVE_CLASS: confirmed; NEGATIVE_CLASS: a false
    positive; DISPUTED: both), with the entry's source and its id there."""
    from auditor.images.banks import require
    from auditor.images.exchange import feedback, feedback_file

    with _store(ctx) as store:
        rows = feedback(store.bank_feedback(require(store, name)))
    _write(output, feedback_file(rows), tr("{path}: {n} entries", path=output, n=len(rows)))


@banks.command("held")
@click.pass_context
def banks_held(ctx: click.Context) -> None:
    """Bank entries held for a flood (they matched far more listings than usual), and how many listings wait."""
    from auditor.times import local_time

    zone = _config(ctx).schedule.zone
    with _store(ctx) as store:
        rows = store.held_entries()
    if not rows:
        out.print(tr("no bank entry is held"))
    for e in rows:
        out.print(tr("#{id} {bank} {kind} {signal}: held {day} ({why}); {n} listings wait; from {source}",
                     id=e["id"], bank=e["bank"], kind=e["signal_type"], signal=(e["pdq"] or e["exact"])[:16] + "…",
                     day=local_time(e["held_at"], zone), why=e["held_why"], n=e["waiting"],
                     source=e["ref"] or e["source"]), markup=False, highlight=False)


@banks.command("release")
@click.argument("entry", type=int)
@click.pass_context
def banks_release(ctx: click.Context, entry: int) -> None:
    """Let a held entry flag again (a lead's call, also on the console's Banks page): the listings it matched
    while held are read again by the next daily run, and flag then."""
    from auditor.errors import AuditorError

    with _store(ctx) as store:
        done = store.release_bank_entry(entry, getpass.getuser(), _now())
    if done is None:
        raise AuditorError(tr("bank entry #{id} is not held (`auditor banks held` lists those that are)", id=entry))
    out.print(tr("bank entry #{id} released: {n} listings it matched while held are read again by the next run",
                 id=entry, n=len({(m["site"], m["item_id"]) for m in done["matches"]})), markup=False, highlight=False)
