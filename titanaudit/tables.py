"""Reading a user's table (a CSV file or an Excel workbook) with a clear message for every way it
can be wrong.

Text may be in any of :data:`ENCODINGS`. A byte-order mark (UTF-8, UTF-16 or UTF-32, either byte
order) says which; so do the NUL bytes beside every ASCII character of UTF-16 text without one.
A file that is not text (NUL bytes or many control characters in its first 64 KB, or a PDF, an
image, an archive, a database) is refused in one line that names the first such byte.

:func:`read_csv` is strict (for ``titanaudit dedupe``): UTF-8, UTF-16 or UTF-32 (as above), and
any error stops, a control character no text has too. :func:`read_table` is forgiving (for
``titanaudit check-import``, where a file must lose nothing): it also takes Windows-1252 and
Latin-1 files (guessed) or any encoding it is told, any common delimiter, and ``.xlsx``
workbooks; a row it cannot read whole (a wrong number of fields, a byte that is not text, a
control character) is kept, with what is wrong with it and its line number, and a row with no
cell filled is skipped. Every cell is read as text, so ZIP codes keep their leading zeros.
Names and values from the file appear in a message only printable (control characters escaped).
"""

from __future__ import annotations

import bisect
import codecs
import csv
import datetime as dt
import io
import itertools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from titanaudit.errors import ConfigError

__all__ = ["Table", "read_csv", "read_table"]

#: the encodings read without being told (``--encoding`` takes these, or any other Python codec)
ENCODINGS = (
    "utf-8",
    "utf-8-sig",
    "utf-16",
    "utf-16-le",
    "utf-16-be",
    "utf-32",
    "utf-32-le",
    "utf-32-be",
    "cp1252",
    "latin-1",
)
LABELS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8",
    "utf-16-le": "UTF-16 LE",
    "utf-16-be": "UTF-16 BE",
    "utf-32-le": "UTF-32 LE",
    "utf-32-be": "UTF-32 BE",
    "cp1252": "Windows-1252",
    "iso8859-1": "Latin-1",
}
#: byte-order marks; UTF-32 LE's starts with UTF-16 LE's, so it is looked for first
BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
#: an OLE2 compound file: a password-protected workbook (or an old .xls)
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#: how files that are not text tables begin (a ZIP file is an .xlsx workbook to read_table)
MAGIC = (
    (b"PK\x03\x04", "an Excel workbook or a ZIP archive"),
    (OLE_MAGIC, "an Excel 97-2003 or password-protected workbook"),
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"\x1f\x8b", "a gzip archive"),
)
CSV_ADVICE = "save it as CSV (UTF-8)"
TABLE_ADVICE = "save it as CSV (UTF-8) or .xlsx"
#: control characters no text has: C0 but tab, line feed, vertical tab, form feed, carriage
#: return and DOS's end-of-file mark (0x1a); DEL; C1 (bytes 0x80-0x9f read as Latin-1)
CONTROL = re.compile(r"[\x00-\x08\x0e-\x19\x1b-\x1f\x7f-\x9f]")
C0 = re.compile(r"[\x00-\x08\x0e-\x19\x1b-\x1f\x7f]")
#: how much of a file decides whether it is text: no NUL, at most one C0 control in 20 characters
SAMPLE = 65_536
#: what csv (and so a file's line numbers) counts as a line break
LINE_BREAK = re.compile(r"\r\n|\r|\n")
DELIMITERS = ",;\t|"
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


