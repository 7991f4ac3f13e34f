"""Reading a user's table: byte-order marks and UTF-16 (Excel's "Unicode Text"), binary files
refused in one printable line, and property tests (hypothesis) that any bytes give a table or one
clear error, and that any table written as a spreadsheet program would comes back cell for cell,
through the library and through ``titanaudit check-import``."""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import string
import tempfile
import unicodedata
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from titanaudit.cli import main
from titanaudit.errors import ConfigError
from titanaudit.tables import ENCODINGS, read_csv, read_table

# Hypothesis keeps nothing in the checkout: no example database (database=None below), and its
# caches (constants read from the source, Unicode tables) in the temporary folder. It reads this
# when it first stores something, which is after import.
os.environ.setdefault(
    "HYPOTHESIS_STORAGE_DIRECTORY", str(Path(tempfile.gettempdir()) / "titanaudit-hypothesis")
)
#: each property test overwrites one file in its own tmp_path, so a function-scoped fixture is fine
PROPERTY = settings(
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

ENCODERS: dict[str, Callable[[str], bytes]] = {
    "UTF-8": lambda text: text.encode("utf-8"),
    "UTF-8 with BOM": lambda text: text.encode("utf-8-sig"),
    "UTF-16 LE with BOM": lambda text: codecs.BOM_UTF16_LE + text.encode("utf-16-le"),
    "UTF-16 BE with BOM": lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
    "UTF-32 LE with BOM": lambda text: codecs.BOM_UTF32_LE + text.encode("utf-32-le"),
    "UTF-32 BE with BOM": lambda text: codecs.BOM_UTF32_BE + text.encode("utf-32-be"),
    "Windows-1252": lambda text: text.encode("cp1252"),
}
DELIMITERS = [",", ";", "\t", "|"]
LINE_ENDS = ["\n", "\r\n", "\r"]


def clear_line(message: str) -> bool:
    """One line a terminal shows as it is: no control, format or separator characters."""
    return all(unicodedata.category(c)[0] != "C" and c not in "\u2028\u2029" for c in message)


def to_csv(rows: list[list[str]], delimiter: str, line_end: str, quote_all: bool) -> str:
    """``rows`` as a spreadsheet program writes them: a cell holding the delimiter, a quote or a
    line break in quotes (or every cell), quotes doubled."""

    def cell(value: str) -> str:
        if quote_all or any(c in value for c in (delimiter, '"', "\r", "\n")):
            return '"' + value.replace('"', '""') + '"'
        return value

    return "".join(delimiter.join(map(cell, row)) + line_end for row in rows)


def breaks(text: str) -> int:
    return len(re.findall(r"\r\n|\r|\n", text))


def expected(rows: list[list[str]]) -> tuple[list[list[str | None]], list[int]]:
    """The data rows read_table documents (blank cells None, rows with no cell filled skipped)
    and the line each starts on, for ``rows`` written with line breaks as in the cells."""
    data: list[list[str | None]] = []
    lines: list[int] = []
    line = 2 + sum(breaks(c) for c in rows[0])
    for row in rows[1:]:
        if any(c.strip() for c in row):
            data.append([c if c.strip() else None for c in row])
            lines.append(line)
        line += 1 + sum(breaks(c) for c in row)
    return data, lines


# ---------------------------------------------------------------------------------------------
# byte-order marks and UTF-16


def test_excel_unicode_text_export_is_read(tmp_path: Path) -> None:
    """Excel's File > Save As > Unicode Text: UTF-16 LE with a BOM, tab-separated, CRLF."""
    rows = [
        ["Name", "Phone", "City"],
        ["José Ruiz", "602-555-0147", "Phoenix"],
        ["Zoë Park", "480-555-0111", "Mesa"],
    ]
    path = tmp_path / "export.txt"
    path.write_bytes(codecs.BOM_UTF16_LE + to_csv(rows, "\t", "\r\n", False).encode("utf-16-le"))
    table = read_table(path)
    assert table.header == rows[0]
    assert table.frame.to_numpy().tolist() == rows[1:]
    assert table.lines == [2, 3]
    assert table.source == "UTF-16 LE, tab-separated"
    assert read_csv(path).to_numpy().tolist() == rows[1:]


@pytest.mark.parametrize("encoding", list(ENCODERS))
def test_every_byte_order_mark_is_recognised(tmp_path: Path, encoding: str) -> None:
    rows = [["Name", "Phone"], ["Zoë Park", "480-555-0111"]]
    path = tmp_path / "list.csv"
    path.write_bytes(ENCODERS[encoding](to_csv(rows, ",", "\r\n", False)))
    table = read_table(path)
    assert (table.header, table.frame.to_numpy().tolist()) == (rows[0], rows[1:])
    assert table.source == f"{encoding.removesuffix(' with BOM')}, comma-separated"
    if encoding != "Windows-1252":  # dedupe reads Unicode only
        frame = read_csv(path)
        assert (list(frame.columns), frame.to_numpy().tolist()) == (rows[0], rows[1:])


@pytest.mark.parametrize(
    ("codec", "label"), [("utf-16-le", "UTF-16 LE"), ("utf-16-be", "UTF-16 BE")]
)
def test_utf16_without_a_bom_is_recognised(tmp_path: Path, codec: str, label: str) -> None:
    rows = [
        ["Name", "Notes"],
        ["李小龍", "功夫"],
        ["Ana", "ok"],
    ]  # a few lines without any NUL byte
    path = tmp_path / "list.txt"
    path.write_bytes(to_csv(rows, "\t", "\r\n", False).encode(codec))
    table = read_table(path)
    assert (table.frame.to_numpy().tolist(), table.source) == (rows[1:], f"{label}, tab-separated")
    assert read_csv(path).to_numpy().tolist() == rows[1:]


@pytest.mark.parametrize(
    ("given", "written", "read"),
    [
        ("utf-16", codecs.BOM_UTF16_BE + "Name,Phone\nAna,1\n".encode("utf-16-be"), "UTF-16 BE"),
        ("utf-16", "Name,Phone\nAna,1\n".encode("utf-16-le"), "UTF-16 LE"),
        ("UTF16", "Name,Phone\nAna,1\n".encode("utf-16-be"), "UTF-16 BE"),
        ("utf-16-le", codecs.BOM_UTF16_LE + "Name,Phone\nAna,1\n".encode("utf-16-le"), "UTF-16 LE"),
        ("utf-32", codecs.BOM_UTF32_BE + "Name,Phone\nAna,1\n".encode("utf-32-be"), "UTF-32 BE"),
        ("utf-8", codecs.BOM_UTF8 + b"Name,Phone\nAna,1\n", "UTF-8"),
        ("cp1252", codecs.BOM_UTF8 + "Name,Phone\nAn\xe9,1\n".encode("cp1252"), "Windows-1252"),
    ],
    ids=[
        "utf-16 BE BOM",
        "utf-16 LE",
        "UTF16 BE",
        "utf-16-le BOM",
        "utf-32 BE BOM",
        "utf-8 BOM",
        "cp1252 after a UTF-8 BOM",
    ],
)
def test_encoding_option_takes_utf16_and_utf32(
    tmp_path: Path, given: str, written: bytes, read: str
) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes(written)
    table = read_table(path, encoding=given)
    assert table.header == ["Name", "Phone"] and table.source == f"{read}, comma-separated"
    assert table.frame.to_numpy().tolist()[0][0] in ("Ana", "An\xe9")


def test_encoding_option_against_a_bom_is_one_clear_line(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes(codecs.BOM_UTF16_LE + "Name,Phone\nAna,1\n".encode("utf-16-le"))
    with pytest.raises(
        ConfigError,
        match=r"list.csv starts with a UTF-16 LE byte-order mark, "
        r"but --encoding says cp1252; leave --encoding out",
    ):
        read_table(path, encoding="cp1252")


@pytest.mark.parametrize("encoding", ["base64", "idna", "undefined", "rot13", "nope"])
def test_an_encoding_that_cannot_read_text_is_one_clear_line(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes(b"Name,Phone\nAna,1\n\xff\n")
    with pytest.raises(ConfigError, match=rf"--encoding {encoding}: "):
        read_table(path, encoding=encoding)


def test_dedupe_reads_a_utf16_file(tmp_path: Path) -> None:
    rows = [
        ["id", "Customer Name", "Mobile"],
        ["c1", "Zoë Park", "480-555-0111"],
        ["c2", "Zoe Park", "480-555-0111"],
        ["c3", "José Ruiz", "602-555-0147"],
    ]
    path = tmp_path / "customers.txt"
    path.write_bytes(codecs.BOM_UTF16_LE + to_csv(rows, "\t", "\r\n", False).encode("utf-16-le"))
    out = tmp_path / "out.csv"
    done = CliRunner().invoke(
        main, ["dedupe", str(path), "--id-column", "id", "--out", str(out), "--quiet"]
    )
    assert done.exit_code == 0, done.output
    with out.open(newline="", encoding="utf-8") as handle:
        got = list(csv.reader(handle))
    assert [r[:3] for r in got] == rows


def test_check_import_help_lists_every_encoding() -> None:
    shown = " ".join(CliRunner().invoke(main, ["check-import", "--help"]).output.split())
    missing = [name for name in ENCODINGS if name not in shown]
    assert not missing, shown
    assert all(codecs.lookup(name) for name in ENCODINGS)


# ---------------------------------------------------------------------------------------------
# files that are not text


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"Name,Phone\nAna,602\x00555\n", "is not a text table (byte 0x00 at offset 18)"),
        (b"\x05\x07\x01\x02Name\x03,\x04Phone\n", "is not a text table (byte 0x05 at offset 0)"),
        (codecs.BOM_UTF16_LE + "Na\x00me".encode("utf-16-le"), "(character U+0000 at offset 6)"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "is a PDF document, not a text table"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "is a PNG image, not a text table"),
        (b"SQLite format 3\x00\x10\x00\x01\x01", "is an SQLite database, not a text table"),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00", "is a gzip archive, not a text table"),
    ],
    ids=["NUL", "controls", "UTF-16 NUL", "PDF", "PNG", "SQLite", "gzip"],
)
@pytest.mark.parametrize("reader", ["read_csv", "read_table"])
def test_a_binary_file_is_one_clear_line(
    tmp_path: Path, content: bytes, said: str, reader: str
) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as raised:
        read_csv(path) if reader == "read_csv" else read_table(path)
    message = str(raised.value)
    assert message.startswith(f"{path} ") and said in message, message
    assert message.endswith(
        "; save it as CSV (UTF-8)" + (" or .xlsx" if reader == "read_table" else "")
    )
    assert clear_line(message)


