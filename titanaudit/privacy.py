"""Files that hold customer data are created readable and writable by their owner only.

Every writer of snapshots, exports, reports and generated tenants goes through these two
functions, so the rule lives in one place.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

import pandas as pd

__all__ = ["open_private", "safe_cell", "safe_column", "touch_private"]

PRIVATE_MODE = 0o600


def open_private(path: Path, mode: str = "w", *, newline: str | None = None) -> IO[str]:
    """Open ``path`` for writing text, truncating it, with mode 0600 whatever the umask."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_MODE)
    os.fchmod(fd, PRIVATE_MODE)
    return os.fdopen(fd, mode, encoding="utf-8", newline=newline)


def touch_private(path: Path) -> None:
    """Create ``path`` if missing and make it owner-only (for files another library opens)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_MODE)
    try:
        os.fchmod(fd, PRIVATE_MODE)
    finally:
        os.close(fd)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """A CSV cell a spreadsheet will not run as a formula: text starting with ``= + - @`` (or a
    tab or carriage return) gets a leading apostrophe. Numbers and missing values pass as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_column(values: pd.Series) -> pd.Series:
    """:func:`safe_cell` over a column, looking only at the cells that need it (a million rows
    in a fraction of a second; mapping every cell through Python took seconds)."""
    try:
        risky = values.str.startswith(FORMULA_STARTS)
    except AttributeError:  # no strings at all in the column
        return values
    mask = risky.fillna(False).to_numpy(dtype=bool)
    if not mask.any():
        return values
    out = values.astype(object)
    out[mask] = ["'" + v for v in out[mask]]
    return out