def _mark(exc: UnicodeError) -> tuple[str, int]:
    """A decoding error handler: each byte that is not text becomes U+DC00 + the byte (lone
    surrogates, which no strict decoder gives), to be found and shown as U+FFFD."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return "".join(chr(0xDC00 + b) for b in exc.object[exc.start : exc.end]), exc.end


codecs.register_error("titanaudit.tables.mark", _mark)


def read_csv(path: Path) -> pd.DataFrame:
    """The table in ``path``, all cells text (missing cells are missing)."""
    raw = _read_bytes(path, "a CSV file")
    _refuse_kind(path, raw, CSV_ADVICE)
    text = _decode(path, raw, None, lambda _: "utf-8")
    text.refuse_binary(CSV_ADVICE)
    if text.spots:
        at, what = text.spots[0]
        raise ConfigError(
            f"{text.name}, line {text.line(at)}: not {text.label} ({what}); save the "
            "file as UTF-8 (in Excel: Save As > CSV UTF-8)"
        )
    stray = CONTROL.search(text.text)
    if stray:
        raise ConfigError(
            f"{text.name}, line {text.line(stray.start())}: control character "
            f"0x{ord(stray.group()):02x}, which no text has; remove it, or "
            f"{CSV_ADVICE}"
        )
    if not text.text or text.text.isspace():
        raise ConfigError(f"{text.name} is empty")
    try:
        # from UTF-8 bytes, not a StringIO, which holds four bytes a character
        frame = pd.read_csv(
            io.BytesIO(text.text.encode("utf-8")),
            sep=_delimiter(text.text),
            dtype=str,
            encoding="utf-8",
            keep_default_na=False,
            na_values=[""],
        )
    except (pd.errors.ParserError, ValueError) as exc:
        said = str(exc).strip().splitlines() or ["not a table"]
        raise ConfigError(f"{text.name}: {_printable(said[-1])}") from None
    if frame.empty:
        raise ConfigError(f"{text.name} has a header but no rows")
    return frame


@dataclass
class Table:
    """A table read by :func:`read_table`. ``frame``: one row per data row, every cell text or
    None (a cell of only spaces too), columns named as in the file (made unique: a repeated
    header gets ``.1``, an empty one ``column N``; made printable: control characters escaped);
    ``header``: the header exactly as in the file; ``lines``: the line (CSV) or sheet row (Excel)
    each data row starts on; ``problems``: data row position → what is wrong with it;
    ``source``: how it was read ("UTF-8, comma-separated", "sheet Customers")."""

    frame: pd.DataFrame
    header: list[str]
    lines: list[int]
    problems: dict[int, str] = field(default_factory=dict)
    source: str = ""

    def problem_lines(self, limit: int, *, then: str = "") -> list[str]:
        """The first ``limit`` rows that could not be read whole, one line each ("row 12: ...",
        and ``then`` after it), what is wrong and not the customer's cells (those stay in the
        owner-only output), and how many more there are."""
        lines = [
            f"row {position + 1}: {problem.split('; the extra:')[0]}{then}"
            for position, problem in list(self.problems.items())[:limit]
        ]
        if len(self.problems) > limit:
            lines.append(
                f"... and {len(self.problems) - limit:,} more rows that could not be read whole"
            )
        return lines


def _shown(value: object) -> str:
    return _printable(str(value))


def _printable(text: str) -> str:
    """``text`` with each character a terminal would act on or not show (controls, format
    characters, line separators) written as its escape, ``\\x1b``."""
    if text.isprintable():
        return text
    return "".join(repr(c)[1:-1] if _hidden(c) else c for c in text)


def _hidden(char: str) -> bool:
    return unicodedata.category(char)[0] == "C" or char in "\u2028\u2029"


def _read_bytes(path: Path, what: str) -> bytes:
    if not path.exists():
        raise ConfigError(f"{_shown(path)} does not exist")
    if path.is_dir():
        raise ConfigError(f"{_shown(path)} is a folder, not {what}")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{_shown(path)} cannot be read: {exc.strerror or exc}") from None


def _refuse_kind(path: Path, raw: bytes, advice: str) -> None:
    """A ConfigError if ``raw`` begins as a PDF, an image, an archive or a database does."""
    for magic, kind in MAGIC:
        if raw.startswith(magic):
            raise ConfigError(f"{_shown(path)} is {kind}, not a text table; {advice}")


@dataclass(frozen=True)
class _Text:
    """A file's text: ``codec`` read it, after ``skip`` bytes of byte-order mark; ``spots``: the
    character offset and bytes of each run of bytes that is not text in it (shown as U+FFFD)."""

    path: Path
    raw: bytes
    text: str
    codec: str
    skip: int
    spots: list[tuple[int, str]]

    @property
    def name(self) -> str:
        return _shown(self.path)

    @property
    def label(self) -> str:
        return _label(self.codec)

    @property
    def wide(self) -> bool:
        return _family(self.codec) in ("utf-16", "utf-32")

    def line(self, at: int) -> int:
        """The line (1-based) the character at ``at`` is on."""
        return len(LINE_BREAK.findall(self.text, 0, at)) + 1

    def refuse_binary(self, advice: str) -> None:
        """A ConfigError naming the first control character if the first :data:`SAMPLE`
        characters hold a NUL, or more than one control character in 20."""
        sample = self.text[:SAMPLE]
        controls = [found.start() for found in C0.finditer(sample)]
        if "\x00" in sample or len(controls) * 20 > len(sample):
            raise ConfigError(
                f"{self.name} is not a text table ({self._where(controls[0])}); {advice}"
            )

    def _where(self, at: int) -> str:
        char = self.text[at]
        if self.wide:
            offset = self.skip + len(self.text[:at].encode(self.codec))
            return f"character U+{ord(char):04X} at offset {offset}"
        # in UTF-8 and the 8-bit encodings a control character is its byte, wherever it is
        found = self.raw.find(char.encode("latin-1"), self.skip)
        return f"byte 0x{ord(char):02x} at offset {found if found >= 0 else at}"


def _decode(path: Path, raw: bytes, encoding: str | None, guess: Callable[[bytes], str]) -> _Text:
    """``raw`` read as its byte-order mark says, else as ``encoding``, else as UTF-16 if its NUL
    bytes say so, else as ``guess`` says; bytes that are not text are marked, not fatal."""
    codec, skip = _choose(path, raw, encoding, guess)
    marked = _marked(path, raw[skip:], codec, encoding)
    spots: list[tuple[int, str]] = []
    parts: list[str] = []
    end = size = 0
    for run in re.finditer("[\ud800-\udfff]+", marked):
        parts += [marked[end : run.start()], "\ufffd"]
        size += run.start() - end
        spots.append((size, _bytes_named(run.group())))
        size, end = size + 1, run.end()
    text = "".join([*parts, marked[end:]]) if spots else marked
    return _Text(path, raw, text, codec, skip, spots)


def _marked(path: Path, body: bytes, codec: str, encoding: str | None) -> str:
    """``body`` decoded, each run of bytes that is not text in ``codec`` marked (:func:`_mark`)."""
    try:
        try:
            return body.decode(codec)
        except UnicodeDecodeError:
            return body.decode(codec, "titanaudit.tables.mark")
    except UnicodeError:  # only an unusual codec given with --encoding (idna, punycode) fails so
        raise ConfigError(
            f"--encoding {_printable(str(encoding))}: {_shown(path)} cannot be read "
            f"with it; leave --encoding out, or try {', '.join(ENCODINGS)}"
        ) from None


def _bytes_named(run: str) -> str:
    """The bytes a run of :func:`_mark`'s characters stands for ("byte 0xe9", "bytes 0x00 0xd8");
    a lone surrogate an unusual codec gave (not a byte) as U+D800."""
    named = [f"0x{ord(c) - 0xDC00:02x}" if ord(c) >= 0xDC00 else f"U+{ord(c):04X}" for c in run]
    return (
        ("byte " if len(named) == 1 else "bytes ")
        + " ".join(named[:4])
        + (" ..." if len(named) > 4 else "")
    )


def _choose(
    path: Path, raw: bytes, encoding: str | None, guess: Callable[[bytes], str]
) -> tuple[str, int]:
    """The codec to read ``raw`` with and how many bytes of byte-order mark to skip."""
    given = _codec(encoding) if encoding else None
    marked = next(((codec, len(bom)) for bom, codec in BOMS if raw.startswith(bom)), None)
    if marked is None:
        if given in ("utf-16", "utf-32"):  # no mark: the byte order its NUL bytes show
            return (_utf16(raw) if given == "utf-16" else None) or f"{given}-le", 0
        return given or _utf16(raw) or guess(raw), 0
    codec, skip = marked
    if given is None or _family(given) == _family(codec):
        return codec, skip
    if codec == "utf-8":  # a mark some programs write before text in another encoding
        return given, skip
    raise ConfigError(
        f"{_shown(path)} starts with a {_label(codec)} byte-order mark, but "
        f"--encoding says {_printable(str(encoding))}; leave --encoding out"
    )


def _codec(encoding: str) -> str:
    """``encoding``'s name as :mod:`codecs` knows it; a ConfigError unless it decodes to text."""
    try:
        name = codecs.lookup(encoding).name
        b"a".decode(name)
    except UnicodeDecodeError:  # a byte that is not text in it: so it reads text
        pass
    except (LookupError, ValueError):  # no such codec; base64, rot13 (not text); "undefined"
        raise ConfigError(
            f"--encoding {_printable(encoding)}: no such text encoding (try {', '.join(ENCODINGS)})"
        ) from None
    return name


