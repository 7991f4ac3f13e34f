"""One jinja2 environment (autoescape on, undefined names an error); rendering returns a
string and writing it is a separate step."""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined

from titanaudit.privacy import write_whole
from titanaudit.reports.context import ReportContext

__all__ = ["render_report", "write_page", "write_report"]


@functools.cache
def environment() -> Environment:
    return Environment(
        loader=PackageLoader("titanaudit.reports", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_report(context: ReportContext, *, review: bool = False) -> str:
    """The review page as one HTML string (no network needed to view it). With ``review`` it
    is the page ``titanaudit review`` serves: decisions are saved through its server."""
    return (
        environment()
        .get_template("report.html.j2")
        .render(**dataclasses.asdict(context), review=review)
    )


def write_report(context: ReportContext, path: Path) -> Path:
    """Write the page to ``path``, owner-only, whole or not at all."""
    return write_page(render_report(context), path)


def write_page(html: str, path: Path) -> Path:
    """Write a rendered page to ``path``, owner-only, whole or not at all."""
    return write_whole(path, lambda handle: handle.write(html))
