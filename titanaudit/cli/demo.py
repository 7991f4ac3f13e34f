"""``titanaudit demo``: a whole audit of a generated tenant, through the simulator."""

from __future__ import annotations

from pathlib import Path

import click

from titanaudit.cli.base import (
    err,
    main,
)

__all__ = ["demo"]


@main.command()
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("demo-output"),
    show_default=True,
    help="Folder for the snapshot and the generated tenant.",
)
@click.option(
    "--customers",
    type=click.IntRange(min=10),
    default=2000,
    show_default=True,
    help="Size of the generated tenant.",
)
@click.option(
    "--seed", type=int, default=7, show_default=True, help="Seed of the generated tenant."
)
@click.option(
    "--faults",
    default="all",
    show_default=True,
    help="Faults the simulator injects (see `simulator serve --help`).",
)
def demo(out: Path, customers: int, seed: int, faults: str) -> None:
    """Generate a tenant, serve it on the simulator, fetch it over HTTP, audit it and write the
    review page."""
    from titanaudit.demo import run_demo
    from titanaudit.progress import FetchDisplay, print_snapshot_summary, print_sync_summary

    err.print(f"Generating a tenant of {customers} customers (seed {seed}) ...")
    with FetchDisplay(err) as display:
        result = run_demo(
            out, customers=customers, seed=seed, faults=faults, on_progress=display.update
        )
    print_sync_summary(err, result.sync, result.snapshot_path)
    print_snapshot_summary(err, result.snapshot_path)
    clusters = result.duplicates.clusters
    count = clusters["cluster_id"].nunique() if len(clusters) else 0
    acc = result.accuracy
    err.print(
        f"Duplicate customers: {count:,} clusters over {len(clusters):,} records; against the "
        f"planted truth: precision {acc['precision']:.3f}, recall {acc['recall']:.3f} (pairs)",
        soft_wrap=True,
    )
    example = result.duplicates.pairs.head(1)
    if len(example):
        row = example.iloc[0]
        err.print(
            f"e.g. customers {row['left_id']} and {row['right_id']}: p={row['probability']:.3f}, {row['evidence']}"
        )
    best = result.leads[result.leads["rank"] == 1]
    by_rule = result.locations.groupby("rule_id").size().to_dict() if len(result.locations) else {}
    err.print(
        f"Household candidates: {len(result.duplicates.households):,} pairs (two people of one household). "
        f"Open leads of existing customers: {(best['entity'] == 'leads').sum():,}; bookings that match a "
        f"customer: {(best['entity'] == 'bookings').sum():,}. Repeated locations: "
        + (", ".join(f"{rule} {n:,}" for rule, n in sorted(by_rule.items())) or "none"),
        soft_wrap=True,
    )
    counts = result.rules.findings["severity"].value_counts()
    scored = result.rule_accuracy
    err.print(
        f"Data-quality findings: {len(result.rules.findings):,} ("
        + ", ".join(f"{counts.get(s, 0):,} {s}" for s in ("high", "medium", "low", "info"))
        + f") in {result.snapshot_path.parent / 'findings.csv'}; against the planted problems of "
        f"{len(scored)} rules: recall at least {scored['recall'].min():.2f}, precision at least "
        f"{scored['precision'].min():.2f}",
        soft_wrap=True,
    )
    err.print(
        f"The audit's review page (open it in a browser): {result.report_path}\n"
        f"To mark pairs and records with each decision saved as you click, serve it with "
        f"`titanaudit review --db {result.snapshot_path}`; the next `titanaudit audit --db "
        f"{result.snapshot_path} --out DIR` applies them. Every month, unattended: `titanaudit "
        f"monthly --db {result.snapshot_path} --out DIR` (see the README for cron and systemd).",
        soft_wrap=True,
    )
    check, scored_import = result.import_check, result.import_accuracy
    d = check.summary["decisions"]
    err.print(
        f"Pre-import check of {result.snapshot_path.parent / 'import.csv'} ({check.summary['rows']:,} rows "
        f"against the tenant): {d['new']:,} new, {d['existing']:,} already in ServiceTitan, {d['review']:,} "
        f"to review; against the file's truth: {scored_import['existing_found']:.1%} of the existing rows "
        f"found, {scored_import['new_called_existing']:.1%} of the new ones called existing. Its page: "
        f"{result.import_page}",
        soft_wrap=True,
    )
    click.echo(result.snapshot_path)
    click.echo(result.report_path)