def test_a_workbook_given_to_dedupe_is_named(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append(["id", "Name"])
    book.save(tmp_path / "book.xlsx")
    with pytest.raises(
        ConfigError, match=r"book.xlsx is an Excel workbook or a ZIP archive, not a text"
    ):
        read_csv(tmp_path / "book.xlsx")


def test_a_file_that_cannot_be_read_is_one_clear_line() -> None:
    unreadable = Path("/proc/self/mem")  # opens, but reading it from offset 0 fails
    if not unreadable.exists():
        pytest.skip("no /proc")
    for read in (read_csv, read_table):
        with pytest.raises(ConfigError, match=r"^/proc/self/mem cannot be read: "):
            read(unreadable)


def test_control_characters_never_reach_a_message(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text(
        "Na\x1b[31mme,Ph\x85one,City\nAna Lopez,602-555-0147,Pho\x05enix\nBob,1,Mesa\n",
        encoding="utf-8",
    )
    table = read_table(path)
    assert table.header == ["Na\x1b[31mme", "Ph\x85one", "City"]  # checked.csv keeps them
    assert list(table.frame.columns) == ["Na\\x1b[31mme", "Ph\\x85one", "City"]
    assert table.frame.to_numpy().tolist()[0][2] == "Pho\x05enix"  # kept, and said
    assert table.problems == {0: "line 2: control character 0x05, which no text has"}
    with pytest.raises(
        ConfigError, match=r"^\S+list.csv, line 1: control character 0x1b"
    ) as raised:
        read_csv(path)  # strict: stops, without echoing the header
    assert clear_line(str(raised.value))


def test_a_sheet_name_is_shown_printable(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "Leads\u202e"  # right-to-left override: would reverse what follows
    book.save(tmp_path / "book.xlsx")
    with pytest.raises(ConfigError) as raised:
        read_table(tmp_path / "book.xlsx", sheet="Customers")
    assert "its sheets are Leads\\u202e" in str(raised.value) and clear_line(str(raised.value))


def test_a_quote_never_closed_is_named(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text('Name,Notes\nAna,"called back\n' + "Bob,fine\n" * 20_000, encoding="utf-8")
    with pytest.raises(
        ConfigError,
        match=r"list.csv, line 2: a cell runs on for more than "
        r"131,072 characters \(a quote never closed\?\)",
    ):
        read_table(path)


# ---------------------------------------------------------------------------------------------
# properties


def _workbook_bytes() -> bytes:
    book = openpyxl.Workbook()
    for row in (["Name", "Phone"], ["Ana Lopez", 6025550147], ["Bob", None]):
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


WORKBOOK = _workbook_bytes()
MAGIC = [
    b"PK\x03\x04",
    b"%PDF-",
    b"\x89PNG\r\n\x1a\n",
    b"SQLite format 3\x00",
    b"\x1f\x8b",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
    codecs.BOM_UTF8,
    codecs.BOM_UTF16_LE,
    codecs.BOM_UTF16_BE,
    codecs.BOM_UTF32_LE,
    codecs.BOM_UTF32_BE,
]
#: what tables are made of, and what breaks them
TABLE_CHARS = st.sampled_from(
    list(',;\t|"\r\n  aZ09\x00\x05\x1b\x1a\x85\xe9\u2028\ufeff\U0001f600')
)
ANY_BYTES = st.one_of(
    st.binary(max_size=600),
    st.tuples(st.sampled_from(MAGIC), st.binary(max_size=300)).map(b"".join),
    st.tuples(
        st.text(max_size=300) | st.text(TABLE_CHARS, max_size=300),
        st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-32", "cp1252"]),
    ).map(lambda written: written[0].encode(written[1], "replace")),
    st.tuples(st.integers(0, len(WORKBOOK)), st.binary(max_size=16)).map(
        lambda cut: WORKBOOK[: cut[0]] + cut[1] + WORKBOOK[cut[0] + len(cut[1]) :]
    ),
)
ANY_ENCODING = st.sampled_from(
    [
        None,
        "utf-8",
        "utf-16",
        "utf-16-be",
        "utf-32",
        "cp1252",
        "latin-1",
        "utf-7",
        "idna",
        "punycode",
        "base64",
        "undefined",
    ]
)


def outcome(read: Callable[[Path], object], path: Path) -> str:
    """What ``read`` said about ``path``: its ConfigError's message, or "" if it read it."""
    try:
        read(path)
    except ConfigError as exc:
        return str(exc)
    return ""


@settings(PROPERTY, max_examples=500)
@given(content=ANY_BYTES, suffix=st.sampled_from([".csv", ".txt", ".xlsx"]), encoding=ANY_ENCODING)
def test_any_bytes_give_a_table_or_one_clear_line(
    tmp_path: Path, content: bytes, suffix: str, encoding: str | None
) -> None:
    path = tmp_path / f"any{suffix}"
    path.write_bytes(content)
    said = outcome(read_csv, path)
    assert clear_line(said), said
    said = outcome(lambda p: read_table(p, encoding=encoding), path)
    assert clear_line(said), said
    if not said:
        table = read_table(path, encoding=encoding)
        assert len(table.frame) == len(table.lines) > 0
        assert set(table.problems) <= set(range(len(table.frame)))
        assert all(clear_line(str(c)) for c in table.frame.columns)


HEADER_NAME = st.text(
    string.ascii_letters + string.digits + " _#/()-", min_size=1, max_size=12
).filter(str.strip)
#: text a cell may hold (Unicode, or what Windows-1252 can encode), with the characters a table is
#: written with: delimiters, quotes, line breaks. Windows-1252 text is held to the accented letters
#: (U+00C0-U+00FF): its bytes 0x80-0xBF can spell valid UTF-8 after them ("Ã©"), which no reader
#: can tell from UTF-8.
SPECIAL = st.sampled_from([",", ";", "\t", "|", '"', "\r", "\n", "\r\n", " "])
UNICODE_CELL = st.lists(st.characters(exclude_categories=("Cs", "Cc")) | SPECIAL, max_size=12).map(
    "".join
)
LATIN = (
    string.ascii_letters
    + string.digits
    + string.punctuation
    + "".join(map(chr, range(0xC0, 0x100)))
)
LATIN_CELL = st.lists(st.sampled_from(LATIN) | SPECIAL, max_size=12).map("".join)


@st.composite
def written_tables(
    draw: st.DrawFn,
    names: st.SearchStrategy[str] = HEADER_NAME,
    max_rows: int = 8,
    unique: bool = False,
    bare_cr: bool = True,
) -> tuple[list[list[str]], str, bytes]:
    """A header and rows, their encoding's name, and the bytes of the file. A one-column table's
    cells hold no delimiter: "Name\\nLopez; Ana" is as well a title line over two columns."""
    encoding = draw(st.sampled_from(list(ENCODERS)))
    cells = LATIN_CELL if encoding == "Windows-1252" else UNICODE_CELL
    if not bare_cr:
        cells = cells.map(lambda cell: re.sub("\r(?!\n)", "", cell))
    width = draw(st.integers(1, 5))
    if width == 1:
        cells = cells.map(lambda cell: cell.translate(dict.fromkeys(map(ord, DELIMITERS))))
    header = draw(st.lists(names, min_size=width, max_size=width, unique=unique))
    rows = draw(st.lists(st.lists(cells, min_size=width, max_size=width), max_size=max_rows))
    text = to_csv(
        [header, *rows],
        draw(st.sampled_from(DELIMITERS)),
        draw(st.sampled_from(LINE_ENDS)),
        draw(st.booleans()),
    )
    return [header, *rows], encoding, ENCODERS[encoding](text)


@settings(PROPERTY, max_examples=500)
@given(written=written_tables())
def test_a_written_table_reads_back_cell_for_cell(
    tmp_path: Path, written: tuple[list[list[str]], str, bytes]
) -> None:
    rows, encoding, content = written
    path = tmp_path / "table.csv"
    path.write_bytes(content)
    data, lines = expected(rows)
    if not data:
        with pytest.raises(ConfigError, match="has a header but no rows"):
            read_table(path)
        return
    table = read_table(path)
    assert table.header == rows[0]
    assert table.frame.to_numpy().tolist() == data
    assert table.lines == lines
    assert table.problems == {}
    if encoding != "Windows-1252":  # dedupe reads Unicode only, through pandas
        frame = read_csv(path)
        cells = frame.where(frame.notna(), "").to_numpy().tolist()
        assert [row for row in cells if any(c.strip() for c in row)] == [
            row for row in rows[1:] if any(c.strip() for c in row)
        ]


COLUMN = st.sampled_from(["Name", "Phone", "Email", "City", "Zip", "Notes"])
# checked.csv repeats the header as it is, so a name given twice comes back twice, and a lone CR
# in a cell stays in its cell


@settings(PROPERTY, max_examples=40)
@given(written=written_tables(names=COLUMN, max_rows=6, unique=False, bare_cr=True))
def test_check_import_writes_every_row_once(
    tmp_path: Path, written: tuple[list[list[str]], str, bytes]
) -> None:
    rows, _, content = written
    path, out = tmp_path / "import.csv", tmp_path / "out"
    path.write_bytes(content)
    (out / "checked.csv").unlink(missing_ok=True)
    done = CliRunner().invoke(main, ["check-import", str(path), "--out", str(out), "--quiet"])
    assert done.exception is None or isinstance(done.exception, SystemExit), done.exception
    assert "Traceback" not in done.output
    data, lines = expected(rows)
    if done.exit_code == 2:
        said = done.output.strip()
        assert said.startswith("error: ") and "\n" not in said and clear_line(said), said
        assert not (out / "checked.csv").exists()
        assert not data or not {"Name", "Phone", "Email"} & set(rows[0]), said
        return
    assert done.exit_code in (0, 10), done.output
    with (out / "checked.csv").open(newline="", encoding="utf-8") as handle:
        checked = list(csv.DictReader(handle))
    assert len(checked) == len(data)
    assert [int(r["line"]) for r in checked] == lines
    assert not [r["problem"] for r in checked if r["problem"].startswith("line ")]  # read whole
