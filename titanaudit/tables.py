"""Reading a user's table (a CSV file or an Excel workbook) with a clear message for every way it
can be wrong.

:func:`read_csv` is strict (for ``titanaudit dedupe``): UTF-8 with or without a byte-order mark,
any error stops. :func:`read_table` is forgiving (for ``titanaudit check-import``, where a file
must lose nothing): it takes UTF-8 (with or without BOM), Windows-1252 and Latin-1 files, any
common delimiter, and ``.xlsx`` workbooks; a row it cannot read whole (a wrong number of fields,
a byte that is not text) is kept, with what is wrong with it and its line number. Every cell is
read as text, so ZIP codes keep their leading zeros.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from titanaudit.errors import ConfigError

__all__ = ["Table", "read_csv", "read_table"]

#: an OLE2 compound file: a password-protected workbook (or an old .xls)
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
DELIMITERS = ",;\t|"
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


def read_csv(path: Path) -> pd.DataFrame:
    """The table in ``path``, all cells text (missing cells are missing)."""
    _exists(path, "a CSV file")
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
        frame = pd.read_csv(path, sep=_delimiter(text), dtype=str, keep_default_na=False,
                            na_values=[""], encoding="utf-8-sig")  # fmt: skip
    except (pd.errors.ParserError, ValueError) as exc:
        raise ConfigError(f"{path}: {str(exc).strip().splitlines()[-1]}") from None
    if frame.empty:
        raise ConfigError(f"{path} has a header but no rows")
    return frame


@dataclass
class Table:
    """A table read by :func:`read_table`. ``frame``: one row per data row, every cell text or
    None, columns named as in the file (made unique: a repeated header gets ``.1``, an empty one
    ``column N``); ``header``: the header exactly as in the file; ``lines``: the line (CSV) or
    sheet row (Excel) each data row starts on; ``problems``: data row position → what is wrong
    with it; ``source``: how it was read ("UTF-8, comma-separated", "sheet Customers")."""

    frame: pd.DataFrame
    header: list[str]
    lines: list[int]
    problems: dict[int, str] = field(default_factory=dict)
    source: str = ""


def _exists(path: Path, what: str) -> None:
    if not path.exists():
        raise ConfigError(f"{path} does not exist")
    if path.is_dir():
        raise ConfigError(f"{path} is a folder, not {what}")


def _delimiter(text: str) -> str:
    sample = text[:20_000]
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        first = sample.splitlines()[0] if sample.splitlines() else ""
        return max(DELIMITERS, key=first.count) if any(d in first for d in DELIMITERS) else ","


def _unique(header: list[str]) -> list[str]:
    names: list[str] = []
    for n, name in enumerate(header, 1):
        base = name.strip() or f"column {n}"
        unique, k = base, 0
        while unique in names:
            k += 1
            unique = f"{base}.{k}"
        names.append(unique)
    return names


def read_table(path: Path, *, sheet: str | None = None, encoding: str | None = None) -> Table:
    """Read ``path``: ``.xlsx`` (the first sheet, or ``sheet``), else delimited text. See the
    module docstring; a ``ConfigError`` names the file and what to do."""
    _exists(path, "a CSV or Excel file")
    raw = path.read_bytes()
    if raw.startswith(OLE_MAGIC) or path.suffix.lower() == ".xls":
        raise ConfigError(f"{path} is a password-protected workbook or an old Excel 97-2003 .xls "
                          "file: open it in Excel, remove the password (File > Info > Protect "
                          "Workbook) and save it as .xlsx or CSV")  # fmt: skip
    if path.suffix.lower() in (".xlsx", ".xlsm") or raw.startswith(b"PK\x03\x04"):
        return _read_workbook(path, raw, sheet)
    if sheet is not None:
        raise ConfigError(f"--sheet is for Excel workbooks; {path} is a text file")
    return _read_text(path, raw, encoding)


def _decode(raw: bytes, encoding: str | None) -> tuple[str, str, dict[int, str]]:
    """The text, the encoding's name, and the lines (1-based) holding bytes that are not text
    in it (decoded with U+FFFD in their place)."""
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ConfigError(f"--encoding {encoding}: no such encoding (try utf-8, cp1252, "
                              "latin-1)") from None  # fmt: skip
    if raw.startswith(codecs.BOM_UTF8):
        raw, encoding = raw[len(codecs.BOM_UTF8) :], encoding or "utf-8"
    chosen = encoding or _guess(raw)
    try:
        return raw.decode(chosen), _label(chosen), {}
    except UnicodeDecodeError:
        pass
    bad: dict[int, str] = {}
    for number, line in enumerate(raw.split(b"\n"), 1):
        try:
            line.decode(chosen)
        except UnicodeDecodeError as exc:
            bad[number] = (
                f"byte 0x{line[exc.start]:02x} is not {_label(chosen)} text (shown as \ufffd)"
            )
    return raw.decode(chosen, errors="replace"), _label(chosen), bad


def _guess(raw: bytes) -> str:
    """UTF-8 when most lines with non-ASCII bytes are UTF-8 (a few broken bytes in a UTF-8 file),
    else Windows-1252 (what Excel on Windows saves), else Latin-1."""
    utf8 = broken = 0
    for line in raw.split(b"\n"):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            utf8 += 1
        except UnicodeDecodeError:
            broken += 1
    if not broken or (utf8 and broken <= max(1, utf8 // 10)):
        return "utf-8"
    try:
        raw.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def _label(encoding: str) -> str:
    name = codecs.lookup(encoding).name
    return {"utf-8": "UTF-8", "cp1252": "Windows-1252", "iso8859-1": "Latin-1"}.get(name, name)


def _read_text(path: Path, raw: bytes, encoding: str | None) -> Table:
    text, label, bad = _decode(raw, encoding)
    if not text.strip():
        raise ConfigError(f"{path} is empty")
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[tuple[list[str], int, int]] = []  # cells, first line, last line
    start_line = 1
    try:
        for cells in reader:
            first, start_line = start_line, reader.line_num + 1
            if any(c.strip() for c in cells):  # blank lines are skipped
                records.append((cells, first, reader.line_num))
    except csv.Error as exc:
        raise ConfigError(f"{path}, line {reader.line_num}: {exc}") from None
    if not records:
        raise ConfigError(f"{path} is empty")
    at = _header_at([cells for cells, _, _ in records[:50]])
    header = records[at][0]
    rows: list[list[str | None]] = []
    lines: list[int] = []
    problems: dict[int, str] = {}
    for cells, first, last in records[at + 1 :]:
        said = [bad[n] for n in range(first, last + 1) if n in bad]
        if len(cells) != len(header):
            extra = cells[len(header) :]
            said.append(f"{len(cells)} fields where the header has {len(header)}"
                        + (f"; the extra: {', '.join(map(repr, extra))}" if extra else ""))  # fmt: skip
        if said:
            problems[len(rows)] = f"line {first}: " + "; ".join(said)
        rows.append([c if c.strip() else None for c in (cells + [""] * len(header))[: len(header)]])
        lines.append(first)
    if not rows:
        raise ConfigError(f"{path} has a header but no rows")
    frame = pd.DataFrame(rows, columns=_unique(header), dtype=object)
    kind = DELIMITER_NAMES.get(delimiter, repr(delimiter))
    above = f", header on line {records[at][1]}" if at else ""
    return Table(frame, header, lines, problems, f"{label}, {kind}-separated{above}")


def _header_at(first_rows: list[list[Any]]) -> int:
    """Which of a table's first rows is its header: the first with as many fields as most rows
    and two or more cells filled, past any title lines above it
    ("Customer list, exported 2026-11-01"); a one-column table's first row."""
    filled = [sum(1 for c in row if c is not None and str(c).strip()) for row in first_rows]
    width = [len(row) for row in first_rows]  # fields, empty ones too: a sheet's rows are alike
    usual = max(set(width), key=width.count)
    rows = range(len(first_rows))
    usual_and_filled = [n for n in rows if width[n] == usual and filled[n] >= 2]
    any_filled = [n for n in rows if filled[n] >= 2]
    return (usual_and_filled or any_filled or [0])[0]


