"""``titanaudit fetch`` and ``titanaudit export``: a tenant into a snapshot, and out of it."""

from __future__ import annotations

from pathlib import Path

import click

from titanaudit.cli.base import (
    connection_options,
    err,
    main,
    one_at_a_time,
)
from titanaudit.config import load_config
from titanaudit.privacy import check_folder

__all__ = ["export", "fetch"]


@main.command()
@click.option(
    "--db",
    required=True,
    type=click.Path(path_type=Path),
    help="Snapshot file (SQLite); created if missing.",
)
@connection_options
@click.option(
    "--full", is_flag=True, help="Pull every feed from the beginning instead of only what changed."
)
@click.option(
    "--recent-changes",
    is_flag=True,
    help="Include records changed in the last 15 minutes (may repeat records; they are de-duplicated).",
)
@click.option(
    "--rate-limit", type=float, help="Requests per second (default 40; ServiceTitan allows 60)."
)
@click.option("--quiet", is_flag=True, help="No live progress display.")
def fetch(
    db: Path,
    config_file: Path | None,
    environment: str | None,
    api_url: str | None,
    auth_url: str | None,
    ui_url: str | None,
    full: bool,
    recent_changes: bool,
    rate_limit: float | None,
    quiet: bool,
) -> None:
    """Pull the tenant's customers, locations, contacts, leads and bookings into a snapshot.

    Credentials come from ST_CLIENT_ID, ST_CLIENT_SECRET, ST_APP_KEY and ST_TENANT_ID, or from
    --config. A second run is incremental; an interrupted run resumes where it stopped.
    """
    from titanaudit.progress import FetchDisplay, print_sync_summary
    from titanaudit.servicetitan.sync import fetch_snapshot

    config = load_config(
        config_file=config_file,
        environment=environment,
        api_url=api_url,
        auth_url=auth_url,
        ui_url=ui_url,
    )
    with one_at_a_time(db, "titanaudit fetch"), FetchDisplay(err, enabled=not quiet) as display:
        result = fetch_snapshot(
            config,
            db,
            full=full,
            include_recent_changes=recent_changes,
            rate_limit=rate_limit,
            on_progress=display.update,
        )
    print_sync_summary(err, result, db)


@main.command()
@click.option("--db", required=True, type=click.Path(path_type=Path), help="Snapshot file to read.")
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder to write into (created if missing).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv", "parquet"]),
    default="jsonl",
    show_default=True,
    help="jsonl keeps each record exactly as ServiceTitan sent it; csv and parquet flatten it.",
)
def export(db: Path, out: Path, fmt: str) -> None:
    """Write each feed's records to OUT/FEED.jsonl (or .csv, .parquet)."""
    from titanaudit.export import export_snapshot
    from titanaudit.store import open_snapshot

    check_folder(out)
    with open_snapshot(db, fetched=True) as snapshot:
        written = export_snapshot(snapshot, out, fmt=fmt)
    for path, count in written.items():
        click.echo(f"{path}\t{count}")
