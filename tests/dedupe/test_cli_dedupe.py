"""`titanaudit dedupe FILE.csv` as a data team would run it."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from titanaudit.cli import main

ROWS = [
    ("id", "Customer Name", "Address 1", "Zip Code", "Mobile", "E-mail"),
    ("c1", "Robert Smith", "1420 W Elm St", "85015", "(602) 867-5309", "rob@gmail.com"),
    ("c2", "Bob Smith", "1420 West Elm Street", "85015", "602.867.5309", ""),
    ("c3", "Mary Smith", "1420 W Elm St", "85015", "602-867-5309", "mary@yahoo.com"),
    ("c4", "Smith, Robert", "88 N Oak Ave", "85016", "602-867-5309", "rob@gmail.com"),
    ("c5", '=HYPERLINK("http://x")', "9 S Pine Rd", "02134", "480-555-7777", "ana@x.com"),
    *[
        (
            f"f{i}",
            f"Person{i} Name{i}",
            f"{100 + i} E Filler Rd",
            "85020",
            f"623-{200 + i:03d}-{1000 + i:04d}",
            "",
        )
        for i in range(40)
    ],
]


def write(
    path: Path, rows: list[tuple[str, ...]], delimiter: str = ",", encoding: str = "utf-8"
) -> Path:
    with path.open("w", newline="", encoding=encoding) as handle:
        csv.writer(handle, delimiter=delimiter).writerows(rows)
    return path


def read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_dedupe_writes_the_input_plus_clusters(tmp_path: Path, delimiter: str) -> None:
    source = write(tmp_path / "customers.csv", ROWS, delimiter)
    out, pairs = tmp_path / "out.csv", tmp_path / "pairs.csv"
    result = CliRunner().invoke(
        main, ["dedupe", str(source), "--id-column", "id", "--out", str(out), "--pairs", str(pairs)]
    )
    assert result.exit_code == 0, result.output
    rows = read(out)
    assert list(rows[0]) == [*ROWS[0], "cluster_id", "cluster_size"]
    assert len(rows) == len(ROWS) - 1
    by_id = {r["id"]: r for r in rows}
    assert by_id["c1"]["cluster_id"] == by_id["c2"]["cluster_id"] == by_id["c4"]["cluster_id"] != ""
    assert by_id["c1"]["cluster_size"] == "3"
    assert by_id["c3"]["cluster_id"] == "" and by_id["c3"]["cluster_size"] == "1"
    assert by_id["c5"]["Customer Name"].startswith("'="), "formula cells are neutralised"
    assert by_id["c5"]["Zip Code"] == "02134", "leading zeros survive"
    assert out.stat().st_mode & 0o077 == 0
    assert read(pairs)[0]["evidence"]


def test_dedupe_lists_households_apart(tmp_path: Path) -> None:
    source = write(tmp_path / "customers.csv", ROWS)
    out, homes = tmp_path / "out.csv", tmp_path / "households.csv"
    result = CliRunner().invoke(
        main,
        [
            "dedupe",
            str(source),
            "--id-column",
            "id",
            "--out",
            str(out),
            "--households",
            str(homes),
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = read(homes)
    assert {"c3"} <= {r["left_id"] for r in rows} | {r["right_id"] for r in rows}, "Mary is listed"
    assert all("one household" in r["evidence"] for r in rows)
    assert "look like two people of one household" in result.output
    assert homes.stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        ("caf\xe9,name\n1,x\n".encode("latin-1"), [], "line 1: not UTF-8"),
        (b"", [], "is empty"),
        (b"id,name\n", [], "has a header but no rows"),
        (b"id,name\n1,Ann Lee\n1,Bob Ray\n", [], "repeats '1'"),
        (b"key,name\n1,Ann Lee\n", [], "no column 'id'"),
        (b"id,colour\n1,red\n", [], "no name, address, phone or e-mail column"),
        (b"id,nom\n1,Ann Lee\n", ["--map", "name"], "write it as FIELD=COLUMN"),
        (b"id,nom\n1,Ann Lee\n", ["--map", "nom=nom"], "unknown field"),
    ],
)
def test_bad_input_is_one_clear_line(
    tmp_path: Path, content: bytes, args: list[str], message: str
) -> None:
    source = tmp_path / "bad.csv"
    source.write_bytes(content)
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(
        main, ["dedupe", str(source), "--id-column", "id", "--out", str(out), *args]
    )
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_a_missing_file(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "dedupe",
            str(tmp_path / "none.csv"),
            "--id-column",
            "id",
            "--out",
            str(tmp_path / "o.csv"),
        ],
    )
    assert result.exit_code == 2
    assert "does not exist" in result.output


@pytest.mark.parametrize(
    ("rows", "clustered"),
    [
        # every row a duplicate: the model has nothing to learn from, yet they are one person
        (
            [
                ("1", "Bob Smith", "3035550111", "bob@x.com"),
                ("2", "Robert Smith", "3035550111", "bob@x.com"),
            ],
            2,
        ),
        (
            [("1", "Bob Smith", "3035550111", "bob@x.com")] * 1
            + [(str(i), "Bob Smith", "3035550111", "bob@x.com") for i in (2, 3)],
            3,
        ),
        # no pair at all: nothing to cluster, and no crash either
        (
            [
                ("1", "Ann Lee", "6025550199", "ann@x.com"),
                ("2", "Raj Patel", "4805550123", "raj@y.com"),
            ],
            0,
        ),
    ],
)
def test_a_file_of_nothing_but_duplicates_or_none(
    tmp_path: Path, rows: list[tuple[str, ...]], clustered: int
) -> None:
    source = write(tmp_path / "s.csv", [("id", "name", "phone", "email"), *rows])
    out = tmp_path / "c.csv"
    result = CliRunner().invoke(
        main, ["dedupe", str(source), "--id-column", "id", "--out", str(out), "--quiet"]
    )
    assert result.exit_code == 0, result.output
    written = read(out)
    assert len(written) == len(rows)
    assert sum(r["cluster_id"] != "" for r in written) == clustered
    assert {r["cluster_size"] for r in written if r["cluster_id"]} <= {str(clustered)}
