"""Reading a user's table (a CSV file) with a clear message for every way it can be wrong.

UTF-8 with or without a byte-order mark; the delimiter (comma, semicolon, tab or pipe) is
sniffed; every cell is read as text so ZIP codes keep their leading zeros.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from titanaudit.errors import ConfigError

__all__ = ["read_csv"]


def read_csv(path: Path) -> pd.DataFrame:
    """The table in ``path``, all cells text (missing cells are missing)."""
    if not path.exists():
        raise ConfigError(f"{path} does not exist")
    if path.is_dir():
        raise ConfigError(f"{path} is a folder, not a CSV file")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{path}, line {line}: not UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as "
            "UTF-8 (in Excel: Save As > CSV UTF-8)"
        ) from None
    if not text.strip():
        raise ConfigError(f"{path} is empty")
    try:
        dialect = csv.Sniffer().sniff(text[:20_000], delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    try:
        frame = pd.read_csv(path, sep=delimiter, dtype=str, keep_default_na=False, na_values=[""],
                            encoding="utf-8-sig")  # fmt: skip
    except (pd.errors.ParserError, ValueError) as exc:
        raise ConfigError(f"{path}: {str(exc).strip().splitlines()[-1]}") from None
    if frame.empty:
        raise ConfigError(f"{path} has a header but no rows")
    return frame
