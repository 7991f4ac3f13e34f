"""``titanaudit decisions import`` and ``export``: reviewers' decisions into and out of a snapshot."""

from __future__ import annotations

from pathlib import Path

import click

from titanaudit.cli.base import (
    err,
    main,
)
from titanaudit.privacy import check_file

__all__ = ["decisions"]


@main.group()
def decisions() -> None:
    """Reviewers' decisions ("not a duplicate", "protected", "keep this one"): bring the file
    the review page exports into a snapshot, or write a snapshot's decisions out."""


@decisions.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--db", required=True, type=click.Path(path_type=Path), help="Snapshot to store them in."
)
@click.option(
    "--who", help="Reviewer's name for decisions that carry none (default: your user name)."
)
def decisions_import(file: Path, db: Path, who: str | None) -> None:
    """Store the decisions of FILE (exported from the review page) in the snapshot. The next
    audit applies them; a decision whose records changed since is reopened, not applied."""
    from titanaudit.decisions import import_decisions
    from titanaudit.store import open_snapshot

    with open_snapshot(db) as snapshot:
        stored = import_decisions(snapshot, file, who=who)
    kinds = stored["kind"].value_counts()
    said = ", ".join(f"{n:,} {str(k).replace('_', ' ')}" for k, n in kinds.items()) or "none"
    err.print(f"Stored {len(stored):,} decisions ({said}) in {db}; the next audit applies them.")


@decisions.command("export")
@click.option("--db", required=True, type=click.Path(path_type=Path), help="Snapshot to read.")
@click.option("--out", type=click.Path(path_type=Path), help="File to write (default: print them).")
def decisions_export(db: Path, out: Path | None) -> None:
    """Write the snapshot's decisions as a file `decisions import` reads (into another
    snapshot of the same tenant, or to keep)."""
    import json

    from titanaudit.decisions import export_decisions
    from titanaudit.store import open_snapshot

    if out is not None:
        check_file(out)
    with open_snapshot(db) as snapshot:
        document = export_decisions(snapshot, out)
    if out is None:
        click.echo(json.dumps(document, indent=2))
    else:
        err.print(f"Wrote {len(document['decisions']):,} decisions to {out}")
