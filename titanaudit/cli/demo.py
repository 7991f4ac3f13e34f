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
    for line in result.summary_lines():
        err.print(line, soft_wrap=True, markup=False)
    click.echo(result.snapshot_path)
    click.echo(result.report_path)
