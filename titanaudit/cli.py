"""The ``titanaudit`` command line: thin click commands over the library.

Errors become exit codes in exactly one place (:class:`ErrorHandlingGroup`): a
:class:`~titanaudit.errors.TitanAuditError` prints one line, ``error: …``, and exits with its
``exit_code``; nothing a user can cause prints a traceback. Progress and summaries go to stderr
through rich; results (paths, tables asked for) go to stdout.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape

from titanaudit.config import ENVIRONMENTS, load_config
from titanaudit.defaults import EXISTING_AT, MATCH_THRESHOLD, REVIEW_FROM
from titanaudit.errors import ConfigError, TitanAuditError
from titanaudit.privacy import check_file, check_folder
from titanaudit.simulator.faults import Faults

__all__ = ["main"]

err = Console(stderr=True, highlight=False)
EXIT_CODES_HELP = """Exit codes: 0 done; 1 error; 2 bad settings or input; 3 ServiceTitan answered
with an error; 4 credentials refused; 5 access denied (tenant or scope); 6 retries exhausted;
7 host unreachable; 8 snapshot file damaged or not ours; 9 another run holds the snapshot;
10 check-import: rows need review; 11 monthly: new sure duplicates or new high-severity findings;
12 monthly: the audit is written but its summary could not be delivered; 130 interrupted."""


class ErrorHandlingGroup(click.Group):
    """Turns titanaudit's exceptions into one line and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TitanAuditError as exc:
            err.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            err.print("interrupted; run the same command again to resume")
            sys.exit(130)


@click.group(cls=ErrorHandlingGroup, epilog=EXIT_CODES_HELP)
@click.version_option(package_name="titanaudit")
@click.option("-v", "--verbose", count=True, help="Log retries (-v) or every request (-vv).")
def main(verbose: int) -> None:
    """Audit the customer data of a ServiceTitan tenant."""
    level = logging.WARNING if not verbose else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    if verbose < 2:
        logging.getLogger("httpx").setLevel(logging.WARNING)


@contextlib.contextmanager
def _one_at_a_time(db: Path, command: str) -> Iterator[None]:
    """Hold the snapshot's lock (see titanaudit.runlock) while a command changes it, saying so
    when another run holds it; nothing is locked for a file whose folder does not exist (the
    command's own error says so)."""
    from titanaudit.runlock import hold

    if not db.parent.is_dir() or db.is_dir():
        yield
        return

    def waiting(holder: Any) -> None:
        who = holder.said() if holder else "another process"
        err.print(f"waiting for {escape(who)} to finish with {escape(str(db))}", soft_wrap=True)

    with hold(db, command=command, on_wait=waiting):
        yield


