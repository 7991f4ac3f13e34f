"""How titanaudit's objects show themselves in a notebook: a small table of what matters, every
value escaped (a customer's name can hold ``<script>``)."""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

__all__ = ["html_summary"]


def _cell(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:,}" if isinstance(value, int) else f"{value:,.3f}"
    return html.escape(str(value))


def html_summary(title: str, rows: Iterable[tuple[str, Any]]) -> str:
    """``title`` over a two-column table of (label, value) rows."""
    body = "".join(
        f"<tr><th style='text-align:left'>{html.escape(label)}</th><td>{_cell(value)}</td></tr>"
        for label, value in rows
    )
    return f"<div><b>{html.escape(title)}</b><table>{body}</table></div>"
