"""``titanaudit audit``, ``monthly`` and ``review``: a snapshot audited, once, each month, or
served for review with decisions saved as they are made."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import click
from rich.markup import escape

from titanaudit.cli.base import (
    connection_options,
    err,
    judging_options,
    main,
    one_at_a_time,
    parse_as_of_option,
    rules_config,
    threshold_option,
    ui_url_option,
)
from titanaudit.config import load_config
from titanaudit.errors import ConfigError
from titanaudit.privacy import check_folder

__all__ = ["audit", "monthly", "review"]


@main.command()
@click.option(
    "--db", required=True, type=click.Path(path_type=Path), help="Snapshot file to audit."
)
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder to write duplicates.csv, pairs.csv, findings.csv and audit.json into.",
)
@judging_options
@threshold_option
@ui_url_option
@click.option("--quiet", is_flag=True, help="No progress display.")
def audit(
    db: Path,
    out: Path,
    as_of: str | None,
    config_file: Path | None,
    threshold: float,
    ui_url: str | None,
    quiet: bool,
) -> None:
    """Audit a snapshot: duplicates, household candidates, repeated locations and contacts,
    leads of existing customers, and every data-quality rule. Writes OUT/index.html (the review
    page: open it in a browser, it needs no network) and the CSV and JSON files beside it."""
    from titanaudit.audit import remember_audit, run_audit, write_audit
    from titanaudit.progress import StageDisplay
    from titanaudit.store import open_snapshot

    settings = rules_config(config_file)
    when = parse_as_of_option(as_of)
    check_folder(out)
    with (
        open_snapshot(db, fetched=True) as snapshot,  # ours, or nothing is put beside it
        one_at_a_time(db, "titanaudit audit"),
        StageDisplay(err, enabled=not quiet) as display,
    ):
        result = run_audit(
            snapshot,
            settings=settings,
            as_of=when,
            threshold=threshold,
            ui_url=ui_url,
            progress=display.stage,
        )
        display.stage(f"writing {out}")
        write_audit(result, out)
        remember_audit(snapshot, result)  # once the files are whole
    for line in result.summary_lines():
        err.print(line, soft_wrap=True, markup=False)
    click.echo(out / "index.html")


@main.command()
@click.option(
    "--db",
    required=True,
    type=click.Path(path_type=Path),
    help="Snapshot file (SQLite); created by the first run if missing.",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder of the monthly audits: one folder per run (YYYY-MM-DD), latest, index.html.",
)
@connection_options
@click.option("--no-fetch", is_flag=True, help="Audit the snapshot as it is; pull nothing.")
@click.option(
    "--keep", type=click.IntRange(min=1), help="Months to keep (default 24, or [monthly] keep)."
)
@click.option(
    "--lock-wait",
    type=click.FloatRange(min=0),
    help="Seconds to wait while another run uses the snapshot (default 600).",
)
@threshold_option
@click.option("--quiet", is_flag=True, help="No progress display (for cron).")
def monthly(
    db: Path,
    out: Path,
    config_file: Path | None,
    environment: str | None,
    api_url: str | None,
    auth_url: str | None,
    ui_url: str | None,
    no_fetch: bool,
    keep: int | None,
    lock_wait: float | None,
    threshold: float,
    quiet: bool,
) -> None:
    """The monthly audit in one command, for a scheduler: pull what changed, audit, write
    OUT/YYYY-MM-DD/ and OUT/index.html (every month and what changed), point OUT/latest at it,
    and send the summary by e-mail or webhook ([email], [webhook] in --config).

    Prints one summary line. Exits 0 when nothing new needs attention, 11 when new sure
    duplicates or new high-severity findings appeared, 12 when the summary could not be
    delivered (the audit is written), 9 when another run holds the snapshot."""
    from titanaudit.monthly import read_monthly_settings, run_monthly
    from titanaudit.progress import StageDisplay

    settings = read_monthly_settings(config_file, keep=keep, lock_wait=lock_wait)
    rules = rules_config(config_file)
    config = None
    if not no_fetch:
        config = load_config(
            config_file=config_file,
            environment=environment,
            api_url=api_url,
            auth_url=auth_url,
            ui_url=ui_url,
        )
    elif not db.exists():
        raise ConfigError(f"{db} does not exist; run without --no-fetch to pull it first")
    link = ui_url or (config.endpoints.ui_url if config else None)
    with StageDisplay(err, enabled=not quiet) as display:
        run = run_monthly(
            db,
            out,
            config=config,
            settings=settings,
            rules=rules,
            threshold=threshold,
            ui_url=link,
            progress=display.stage,
        )
    for note in run.notes:
        err.print(escape(note), soft_wrap=True)
    click.echo(run.line)
    for where in run.delivered:
        err.print(f"summary sent: {escape(where)}")
    for failure in run.failures:
        err.print(f"[bold red]error:[/] {escape(failure)}", soft_wrap=True)
    sys.exit(run.exit_code)


@main.command()
@click.option("--db", required=True, type=click.Path(path_type=Path), help="Snapshot to review.")
@judging_options
@threshold_option
@ui_url_option
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    help="Port on 127.0.0.1 (default: any free port).",
)
@click.option("--no-browser", is_flag=True, help="Print the page's address; open no browser.")
@click.option("--quiet", is_flag=True, help="No progress display.")
def review(
    db: Path,
    as_of: str | None,
    config_file: Path | None,
    threshold: float,
    ui_url: str | None,
    port: int,
    no_browser: bool,
    quiet: bool,
) -> None:
    """Serve the snapshot's review page on this machine (127.0.0.1 only, with a token in its
    address) and save each decision in the snapshot as it is made: no export, no import. The
    snapshot is audited as it is now; Ctrl-C stops the server."""
    import webbrowser

    from titanaudit.audit import run_audit
    from titanaudit.progress import StageDisplay
    from titanaudit.reports.render import render_report
    from titanaudit.review import ReviewServer
    from titanaudit.store import open_snapshot

    settings = rules_config(config_file)
    when = parse_as_of_option(as_of)
    with (
        open_snapshot(db, fetched=True) as snapshot,
        StageDisplay(err, enabled=not quiet) as display,
    ):
        result = run_audit(
            snapshot,
            settings=settings,
            as_of=when,
            threshold=threshold,
            ui_url=ui_url,
            progress=display.stage,
        )
        display.stage("rendering the review page")
        page = render_report(result.report, review=True)
    server = ReviewServer(db, page, port=port)
    click.echo(server.address)
    err.print(
        f"Serving the review of {escape(str(db))} on this machine only; each decision is "
        "saved in the snapshot as it is made. Ctrl-C stops it.",
        soft_wrap=True,
    )
    if not no_browser:
        webbrowser.open(server.address)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how it ends
        server.serve_forever()
    err.print("stopped")