def connection_options(func: Any) -> Any:
    """--config, --environment, --api-url, --auth-url, --ui-url."""
    options = [
        click.option(
            "--config",
            "config_file",
            type=click.Path(path_type=Path),
            help="TOML file with [servicetitan] credentials and [fetch] settings.",
        ),
        click.option(
            "--environment",
            type=click.Choice(list(ENVIRONMENTS)),
            default=None,
            help="ServiceTitan environment (default: production, or the config file's).",
        ),
        click.option(
            "--api-url",
            help="API base URL, e.g. https://api.servicetitan.io (overrides --environment).",
        ),
        click.option(
            "--auth-url", help="Token service base URL, e.g. https://auth.servicetitan.io."
        ),
        click.option(
            "--ui-url", help="Web app base URL for record links, e.g. https://go.servicetitan.com."
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


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
    with _one_at_a_time(db, "titanaudit fetch"), FetchDisplay(err, enabled=not quiet) as display:
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
    from titanaudit.dedupe.frame import annotate_clusters, dedupe_frame, parse_maps
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


threshold_option = click.option(
    "--threshold",
    type=click.FloatRange(0, 1),
    default=MATCH_THRESHOLD,
    show_default=True,
    help="Match probability from which two customers are duplicates, and an open lead or "
    "booking belongs to an existing customer.",
)
ui_url_option = click.option(
    "--ui-url", help="Web app base URL for record links, e.g. https://go.servicetitan.com."
)


def judging_options(func: Any) -> Any:
    """--as-of and --config, for the commands that run the rules."""
    options = [
        click.option(
            "--as-of",
            "as_of",
            metavar="TIME",
            help="Judge time-dependent rules (overdue follow-ups, stale leads) as of this "
            "date or time (default: now), so an old snapshot's audit is reproducible.",
        ),
        click.option(
            "--config",
            "config_file",
            type=click.Path(path_type=Path),
            help="TOML file with [rules], [allow], [service_area] and [office] settings.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _as_of(value: str | None) -> Any:
    """--as-of: an ISO date or time (UTC unless it says otherwise), or None for now."""
    from titanaudit.clock import parse_as_of

    return None if value is None else parse_as_of(value)


def _rule_settings(config_file: Path | None) -> Any:
    from titanaudit.config import read_toml
    from titanaudit.rules import RuleSettings, rule_settings

    if config_file is None:
        return RuleSettings()
    return rule_settings(read_toml(config_file), source=str(config_file))


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

    settings = _rule_settings(config_file)
    when = _as_of(as_of)
    check_folder(out)
    with (
        open_snapshot(db, fetched=True) as snapshot,  # ours, or nothing is put beside it
        _one_at_a_time(db, "titanaudit audit"),
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
    d, f = result.summary["duplicates"], result.summary["findings"]
    severity = ", ".join(
        f"{f['by_severity'].get(s, 0):,} {s}" for s in ("high", "medium", "low", "info")
    )
    err.print(
        f"{d['customer_clusters']:,} duplicate customer clusters ({d['customer_records']:,} records), "
        f"{d['location_clusters']:,} duplicate location clusters, "
        f"{d['household_pairs']:,} household pairs, {sum(d['location_pairs'].values()):,} repeated "
        f"location pairs; {f['total']:,} findings ({severity})",
        soft_wrap=True,
    )
    decided = result.summary["decisions"]
    if decided["applied"] or decided["reopened"]:
        gone = decided["suppressed"]
        err.print(
            f"Reviewers' decisions: {decided['applied']:,} applied, {decided['reopened']:,} "
            f"reopened (the records changed since; look again); suppressed "
            f"{gone['duplicate_pairs']:,} duplicate pairs, {gone['findings']:,} findings"
        )
    for rule_id, reason in zip(result.skipped["rule_id"], result.skipped["reason"], strict=True):
        err.print(f"{rule_id} did not run: {escape(reason)}")
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
    rules = _rule_settings(config_file)
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

    settings = _rule_settings(config_file)
    when = _as_of(as_of)
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


def _without_values(problem: str) -> str:
    """A row's problem as the terminal shows it: what is wrong, not the customer's data (the
    extra cells stay in checked.csv, which only its owner can read)."""
    return problem.split("; the extra:")[0]


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
    from titanaudit.dedupe.frame import parse_maps, recognise_columns
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
        for position, problem in list(table.problems.items())[:20]:
            err.print(f"row {position + 1}: {escape(_without_values(problem))}", soft_wrap=True)
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
    summary = check.summary
    d = summary["decisions"]
    err.print(
        f"{summary['rows']:,} rows ({table.source}): {d['new']:,} new, {d['existing']:,} already in "
        f"ServiceTitan, {d['review']:,} to review; {summary['repeated_rows']:,} repeat an earlier row; "
        f"{summary['ready']:,} ready to import in {paths['import-ready.csv']}",
        soft_wrap=True,
    )
    for position, problem in list(table.problems.items())[:10]:
        err.print(
            f"row {position + 1}: {escape(_without_values(problem))} (kept, decision review; "
            "its cells are in checked.csv)",
            soft_wrap=True,
        )
    if len(table.problems) > 10:
        err.print(f"... and {len(table.problems) - 10:,} more rows that could not be read whole")
    click.echo(paths["index.html"])
    if check.needs_review:
        sys.exit(EXIT_REVIEW)


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

    settings = _rule_settings(config_file)
    when = _as_of(as_of)
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


@main.group()
def simulator() -> None:
    """A ServiceTitan stand-in for tests and demos (no credentials needed)."""


@simulator.command("serve", epilog="\b\nFault keys (--faults KEY=VALUE,...):\n" + Faults.describe())
@click.option(
    "--customers",
    type=click.IntRange(min=10),
    default=1000,
    show_default=True,
    help="Size of the generated tenant.",
)
@click.option(
    "--seed", type=int, default=0, show_default=True, help="Seed of the generated tenant."
)
@click.option(
    "--tenant-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Serve this tenant (FEED.jsonl files, as `export` or `simulator generate` write) instead of generating one.",
)
@click.option(
    "--tenant-id",
    type=int,
    help="Tenant id to serve a --tenant-dir under (default: its truth.json's, else 1234567).",
)
@click.option(
    "--faults",
    default="none",
    show_default=True,
    help="all, storm (a rate-limit storm), none, or KEY=VALUE,... (see below).",
)
@click.option("--port", type=int, default=0, help="Port on 127.0.0.1 (default: any free port).")
@click.option(
    "--page-size",
    type=click.IntRange(min=1),
    default=1000,
    show_default=True,
    help="Records per export page.",
)
@click.option(
    "--visibility-delay",
    type=float,
    default=900.0,
    show_default=True,
    help="Seconds before a changed record shows in exports without includeRecentChanges.",
)
def simulator_serve(
    customers: int,
    seed: int,
    tenant_dir: Path | None,
    tenant_id: int | None,
    faults: str,
    port: int,
    page_size: int,
    visibility_delay: float,
) -> None:
    """Serve a tenant on a loopback port until Ctrl-C.

    Prints the environment variables that point `titanaudit fetch` (or your own script) at it.
    """
    from titanaudit.simulator import (
        SimulatorServer,
        SimulatorState,
        Tenant,
        TenantSpec,
        generate_tenant,
    )

    fault_spec = Faults.parse(faults)
    tenant = (
        Tenant.load(tenant_dir, tenant_id=tenant_id)
        if tenant_dir
        else generate_tenant(TenantSpec(customers=customers, seed=seed))
    )
    state = SimulatorState(
        tenant, faults=fault_spec, export_page_size=page_size, visibility_delay=visibility_delay
    )
    server = SimulatorServer(state, port=port, log_level="warning")
    click.echo(
        f"ServiceTitan simulator serving tenant {tenant.tenant_id} ({len(tenant)} records) at {server.url}"
    )
    click.echo(
        f"export ST_CLIENT_ID={state.client_id} ST_CLIENT_SECRET={state.client_secret} "
        f"ST_APP_KEY={state.app_key} ST_TENANT_ID={tenant.tenant_id}"
    )
    click.echo(
        f"titanaudit fetch --db snapshot.sqlite --api-url {server.url} --auth-url {server.url}"
    )
    click.echo("Ctrl-C stops it.")
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


@simulator.command("generate")
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for FEED.jsonl files and truth.json.",
)
@click.option(
    "--customers",
    type=click.IntRange(min=10),
    default=1000,
    show_default=True,
    help="Size of the tenant.",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Seed; the same seed gives the same tenant.",
)
def simulator_generate(out: Path, customers: int, seed: int) -> None:
    """Write a generated tenant and its truth (planted duplicates and problems) to a folder."""
    from titanaudit.simulator import TenantSpec, generate_tenant

    tenant = generate_tenant(TenantSpec(customers=customers, seed=seed))
    tenant.save(out)
    click.echo(out)
