"""``titanaudit dedupe``: duplicate people or companies in any CSV file."""

from __future__ import annotations

from pathlib import Path

import click

from titanaudit.cli.base import (
    err,
    main,
)
from titanaudit.defaults import MATCH_THRESHOLD
from titanaudit.privacy import check_file

__all__ = ["dedupe"]


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--id-column", required=True, help="The column that identifies each row (unique).")
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="FIELD=COLUMN",
    help="Use COLUMN for FIELD (name, first_name, last_name, company, street, unit, house_number, "
    "street_name, city, state, zip, phone, email); repeat for several. Columns named in "
    "their common spellings need none.",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path),
    help="CSV to write: the input's columns plus cluster_id and cluster_size.",
)
@click.option(
    "--pairs",
    "pairs_out",
    type=click.Path(path_type=Path),
    help="Also write every scored pair here, with its evidence in words where the "
    "probability is 1% or more.",
)
@click.option(
    "--households",
    "households_out",
    type=click.Path(path_type=Path),
    help="Also write the pairs that are two people of one household (for review; never "
    "clustered) here.",
)
@click.option(
    "--threshold",
    type=click.FloatRange(0, 1),
    default=MATCH_THRESHOLD,
    show_default=True,
    help="Match probability at which two rows join a cluster.",
)
@click.option("--quiet", is_flag=True, help="No progress display.")
def dedupe(
    file: Path,
    id_column: str,
    maps: tuple[str, ...],
    out: Path,
    pairs_out: Path | None,
    households_out: Path | None,
    threshold: float,
    quiet: bool,
) -> None:
    """Find duplicate people or companies in any CSV file."""
    from titanaudit.dedupe.any_table import annotate_clusters, dedupe_frame, parse_maps
    from titanaudit.export import write_csv
    from titanaudit.progress import StageDisplay
    from titanaudit.tables import read_csv

    for path, option in ((out, "--out"), (pairs_out, "--pairs"), (households_out, "--households")):
        if path is not None:
            check_file(path, option=option)
    with StageDisplay(err, enabled=not quiet) as display:
        display.stage(f"reading {file}")
        table = read_csv(file)
        result = dedupe_frame(
            table,
            id_column=id_column,
            mapping=parse_maps(maps),
            threshold=threshold,
            progress=display.stage,
        )
        display.stage(f"writing {out}")
        write_csv(annotate_clusters(table, id_column, result), out)
        if pairs_out:
            write_csv(result.pairs, pairs_out)
        if households_out:
            write_csv(result.households, households_out)
    clusters = result.clusters["cluster_id"].nunique() if len(result.clusters) else 0
    used = ", ".join(f"{field}={'+'.join(cols)}" for field, cols in result.columns.items())
    err.print(f"Read {len(table):,} rows. Columns used: {used}")
    err.print(
        f"{clusters:,} duplicate clusters covering {len(result.clusters):,} rows; wrote {out}"
    )
    if len(result.households):
        where = (
            f"; written to {households_out}"
            if households_out
            else " (--households FILE lists them)"
        )
        err.print(f"{len(result.households):,} pairs look like two people of one household{where}")