def _cell(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    return text if text.strip() else None


def _read_workbook(path: Path, raw: bytes, sheet: str | None) -> Table:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        raise ConfigError(f"{path} is not a readable .xlsx workbook: open it in Excel and save "
                          "it again as .xlsx or CSV") from None  # fmt: skip
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise ConfigError(f"{path} has no sheet {sheet!r}; its sheets are "
                              f"{', '.join(book.sheetnames)}")  # fmt: skip
        chosen = book[sheet] if sheet is not None else book.worksheets[0]
        records: list[tuple[list[str | None], int]] = []
        for number, values in enumerate(chosen.iter_rows(values_only=True), 1):
            cells = [_cell(v) for v in values]
            if any(cells):
                records.append((cells, number))
    finally:
        book.close()
    if not records:
        raise ConfigError(f"{path}: sheet {chosen.title!r} is empty")
    at = _header_at([cells for cells, _ in records[:50]])
    header = [c or "" for c in records[at][0]]
    while header and not header[-1]:
        header.pop()
    rows = [(cells + [None] * len(header))[: len(header)] for cells, _ in records[at + 1 :]]
    lines = [number for _, number in records[at + 1 :]]
    if not rows:
        raise ConfigError(f"{path}: sheet {chosen.title!r} has a header but no rows")
    frame = pd.DataFrame(rows, columns=_unique(header), dtype=object)
    above = f", header on row {records[at][1]}" if at else ""
    return Table(frame, header, lines, {}, f"sheet {chosen.title}{above}")
