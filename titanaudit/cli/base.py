"""The command line's root: the ``titanaudit`` group, its error handling and the options
several commands share.

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

from titanaudit.config import ENVIRONMENTS
from titanaudit.defaults import MATCH_THRESHOLD
from titanaudit.errors import TitanAuditError

__all__ = [
    "connection_options",
    "err",
    "judging_options",
    "main",
    "one_at_a_time",
    "parse_as_of_option",
    "rules_config",
    "threshold_option",
    "ui_url_option",
]

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
def one_at_a_time(db: Path, command: str) -> Iterator[None]:
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


def parse_as_of_option(value: str | None) -> Any:
    """--as-of: an ISO date or time (UTC unless it says otherwise), or None for now."""
    from titanaudit.clock import parse_as_of

    return None if value is None else parse_as_of(value)


def rules_config(config_file: Path | None) -> Any:
    from titanaudit.config import read_toml
    from titanaudit.rules import RuleSettings, rule_settings

    if config_file is None:
        return RuleSettings()
    return rule_settings(read_toml(config_file), source=str(config_file))
