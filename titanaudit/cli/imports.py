"""``titanaudit check-import``: a file of customers checked before it is imported."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import click
from rich.markup import escape

from titanaudit.cli.base import (
    err,
    main,
    ui_url_option,
)
from titanaudit.defaults import EXISTING_AT, REVIEW_FROM
from titanaudit.errors import ConfigError
from titanaudit.privacy import check_folder

__all__ = ["check_import"]


@main.command("check-import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--db",
    type=click.Path(path_type=Path),
    help="Snapshot of the tenant to check against (without it: the file against itself).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="Folder to write checked.csv, import-ready.csv, check.json and index.html into.",
)
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="FIELD=COLUMN",
    help="Use COLUMN for FIELD (name, first_name, last_name, company, street, unit, city, state, "
    "zip, phone, email, ...); repeat for several.",
)
@click.option("--sheet", help="The workbook's sheet to read (default: the first).")
@click.option(
    "--encoding",
    help="The text file's encoding when the guess is wrong. Recognised without it: utf-8 and utf-8-sig (UTF-8 with a byte-order mark); utf-16, utf-16-le, utf-16-be, utf-32, utf-32-le, utf-32-be (by their byte-order mark; UTF-16 also without, e.g. Excel's Unicode Text); cp1252 (Windows-1252) and latin-1, guessed. Any other Python codec name works too (e.g. cp437, mac-roman, shift_jis).",
)
@click.option(
    "--existing-at",
    type=click.FloatRange(0, 1),
    default=EXISTING_AT,
    show_default=True,
    help="Match probability from which a row is an existing customer.",
)
@click.option(
    "--review-from",
    type=click.FloatRange(0, 1),
    default=REVIEW_FROM,
    show_default=True,
    help="Match probability from which a row below --existing-at needs review.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print how the file is read and which columns are used; check nothing.",
)
@ui_url_option
@click.option("--quiet", is_flag=True, help="No progress display.")
def check_import(
    file: Path,
    db: Path | None,
    out: Path | None,
    maps: tuple[str, ...],
    sheet: str | None,
    encoding: str | None,
    existing_at: float,
    review_from: float,
    dry_run: bool,
    ui_url: str | None,
    quiet: bool,
) -> None:
    """Check a CSV or Excel file of customers before importing it: each row is marked new,
    existing (with the ServiceTitan customer it matches) or review, and rows that repeat each
    other are tied together. Exits with 10 when rows need review, so a script can gate the
    import on it."""
    from titanaudit.dedupe.any_table import parse_maps, recognise_columns
    from titanaudit.frames import read_frames
    from titanaudit.preimport import EXIT_REVIEW, check_table
    from titanaudit.progress import StageDisplay
    from titanaudit.reports.imports import write_check
    from titanaudit.store import open_snapshot
    from titanaudit.tables import read_table

    mapping = parse_maps(maps)
    if not dry_run and out is None:
        raise ConfigError("--out FOLDER is needed (or --dry-run to see how the file is read)")
    if out is not None:
        check_folder(out)
    table = read_table(file, sheet=sheet, encoding=encoding)
    if dry_run:
        columns = recognise_columns([str(c) for c in table.frame.columns], mapping)
        used = {c for cs in columns.values() for c in cs}
        err.print(f"{file}: {len(table.frame):,} rows, read as {table.source}")
        for field, names in columns.items():
            click.echo(f"{field}\t{', '.join(names)}")
        unused = [c for c in table.frame.columns if c not in used]
        if unused:
            err.print(f"Not used: {escape(', '.join(map(str, unused)))}", soft_wrap=True)
        for line in table.problem_lines(20):
            err.print(line, soft_wrap=True, markup=False)
        return
    assert out is not None
    with contextlib.ExitStack() as stack:
        snapshot = stack.enter_context(open_snapshot(db, fetched=True)) if db is not None else None
        display = stack.enter_context(StageDisplay(err, enabled=not quiet))
        if snapshot is not None:
            display.stage("reading the tenant's customers")
        frames = read_frames(snapshot) if snapshot is not None else None
        check = check_table(
            table,
            frames=frames,
            mapping=mapping,
            existing_at=existing_at,
            review_from=review_from,
            ui_url=ui_url,
            progress=display.stage,
            name=str(file),
        )
        display.stage(f"writing {out}")
        paths = write_check(check, out)
    err.print(
        check.summary_line(table.source, paths["import-ready.csv"]), soft_wrap=True, markup=False
    )
    then = " (kept, decision review; its cells are in checked.csv)"
    for line in table.problem_lines(10, then=then):
        err.print(line, soft_wrap=True, markup=False)
    click.echo(paths["index.html"])
    if check.needs_review:
        sys.exit(EXIT_REVIEW)
