"""`auditor rules`: write, check, test and try out the YAML rule files."""

from __future__ import annotations

import json
from pathlib import Path

import click

from auditor.cli.base import AuditorError, _config, cli, out
from auditor.i18n import spoken, tr, word

@cli.group()
def rules() -> None:
    """Write, check, test and try out the YAML rule files."""


def _rule_paths(ctx: click.Context, paths: tuple[Path, ...]) -> list[Path]:
    return list(paths) if paths else [_config(ctx, required=False).rules_dir]


def _images(ctx: click.Context, matcher, images: tuple[Path, ...], values: dict):
    """What image files given to `rules explain` show (bank matches, detector labels; their metadata goes into
    image_meta), and what to say of each."""
    from auditor.images.analyse import analyse
    from auditor.images.banks import BankIndex
    from auditor.images.pdq import BadImage
    from auditor.models import ImageSignals
    from auditor.run.pipeline import open_store

    if not images:
        return ImageSignals(), []
    banks = matcher.uses_banks
    if banks:
        with open_store(_config(ctx)) as store:
            index = BankIndex.load(store, banks)
    else:
        index = BankIndex([])
    near, labels, said = [], {}, []
    for path in images:
        try:
            seen = analyse(path.read_bytes(), nudity=matcher.uses_nudity)
        except BadImage as e:
            raise AuditorError(f"{path}: {e}") from None
        first = seen.variants[0]
        values.setdefault("image_meta", []).extend(seen.meta)
        found = index.match([v.hex for v in seen.variants]) if first.reliable else []
        near.extend(found)
        said.append(tr("image {name}: PDQ {hash} (quality {quality}", name=path.name, hash=first.hex, quality=first.quality)
                    + (tr(", too flat to match") if not first.reliable else "") + ")"
                    + "".join(f"; {m.describe()}" for m in found) + ("" if found or not banks else tr("; in no bank")))
        said.extend(tr("image {name}: {meta}", name=path.name, meta=line.splitlines()[0][:120]) for line in seen.meta)
        if seen.nudity is not None:
            said.append(tr("image {name}: nudity detector: ", name=path.name)
                        + (", ".join(f"{label} {score:.2f}" for label, score in seen.nudity) or tr("nothing")))
            for label, score in seen.nudity:
                labels[label] = max(score, labels.get(label, 0.0))
    return ImageSignals(tuple(near), tuple(labels.items())), said


def _check_and_print(ctx: click.Context, paths: tuple[Path, ...]):
    """Load what loads from the rule files, printing each problem as file:line:column: message."""
    from auditor.rules import check_rules

    loaded, problems = check_rules(_rule_paths(ctx, paths))
    for p in problems:
        click.echo(str(p))
    return loaded, problems


@rules.command("promote")
@click.argument("rule_id", metavar="ID")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.pass_context
def rules_promote(ctx: click.Context, rule_id: str, paths: tuple[Path, ...]) -> None:
    """Move a rule out of shadow mode: its `status: experimental` becomes `stable` (only that word of the
    file changes). From the next run its hits enter the states, the queue and the alerts."""
    from datetime import datetime, timezone

    from auditor.rules.promote import promote
    from auditor.run.pipeline import open_store

    path = promote(_rule_paths(ctx, paths), rule_id)
    out.print(tr("{rule}: promoted to stable in {path}; the next run puts its hits into production", rule=rule_id,
                 path=path), highlight=False)
    try:
        with open_store(_config(ctx)) as store:
            done = store.shadow_counts_since(datetime(1970, 1, 1, tzinfo=timezone.utc)).get(rule_id)
    except AuditorError:
        done = None  # no database here: nothing to say of its trial
    out.print(tr("  in shadow it flagged {n} listings (their hits: the report's shadow section)", n=done[1] if done else 0),
              highlight=False)


@rules.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.pass_context
def rules_validate(ctx: click.Context, paths: tuple[Path, ...]) -> None:
    """Check rule files (default: the config's rules folder); print file:line:column: problem."""
    loaded, problems = _check_and_print(ctx, paths)
    if problems:
        ctx.exit(1)
    out.print(tr("{n} rules ok", n=len(loaded)), highlight=False)