def _family(codec: str) -> str:
    return codec.removesuffix("-sig").removesuffix("-le").removesuffix("-be")


def _utf16(raw: bytes) -> str | None:
    """``utf-16-le`` (or ``-be``) when one byte of each pair in the first 4 KB is NUL in one
    pair in eight or more and the other byte of the pair almost never is: UTF-16 text without a
    byte-order mark (a NUL beside each ASCII character); else None."""
    sample = raw[:4096]
    sample = sample[: len(sample) // 2 * 2]
    pairs = len(sample) // 2
    low, high = sample[0::2].count(0), sample[1::2].count(0)
    if pairs and high * 8 >= pairs and low * 10 <= high:
        return "utf-16-le"
    if pairs and low * 8 >= pairs and high * 10 <= low:
        return "utf-16-be"
    return None


def _delimiter(text: str) -> str:
    """The delimiter that reads the first records of ``text`` as the most regular table (see
    :func:`_regularity`); the first of :data:`DELIMITERS` among equals. (``csv.Sniffer`` guesses
    from the characters beside quotes, and a cell holding a quoted comma fools it.)"""
    sample = text[:20_000]
    return max(DELIMITERS, key=lambda delimiter: _regularity(sample, delimiter))


def _regularity(sample: str, delimiter: str) -> tuple[bool, int, float, int, int]:
    """How regular a table ``sample`` is when split at ``delimiter``, best first: two or more
    fields in the header and in half the rows or more; the fewest lines above the header; the
    share of rows as wide as the header; the header's width; the most records (a line of only
    delimiters is blank)."""
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
    try:
        records = [
            cells for cells in itertools.islice(reader, 200) if any(c.strip() for c in cells)
        ]
    except csv.Error:
        return (False, -len(sample), 0.0, 0, 0)
    if not records:
        return (False, 0, 0.0, 0, 0)
    at = _header_at(records[:50])
    width, rows = len(records[at]), records[at + 1 :]
    fits = sum(len(cells) == width for cells in rows) / len(rows) if rows else 1.0
    return (width >= 2 and fits >= 0.5, -at, fits, width, len(records))


def _unique(header: list[str]) -> list[str]:
    names: list[str] = []
    for n, name in enumerate(header, 1):
        base = _printable(name.strip()) or f"column {n}"
        unique, k = base, 0
        while unique in names:
            k += 1
            unique = f"{base}.{k}"
        names.append(unique)
    return names


def read_table(path: Path, *, sheet: str | None = None, encoding: str | None = None) -> Table:
    """Read ``path``: ``.xlsx`` (the first sheet, or ``sheet``), else delimited text. See the
    module docstring; a ``ConfigError`` names the file and what to do."""
    raw = _read_bytes(path, "a CSV or Excel file")
    if raw.startswith(OLE_MAGIC) or path.suffix.lower() == ".xls":
        raise ConfigError(
            f"{_shown(path)} is a password-protected workbook or an old Excel 97-2003 "
            ".xls file: open it in Excel, remove the password (File > Info > Protect "
            "Workbook) and save it as .xlsx or CSV"
        )
    if path.suffix.lower() in (".xlsx", ".xlsm") or raw.startswith(b"PK\x03\x04"):
        return _read_workbook(path, raw, sheet)
    _refuse_kind(path, raw, TABLE_ADVICE)
    if sheet is not None:
        raise ConfigError(f"--sheet is for Excel workbooks; {_shown(path)} is a text file")
    return _read_text(_decode(path, raw, encoding, _guess))


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
    return LABELS.get(name, name)


def _notes(text: _Text) -> dict[int, list[str]]:
    """Line → what is wrong on it: its first run of bytes that are not text, its first control
    character."""
    bad = [(at, f"{what} is not {text.label} text (shown as \ufffd)") for at, what in text.spots]
    odd = [
        (m.start(), f"control character 0x{ord(m.group()):02x}, which no text has")
        for m in CONTROL.finditer(text.text)
    ]
    if not bad and not odd:
        return {}
    starts = [0, *(m.end() for m in LINE_BREAK.finditer(text.text))]
    notes: dict[int, list[str]] = {}
    for said in (bad, odd):
        first: dict[int, str] = {}
        for at, note in said:
            first.setdefault(bisect.bisect_right(starts, at), note)
        for line, note in first.items():
            notes.setdefault(line, []).append(note)
    return notes


def _records(text: _Text, delimiter: str) -> list[tuple[list[str], int, int]]:
    """The file's records with a cell filled: cells, first line, last line."""
    reader = csv.reader(io.StringIO(text.text, newline=""), delimiter=delimiter)
    records: list[tuple[list[str], int, int]] = []
    start_line = 1
    try:
        for cells in reader:
            first, start_line = start_line, reader.line_num + 1
            if any(c.strip() for c in cells):
                records.append((cells, first, reader.line_num))
    except csv.Error as exc:
        if "field limit" in str(exc):
            raise ConfigError(
                f"{text.name}, line {start_line}: a cell runs on for more than "
                f"{csv.field_size_limit():,} characters (a quote never closed?); "
                "close it and save the file again"
            ) from None
        raise ConfigError(f"{text.name}, line {reader.line_num}: {_printable(str(exc))}") from None
    if not records:
        raise ConfigError(f"{text.name} is empty")
    return records


def _read_text(text: _Text) -> Table:
    text.refuse_binary(TABLE_ADVICE)
    if not text.text or text.text.isspace():
        raise ConfigError(f"{text.name} is empty")
    delimiter = _delimiter(text.text)
    records = _records(text, delimiter)
    at = _header_at([cells for cells, _, _ in records[:50]])
    header = records[at][0]
    notes = _notes(text)
    rows: list[list[str | None]] = []
    lines: list[int] = []
    problems: dict[int, str] = {}
    for cells, first, last in records[at + 1 :]:
        said = [note for n in range(first, last + 1) for note in notes.get(n, [])]
        if len(cells) != len(header):
            extra = cells[len(header) :]
            said.append(
                f"{len(cells)} fields where the header has {len(header)}"
                + (f"; the extra: {', '.join(map(repr, extra))}" if extra else "")
            )
        if said:
            problems[len(rows)] = f"line {first}: " + "; ".join(said)
        rows.append([c if c.strip() else None for c in (cells + [""] * len(header))[: len(header)]])
        lines.append(first)
    if not rows:
        raise ConfigError(f"{text.name} has a header but no rows")
    frame = pd.DataFrame(rows, columns=_unique(header), dtype=object)
    kind = DELIMITER_NAMES.get(delimiter, repr(delimiter))
    above = f", header on line {records[at][1]}" if at else ""
    return Table(frame, header, lines, problems, f"{text.label}, {kind}-separated{above}")


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
    records, title = _sheet_records(path, raw, sheet)
    if not records:
        raise ConfigError(f"{_shown(path)}: sheet {title!r} is empty")
    at = _header_at([cells for cells, _ in records[:50]])
    header = [c or "" for c in records[at][0]]
    while header and not header[-1]:
        header.pop()
    rows = [(cells + [None] * len(header))[: len(header)] for cells, _ in records[at + 1 :]]
    lines = [number for _, number in records[at + 1 :]]
    if not rows:
        raise ConfigError(f"{_shown(path)}: sheet {title!r} has a header but no rows")
    frame = pd.DataFrame(rows, columns=_unique(header), dtype=object)
    above = f", header on row {records[at][1]}" if at else ""
    return Table(frame, header, lines, {}, f"sheet {_printable(title)}{above}")


def _sheet_records(
    path: Path, raw: bytes, sheet: str | None
) -> tuple[list[tuple[list[str | None], int]], str]:
    """The rows of ``sheet`` (or the first) with a cell filled, their row numbers, and the
    sheet's name."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        try:
            return _rows_of(path, book, sheet)
        finally:
            book.close()
    except ConfigError:
        raise
    except Exception:  # a damaged file fails anywhere: in zipfile, zlib, the XML parser, openpyxl
        raise ConfigError(
            f"{_shown(path)} is not a readable .xlsx workbook: open it in Excel "
            "and save it again as .xlsx or CSV"
        ) from None


def _rows_of(
    path: Path, book: Any, sheet: str | None
) -> tuple[list[tuple[list[str | None], int]], str]:
    if sheet is not None and sheet not in book.sheetnames:
        raise ConfigError(
            f"{_shown(path)} has no sheet {sheet!r}; its sheets are "
            f"{_printable(', '.join(book.sheetnames))}"
        )
    chosen = book[sheet] if sheet is not None else book.worksheets[0]
    records: list[tuple[list[str | None], int]] = []
    for number, values in enumerate(chosen.iter_rows(values_only=True), 1):
        cells = [_cell(v) for v in values]
        if any(cells):
            records.append((cells, number))
    return records, str(chosen.title)
