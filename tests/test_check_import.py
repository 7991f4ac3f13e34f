"""The pre-import check: files of customers checked against a generated tenant with known truth
(rows that exist under other spellings, rows repeated within the file, new people, households,
broken rows), in UTF-8, Windows-1252 and Excel; bad input; the command's outputs and exit codes."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Browser

from tests.browser import open_page
from titanaudit.errors import ConfigError
from titanaudit.preimport import CHECK_COLUMNS, EXIT_REVIEW, run_check
from titanaudit.simulator import TenantSpec
from titanaudit.simulator.imports import (
    ImportFile,
    generate_import,
    write_import_csv,
    write_import_xlsx,
)
from titanaudit.testing import snapshot_from_tenant


@dataclass
class Prepared:
    made: ImportFile
    db: Path
    csv: Path
    folder: Path


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Prepared:
    made = generate_import(TenantSpec(customers=800, seed=13), rows=600, seed=13)
    folder = tmp_path_factory.mktemp("import")
    snapshot_from_tenant(made.tenant, folder / "tenant.sqlite").close()
    return Prepared(
        made, folder / "tenant.sqlite", write_import_csv(made, folder / "list.csv"), folder
    )


def titanaudit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "titanaudit", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def scores(checked: pd.DataFrame, made: ImportFile) -> dict[str, float]:
    """Shares of each kind of row decided as a careful person would."""
    truth = pd.DataFrame(made.truth)
    decided = checked["decision"].to_numpy()
    right_customer = [
        pd.notna(c) and int(c) in t
        for c, t in zip(checked["customer_id"], truth["customers"], strict=True)
    ]
    existing = truth["expected"] == "existing"
    new = truth["expected"] == "new"

    def share(hits: object, where: pd.Series) -> float:
        return float(pd.Series(hits)[where.to_numpy()].mean()) if where.any() else 1.0

    return {
        "existing found": share((decided == "existing") & right_customer, existing),
        "existing made new": 1 - share(decided != "new", existing),
        "new kept new": share(decided == "new", new),
        "new called existing": 1 - share(decided != "existing", new),
        "households to review": share(decided == "review", truth["kind"] == "household"),
        "broken to review": share(decided == "review", truth["kind"] == "broken"),
    }


def test_a_file_is_decided_as_its_truth_says(prepared: Prepared) -> None:
    check = run_check(prepared.csv, prepared.db)
    got = scores(check.checked, prepared.made)
    assert got["existing found"] >= 0.95, got
    assert got["existing made new"] <= 0.02, got  # each would be a duplicate the day it is imported
    assert got["new kept new"] >= 0.97, got
    assert got["new called existing"] <= 0.01, got  # each would be a customer never imported
    assert got["households to review"] >= 0.8, got
    assert got["broken to review"] == 1.0, got
    # repeats within the file point back at the row they repeat
    for row, truth in zip(check.checked["duplicate_of_row"], prepared.made.truth, strict=True):
        if truth["kind"] == "repeat" and truth["expected"] != "review":
            earlier = {int(r) for r in row.split("; ") if r}
            assert earlier & set(truth["repeats"]), (row, truth)
    # import-ready: the new rows, one per person (a repeat's person is the row it repeats)
    person = {n: min([n, *t["repeats"]]) for n, t in enumerate(prepared.made.truth, 1)}
    ready = [person[n] for n in (check.ready.index + 1)]
    assert len(ready) - len(set(ready)) <= 0.01 * len(ready)  # a repeat not recognised as one
    new_people = {person[n] for n, t in enumerate(prepared.made.truth, 1) if t["expected"] == "new"}
    assert len(new_people & set(ready)) >= 0.97 * len(new_people)


def test_a_row_with_only_a_phone_finds_its_customer(prepared: Prepared) -> None:
    check = run_check(prepared.csv, prepared.db)
    phone_only = [
        n
        for n, row in enumerate(prepared.made.rows)
        if sum(v is not None for v in row.values()) <= 2
        and row["Phone"]
        and not row["Customer Name"]
    ]
    assert phone_only, "the generator made no phone-only rows"
    found = check.checked.iloc[phone_only]
    truth = [prepared.made.truth[n]["customers"] for n in phone_only]
    hits = [
        d == "existing" and int(c) in t
        for d, c, t in zip(found["decision"], found["customer_id"], truth, strict=True)
    ]
    assert sum(hits) >= 0.8 * len(hits), list(
        zip(found["decision"], found["probability"], strict=True)
    )


def test_windows_1252_and_excel_files_decide_alike(prepared: Prepared) -> None:
    made = generate_import(
        TenantSpec(customers=800, seed=13), rows=300, seed=29, layout="marketing", broken=0
    )
    cp1252 = write_import_csv(
        made, prepared.folder / "marketing.csv", encoding="cp1252", delimiter=";"
    )
    book = write_import_xlsx(made, prepared.folder / "marketing.xlsx")
    from_text = run_check(cp1252, prepared.db)
    from_book = run_check(book, prepared.db)
    assert from_text.summary["source"] == "Windows-1252, semicolon-separated"
    assert from_book.summary["source"] == "sheet Customers"
    assert from_text.columns["first_name"] == ["First Name"] and from_text.columns["zip"] == [
        "Postal Code"
    ]
    assert list(from_text.checked["decision"]) == list(from_book.checked["decision"])
    got = scores(from_book.checked, made)
    assert got["existing found"] >= 0.95 and got["new called existing"] <= 0.01, got
    accented = [
        r["First Name"] for r in made.rows if r["First Name"] and not r["First Name"].isascii()
    ]
    assert accented and set(accented) <= set(from_text.checked["First Name"])
    # a ZIP Excel stored as a number still finds the customer's location
    assert (
        from_book.checked["location_id"].notna().sum()
        == from_text.checked["location_id"].notna().sum()
        > 0
    )


def test_broken_rows_are_kept_with_their_line(prepared: Prepared, tmp_path: Path) -> None:
    text = "Name,Phone,City\nAna Lopez,602-555-0147,Phoenix\nBob, Jr,Smith,602-555-0199,Mesa\n"
    raw = (
        text.encode()
        + "Jos\xe9 Ruiz,480-555-0100,Tempe\n".encode("cp1252")
        + "Zoë Park,480-555-0111,Mesa\n".encode()
    )
    path = tmp_path / "mixed.csv"
    path.write_bytes(raw)
    checked = run_check(path).checked
    assert list(checked["Name"]) == [
        "Ana Lopez",
        "Bob",
        "Jos\ufffd Ruiz",
        "Zoë Park",
    ]  # every row kept, in order
    assert list(checked["line"]) == [2, 3, 4, 5]
    assert list(checked["decision"][1:3]) == ["review", "review"]
    assert checked["problem"][1].startswith(
        "line 3: 5 fields where the header has 3; the extra: '602-555-0199', 'Mesa'"
    )
    assert checked["problem"][2] == "line 4: byte 0xe9 is not UTF-8 text (shown as \ufffd)"


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"", "is empty"),
        (b"Name,Phone\n", "has a header but no rows"),
        (
            b"Color,Size\nred,L\n",
            "no name, phone, e-mail or address column recognised among Color, Size",
        ),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512, "password-protected workbook"),
    ],
)
def test_bad_files_get_one_clear_message(tmp_path: Path, content: bytes, said: str) -> None:
    path = tmp_path / ("book.xlsx" if content.startswith(b"\xd0") else "list.csv")
    path.write_bytes(content)
    with pytest.raises(ConfigError, match=said):
        run_check(path)
    done = titanaudit("check-import", str(path), "--out", str(tmp_path / "out"))
    assert (
        done.returncode == 2 and said.split()[0] in done.stderr and "Traceback" not in done.stderr
    )
    assert not (tmp_path / "out" / "checked.csv").exists()


def test_the_command_writes_what_it_promises(prepared: Prepared, tmp_path: Path) -> None:
    out = tmp_path / "checked"
    done = titanaudit(
        "check-import", str(prepared.csv), "--db", str(prepared.db), "--out", str(out), "--quiet"
    )
    assert done.returncode == EXIT_REVIEW, done.stderr  # rows need review
    assert done.stdout.strip() == str(out / "index.html")
    assert {p.name for p in out.iterdir()} == {
        "checked.csv",
        "import-ready.csv",
        "check.json",
        "index.html",
    }
    assert all(p.stat().st_mode & 0o077 == 0 for p in out.iterdir())
    with (out / "checked.csv").open(newline="") as handle:
        rows = list(csv.reader(handle))
    with prepared.csv.open(newline="") as handle:
        given = list(csv.reader(handle))
    width = len(given[0])
    assert rows[0] == given[0] + CHECK_COLUMNS
    assert len(rows) == len(given)  # every row, broken ones too
    for mine, theirs in zip(rows[1:], given[1:], strict=True):
        cells = [c.removeprefix("'") for c in mine[:width]]  # spreadsheet-safe: '+1 ... phones
        assert cells == theirs[:width] or len(theirs) != width
    ready = pd.read_csv(out / "import-ready.csv", dtype=str)
    assert list(ready.columns) == given[0]
    summary = json.loads((out / "check.json").read_text())
    assert summary["decisions"]["review"] > 0 and summary["ready"] == len(ready)


def test_exit_code_zero_when_nothing_needs_a_look(tmp_path: Path) -> None:
    path = tmp_path / "clean.csv"
    path.write_text("Name,Phone,Zip\nAna Lopez,602-555-0147,85004\nWei Chen,480-555-0133,85281\n")
    done = titanaudit("check-import", str(path), "--out", str(tmp_path / "out"), "--quiet")
    assert done.returncode == 0, done.stderr
    assert "2 new" in done.stderr


def test_dry_run_prints_the_mapping(prepared: Prepared) -> None:
    done = titanaudit("check-import", str(prepared.csv), "--dry-run", "--map", "name=Notes")
    assert done.returncode == 0, done.stderr
    assert "name\tNotes" in done.stdout and "street\tAddress" in done.stdout
    assert "Not used: Customer Name" in done.stderr
    bad = titanaudit("check-import", str(prepared.csv), "--dry-run", "--map", "name=Nope")
    assert bad.returncode == 2 and "--map name=Nope: no such column" in bad.stderr


def test_from_python_a_frame_against_itself() -> None:
    import titanaudit

    frame = pd.DataFrame(
        {
            "Customer": ["Robert Smith", "Bob Smith", "Maria Garcia"],
            "Cell": ["(602) 555-0147", "602.555.0147", "480-555-0199"],
            "Street": ["12 Elm St", "12 Elm Street", "9 Oak Ave"],
            "Zip": ["85004", "85004", "85281"],
        }
    )
    checked = titanaudit.check_import(frame, mapping={"phone": "Cell"})
    assert list(checked.columns) == [*frame.columns, *CHECK_COLUMNS]
    assert list(checked["duplicate_of_row"]) == ["", "1", ""]
    assert set(checked["decision"]) == {"new"}


def test_the_page_escapes_and_draws(prepared: Prepared, tmp_path: Path, browser: Browser) -> None:
    path = tmp_path / "hostile.csv"
    hostile = '"<img src=x onerror=alert(1)> Smith",602-814-2231,"</script><b>x</b>"\n'
    path.write_text("Name,Phone,City\n" + hostile * 2)
    titanaudit("check-import", str(path), "--out", str(tmp_path / "out"), "--quiet")
    page = tmp_path / "out" / "index.html"
    assert "<img src=x" not in page.read_text()
    with open_page(browser, page) as opened:
        tab = opened.tab
        tab.select_option("#row-decision", "")
        assert tab.locator("#row-rows tr").count() == 1  # the second row repeats the first
        shown = "<img src=x onerror=alert(1)> Smith · </script><b>x</b>"
        assert shown in tab.locator("#row-rows").inner_text()
        assert tab.locator("#row-rows img, #row-rows b").count() == 0
        tab.fill("#row-search", "no such words")
        assert "0 rows" in tab.locator("#row-count").inner_text()
        tab.fill("#row-search", "smith")  # the search reads the row's values by name
        assert "1 rows" in tab.locator("#row-count").inner_text()


def test_a_missing_file_and_a_missing_sheet_are_named(prepared: Prepared, tmp_path: Path) -> None:
    done = titanaudit("check-import", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "out"))
    assert done.returncode == 2 and "nope.csv does not exist" in done.stderr
    made = generate_import(TenantSpec(customers=50, seed=2), rows=20, seed=2, broken=0)
    book = write_import_xlsx(made, tmp_path / "book.xlsx", sheet="Leads")
    done = titanaudit(
        "check-import", str(book), "--sheet", "Customers", "--out", str(tmp_path / "out")
    )
    assert done.returncode == 2 and "has no sheet 'Customers'; its sheets are Leads" in done.stderr
    assert run_check(book, sheet="Leads").summary["rows"] == 20


def test_title_lines_above_the_header_are_skipped(tmp_path: Path) -> None:
    import openpyxl

    path = tmp_path / "export.csv"
    path.write_text(
        "Customer list, exported 2026-11-01\n\nFull Name,Cell Phone #,ZIP/Postal Code\nAna Lopez,602-814-0147,85004\n"
    )
    check = run_check(path)
    assert check.summary["source"] == "UTF-8, comma-separated, header on line 3"
    assert check.columns == {
        "name": ["Full Name"],
        "phone": ["Cell Phone #"],
        "zip": ["ZIP/Postal Code"],
    }
    assert list(check.checked["line"]) == [4]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Referrals from Acme Home Warranty"])
    sheet.append(["Name", "Phone"])
    sheet.append(["Ana Lopez", 6028140147])
    book.save(tmp_path / "referrals.xlsx")
    check = run_check(tmp_path / "referrals.xlsx")
    assert check.summary["source"].endswith("header on row 2")
    assert list(check.checked["Phone"]) == ["6028140147"]


def test_a_whole_address_in_one_column_is_read(prepared: Prepared) -> None:
    rows = pd.DataFrame(prepared.made.rows)
    parts = rows[["Address", "City", "State", "Zip"]].fillna("")
    whole = parts["Address"] + ", " + parts["City"] + ", " + parts["State"] + " " + parts["Zip"]
    frame = pd.DataFrame(
        {"Name": rows["Customer Name"], "Address": whole.where(parts["Address"] != "")}
    )
    checked = titanaudit_check(frame, prepared.db)
    truth = pd.DataFrame(prepared.made.truth)
    # no phone, no e-mail: the name and the address must find them
    existing = (
        (truth["expected"] == "existing") & rows["Address"].notna() & rows["Customer Name"].notna()
    )
    found = [
        d == "existing" and int(c) in t
        for d, c, t in zip(
            checked["decision"], checked["customer_id"], truth["customers"], strict=True
        )
    ]
    assert pd.Series(found)[existing.to_numpy()].mean() >= 0.95
    new = (truth["expected"] == "new").to_numpy()
    assert (checked["decision"].to_numpy()[new] == "existing").mean() <= 0.01


def titanaudit_check(frame: pd.DataFrame, db: Path) -> pd.DataFrame:
    import titanaudit

    return titanaudit.check_import(frame, db)


def test_excel_unicode_text_is_checked(tmp_path: Path) -> None:
    """Excel's File > Save As > Unicode Text: UTF-16 LE with a byte-order mark, tabs, CRLF."""
    path = tmp_path / "export.txt"
    text = (
        "Name\tPhone\tCity\r\nJosé Ruiz\t602-555-0147\tPhoenix\r\nZoë Park\t480-555-0111\tMesa\r\n"
    )
    path.write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    done = titanaudit("check-import", str(path), "--out", str(tmp_path / "out"), "--quiet")
    assert done.returncode == 0, done.stderr
    assert "2 rows (UTF-16 LE, tab-separated)" in done.stderr
    with (tmp_path / "out" / "checked.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert [r[:3] for r in rows] == [line.split("\t") for line in text.splitlines()]


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (
            b"\x7fELF\x02\x01\x01\x00\x00\x00\x05\x00" * 8,
            "is not a text table (byte 0x7f at offset 0)",
        ),
        (
            b"Name,Phone\r\nAna\x00Lopez,602\x05\x1b[2J\r\n",
            "is not a text table (byte 0x00 at offset 15)",
        ),
        (b"%PDF-1.4\n%\xc7\xec\x8f\xa2\n", "is a PDF document, not a text table"),
    ],
    ids=["program", "NUL", "PDF"],
)
def test_a_binary_file_is_refused_in_one_printable_line(
    tmp_path: Path, content: bytes, said: str
) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes(content)
    done = titanaudit("check-import", str(path), "--out", str(tmp_path / "out"))
    assert done.returncode == 2, done.stderr
    assert done.stderr == f"error: {path} {said}; save it as CSV (UTF-8) or .xlsx\n"
    assert done.stderr.isascii() and done.stderr[:-1].isprintable()