@rules.command("test")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="A rule without a match or a no_match example is an error, not a warning.")
@click.pass_context
def rules_test(ctx: click.Context, paths: tuple[Path, ...], strict: bool) -> None:
    """Run every rule's examples: those under match must be flagged, those under no_match not.

    A rule without a match example, or without a no_match one, is warned about (--strict: an error).
    """
    from auditor.rules.loader import RuleSet
    from auditor.rules.testing import missing_examples, run_examples

    loaded, problems = _check_and_print(ctx, paths)
    ruleset = RuleSet(tuple(loaded), ())
    checked, failures = run_examples(ruleset)
    for f in failures:
        click.echo(str(f))
    missing = missing_examples(ruleset)
    for m in missing:
        click.echo(f"{tr('error:') if strict else tr('warning:')} {m}")
    click.echo(tr("{passed} of {n} examples passed in {rules} rules", passed=checked - len(failures), n=checked,
                  rules=len(loaded)) + (tr("; {n} rules lack an example", n=len(missing)) if missing else ""))
    if problems or failures or (strict and missing):
        ctx.exit(1)


def _fields(title: str, description: str, tags: tuple[str, ...], pairs: tuple[str, ...]):
    from decimal import Decimal

    from auditor.models import LABELS
    from auditor.rules.model import LIST_FIELDS, NUMERIC_FIELDS, TEXT_FIELDS

    values: dict[str, list[str]] = {"title": [title], "description": [description], "tags": list(tags)}
    numbers: dict = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or key not in (*TEXT_FIELDS, *NUMERIC_FIELDS):
            raise AuditorError(tr("--field {pair}: give NAME=VALUE with NAME one of {names}", pair=repr(pair),
                                  names=", ".join((*TEXT_FIELDS, *NUMERIC_FIELDS))))
        if key in NUMERIC_FIELDS:
            try:
                numbers[key] = Decimal(value)
            except ArithmeticError:
                raise AuditorError(tr("--field {pair}: {key} must be a number", pair=repr(pair), key=key)) from None
        elif key == "labels" and value not in LABELS:
            raise AuditorError(tr("--label {value}: a venue's label is one of {labels}", value=repr(value),
                                  labels=", ".join(LABELS)))
        elif key in LIST_FIELDS:
            values.setdefault(key, []).append(value)
        else:
            values[key] = [value]
    return values, numbers


@rules.command("explain")
@click.option("--title", default="", help="The listing's title.")
@click.option("--description", default="", help="The listing's description.")
@click.option("--tag", "tags", multiple=True, help="A tag (repeatable).")
@click.option("--label", "labels", multiple=True, metavar="LABEL",
              help="A mark the venue puts on the listing: adult, ai_generated, shop or auction (repeatable).")
@click.option("--field", "pairs", multiple=True, metavar="NAME=VALUE",
              help="Any other field, e.g. seller_id=abc or price=3000 (repeatable).")
@click.option("--rules", "rule_paths", multiple=True, type=click.Path(path_type=Path),
              help="Rule files or folders (default: the config's rules folder).")
@click.option("--rule", "rule_ids", multiple=True, metavar="ID",
              help="Say, selection by selection, why this rule fires or not (repeatable).")
@click.option("--all", "all_rules", is_flag=True, help="The same for every listing rule.")
@click.option("--image", "images", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="An image of the listing (repeatable): its PDQ hash is looked up in the banks the rules read "
                   "(in the config's database), what its metadata declares becomes image_meta, and where a rule "
                   "tests image_nudity the detector runs on it.")
