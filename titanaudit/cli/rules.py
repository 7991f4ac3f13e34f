"""``titanaudit rules list`` and ``rules check``: the data-quality rules."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape

from titanaudit.cli.base import (
    err,
    judging_options,
    main,
    parse_as_of_option,
    rules_config,
    threshold_option,
)
from titanaudit.privacy import check_file

__all__ = ["rules"]


@main.group()
def rules() -> None:
    """The data-quality rules: list them, or run them on a snapshot."""


@rules.command("list")
def rules_list() -> None:
    """Print every rule: id, record type, severity and what it finds."""
    from titanaudit.rules import RULES

    for rule in RULES:
        click.echo(f"{rule.id}\t{rule.entity}\t{rule.severity}\t{rule.title}")


@rules.command("check")
@click.option("--db", required=True, type=click.Path(path_type=Path), help="Snapshot file to read.")
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path),
    help="CSV to write: rule_id, severity, entity, record_id, message, value, fix, customer_id.",
)
@judging_options
@threshold_option
@click.option("--quiet", is_flag=True, help="No progress display.")
def rules_check(
    db: Path, out: Path, as_of: str | None, config_file: Path | None, threshold: float, quiet: bool
) -> None:
    """Run the data-quality rules on a snapshot and write the findings."""
    from titanaudit.audit import check_rules
    from titanaudit.export import write_csv
    from titanaudit.frames import read_frames
    from titanaudit.progress import StageDisplay
    from titanaudit.store import open_snapshot

    settings = rules_config(config_file)
    when = parse_as_of_option(as_of)
    check_file(out)
    with (
        open_snapshot(db, fetched=True) as snapshot,
        StageDisplay(err, enabled=not quiet) as display,
    ):
        display.stage("reading the snapshot")
        frames = read_frames(snapshot)
        display.stage("matching open leads to customers, then running the rules")
        run = check_rules(
            frames,
            settings,
            as_of=when,
            threshold=threshold,
            progress=lambda rule: display.detail(f"running the rules: {rule}"),
        )
        display.detail(f"ran {len(run.seconds)} rules")
        display.stage(f"writing {out}")
        write_csv(run.findings, out)
    counts = run.findings["severity"].value_counts()
    said = ", ".join(f"{counts.get(s, 0):,} {s}" for s in ("high", "medium", "low", "info"))
    err.print(f"{len(run.findings):,} findings ({said}) from {len(run.seconds)} rules; wrote {out}")
    for rule_id, reason in zip(run.skipped["rule_id"], run.skipped["reason"], strict=True):
        err.print(f"{rule_id} did not run: {escape(reason)}")
