"""Owner-only files and spreadsheet-safe cells."""

from __future__ import annotations

import stat
from pathlib import Path

import pandas as pd

from titanaudit.export import write_csv
from titanaudit.privacy import safe_cell, safe_column


def test_formula_cells_get_an_apostrophe_and_nothing_else_changes() -> None:
    cells = ['=HYPERLINK("x")', "+1 555", "-2", "@SUM(A1)", "\tx", "Smith", "", None, 7]
    column = safe_column(pd.Series(cells, dtype=object))
    assert column.tolist() == [
        '\'=HYPERLINK("x")',
        "'+1 555",
        "'-2",
        "'@SUM(A1)",
        "'\tx",
        "Smith",
        "",
        None,
        7,
    ]
    assert column.tolist() == [safe_cell(c) for c in cells]


def test_columns_without_text_pass_through() -> None:
    numbers = pd.Series([1, 2, None], dtype=object)
    assert safe_column(numbers) is numbers
    strings = pd.Series(["=1", pd.NA], dtype="string")
    assert safe_column(strings).tolist() == ["'=1", pd.NA]


def test_written_csv_is_private_and_safe(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    write_csv(pd.DataFrame({"name": ["=cmd|' /C calc'!A0", "Ann"], "n": [1, 2]}), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().splitlines() == ["name,n", "'=cmd|' /C calc'!A0,1", "Ann,2"]
    assert not list(tmp_path.glob(".*partial"))