@click.option("--json", "as_json", is_flag=True, help="Print {\"matches\": [...]} (and \"rules\": [...]) for scripts.")
@click.pass_context
def rules_explain(ctx: click.Context, title: str, description: str, tags: tuple[str, ...], labels: tuple[str, ...],
                  pairs: tuple[str, ...],
                  rule_paths: tuple[Path, ...], rule_ids: tuple[str, ...], all_rules: bool, images: tuple[Path, ...],
                  as_json: bool) -> None:
    """Show which rules match a listing's text, on which span, after which normalisation; with --rule or
    --all, why a rule does not fire: each selection held or not, and why (keywords found or missing,
    an except phrase that cancelled a hit, a range or presence test that failed), and the condition."""
    from dataclasses import asdict

    from auditor.rules import Matcher, load_rules
    from auditor.rules.explain import explain, normalised

    from auditor.rules.explain import trace_rules

    values, numbers = _fields(title, description, tags, (*(f"labels={x}" for x in labels), *pairs))
    matcher = Matcher(load_rules(_rule_paths(ctx, rule_paths)))
    near, said = _images(ctx, matcher, images, values)
    found = explain(matcher, values, numbers, near)
    traces = trace_rules(matcher, values, numbers, None if all_rules else list(rule_ids), near) if (rule_ids or all_rules) else []
    if as_json:
        data = {"matches": [{k: v for k, v in asdict(e).items() if k != "title"} for e in found]}
        if traces:
            data["rules"] = [asdict(t) for t in traces]
        click.echo(json.dumps(data, ensure_ascii=False))
        return
    for line in said:
        click.echo(line)
    for fname, forms in normalised(values).items():
        if fname == "labels":
            click.echo(tr("labels (the venue's own marks): {labels}", labels=", ".join(v for v in values["labels"])))
            continue
        for folded, compacted in forms:
            click.echo(tr("{field}: folded {folded}, compared as {compacted}", field=fname, folded=repr(folded),
                          compacted=repr(compacted)))
    if not found:
        click.echo(tr("no rule matches"))
    for e in found:
        click.echo(f"{e.rule} ({word(spoken(), 'severity', e.severity)}): {e.field} \"{e.span}\"" if e.field else
                   f"{e.rule} ({word(spoken(), 'severity', e.severity)}): " + tr("fires without a text match"))
    for t in traces:
        verdict = tr("fires") if t.fires else tr("does not fire: an exception holds" if t.excepted else "does not fire")
        click.echo(f"\n{t.rule} ({word(spoken(), 'severity', t.severity)}) {verdict}; "
                   + tr("condition `{condition}` is {holds}", condition=t.condition,
                        holds=tr("true") if t.condition_holds else tr("false")))
        for s in t.selections:
            mark = "✓" if s.held else "✗"
            why = "; ".join([*s.matched, *(tr("cancelled: {what}", what=c) for c in s.cancelled), *s.missing]) or "–"
            click.echo(f"  {mark} {tr(s.role)} {s.name}: {why}")


@rules.command("backtest")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=False)
@click.option("--since", default="30d", show_default=True, help="Listings last seen within this window (e.g. 30d, 12h, 2w).")
@click.option("--json", "as_json", is_flag=True, help="Print the added and removed hits as JSON.")
@click.pass_context
def rules_backtest(ctx: click.Context, file: Path | None, since: str, as_json: bool) -> None:
    """What FILE (a new or edited rule file) would flag among the stored listings, against the rules the
    last run used; with no FILE, the rules folder as it is now against them.

    FILE stands in for the file of the same name, or is added. A file edited in place in the rules
    folder shows what the edit changes. Nothing is changed.
    """
    from dataclasses import asdict

    from auditor.rules.backtest import backtest, parse_since
    from auditor.run.pipeline import open_store, utc_now

    config = _config(ctx)
    window = parse_since(since)
    with open_store(config) as store:
        result = backtest(store, config.rules_dir, file, window, utc_now(), config.schedule.zone)
    if as_json:
        click.echo(json.dumps({"listings": result.listings, "baseline": result.baseline, "added": [asdict(c) for c in result.added],
                               "removed": [asdict(c) for c in result.removed]}, ensure_ascii=False, indent=2))
        return
    click.echo(tr("{n} stored listings seen in the last {since}, against {baseline}: {added} hits added, {removed} removed",
                  n=result.listings, since=since, baseline=result.baseline, added=len(result.added),
                  removed=len(result.removed)))
    for sign, changes in (("+", result.added), ("-", result.removed)):
        for c in changes:
            click.echo(f"{sign} {c.rule_id} ({c.severity}) {c.site}/{c.item_id}: {c.title}  [{'; '.join(c.spans)}]")


@rules.command("schema")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file (default: standard output).")
def rules_schema(output: Path | None) -> None:
    """Print the JSON Schema of the rule format (the shipped rules/rule.schema.json), for editors."""
    from auditor.rules.schema import rule_schema_text

    text = rule_schema_text()
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(tr("wrote {path}", path=output))
    else:
        click.echo(text, nl=False)