def test_a_header_naming_a_column_twice(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("Name,Name,Phone\nAna Lopez,Ana,602-555-0147\n", encoding="utf-8")
    done = titanaudit("check-import", str(path), "--out", str(tmp_path / "out"), "--quiet")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr


def test_a_cell_holding_a_carriage_return(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes(b'Name,Phone,Notes\nAna Lopez,602-555-0147,"call\rafter 5"\n')
    done = titanaudit("check-import", str(path), "--out", str(tmp_path / "out"), "--quiet")
    assert done.returncode == 0, done.stderr
    with (tmp_path / "out" / "checked.csv").open(newline="", encoding="utf-8") as handle:
        assert [r["Notes"] for r in csv.DictReader(handle)] == ["call\rafter 5"]


def test_review_rows_carry_the_probability_of_what_they_are_checked_against(tmp_path: Path) -> None:
    from titanaudit.simulator import generate_tenant

    tenant = generate_tenant(TenantSpec(customers=300, seed=5))
    snapshot_from_tenant(tenant, tmp_path / "t.sqlite").close()
    home = next(
        c
        for c in tenant.feeds["customers"]
        if c["type"] == "Residential" and len(c["name"].split()) == 2
    )
    place, surname = home["address"], home["name"].split()[1]
    # a new member of that household, and the same person again further down without an address
    rows = pd.DataFrame(
        {
            "name": [f"Zelda {surname}", f"Zelda {surname}"],
            "street": [place["street"], None],
            "city": [place["city"], None],
            "zip": [place["zip"], None],
            "phone": ["(480) 731-9921", "480-731-9921"],
            "email": [None, "zelda.q@example.org"],
        }
    )
    checked = run_check(rows, tmp_path / "t.sqlite").checked
    assert list(checked["decision"]) == ["review", "review"]
    assert list(checked["customer_id"]) == [home["id"], home["id"]]
    assert (
        checked["probability"].notna().all() and checked["probability"].iloc[0] < 0.5
    )  # two people
    assert checked["explanation"].iloc[1] == "repeats a row that needs a look: 1"
