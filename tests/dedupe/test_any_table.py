from __future__ import annotations

import pandas as pd
import pytest

from titanaudit.dedupe.any_table import dedupe_frame, recognise_columns
from titanaudit.errors import ConfigError


def test_common_column_spellings_are_recognised() -> None:
    columns = [
        "Customer ID",
        "Customer Name",
        "Address 1",
        "Address 2",
        "City",
        "State",
        "Zip Code",
        "Mobile",
        "Home Phone",
        "E-mail",
    ]
    found = recognise_columns(columns)
    assert found == {
        "name": ["Customer Name"],
        "street": ["Address 1"],
        "unit": ["Address 2"],
        "city": ["City"],
        "state": ["State"],
        "zip": ["Zip Code"],
        "phone": ["Mobile", "Home Phone"],
        "email": ["E-mail"],
    }


def test_longer_headers_are_recognised_by_their_words() -> None:
    columns = [
        "Customer ID",
        "Full Name",
        "Street Address 1",
        "Street Address 2",
        "Town/City",
        "State/Province",
        "ZIP/Postal Code",
        "Cell Phone #",
        "Work Phone",
        "E-mail Address",
        "Email Opt In",
        "Customer Type",
        "Lead Source",
    ]
    assert recognise_columns(columns) == {
        "name": ["Full Name"],
        "street": ["Street Address 1"],
        "unit": ["Street Address 2"],
        "city": ["Town/City"],
        "state": ["State/Province"],
        "zip": ["ZIP/Postal Code"],
        "phone": ["Cell Phone #", "Work Phone"],
        "email": ["E-mail Address"],
    }
    # a field already named exactly keeps its column: "Email Opt In" does not take it over
    assert recognise_columns(["Email Opt In", "Email"])["email"] == ["Email"]


def test_map_overrides_and_checks_columns() -> None:
    assert recognise_columns(["Nom", "Tel"], {"name": "Nom", "phone": ["Tel"]}) == {
        "name": ["Nom"],
        "phone": ["Tel"],
    }
    with pytest.raises(ConfigError, match="no such column"):
        recognise_columns(["Nom"], {"name": "Name"})
    with pytest.raises(ConfigError, match="unknown field"):
        recognise_columns(["Nom"], {"nom": "Nom"})


@pytest.mark.parametrize(
    ("frame", "id_column", "message"),
    [
        (pd.DataFrame({"id": [1, 1], "name": ["a", "b"]}), "id", "repeats .1."),
        (pd.DataFrame({"id": [1, None], "name": ["a", "b"]}), "id", "empty on row 2"),
        (pd.DataFrame({"name": ["a"]}), "key", "no column 'key'"),
        (
            pd.DataFrame({"id": [1], "colour": ["red"]}),
            "id",
            "no name, address, phone or e-mail column",
        ),
    ],
)
def test_bad_tables_get_one_clear_message(
    frame: pd.DataFrame, id_column: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        dedupe_frame(frame, id_column=id_column)


def test_a_small_customer_list_finds_its_duplicates() -> None:
    rows = [
        ("c1", "Robert Smith", "1420 W Elm St", "85015", "(602) 867-5309", "rob@gmail.com"),
        ("c2", "Bob Smith", "1420 West Elm Street", "85015", "602.867.5309", None),
        ("c3", "Mary Smith", "1420 W Elm St", "85015", "602-867-5309", "mary@yahoo.com"),
        ("c4", "Smith, Robert", "88 N Oak Ave", "85016", "602-867-5309", "rob@gmail.com"),
        ("c5", "Ana Lopez", "9 S Pine Rd", "85017", "480-555-7777", "ana@x.com"),
        ("c6", "Luis Ortega", "17 E Main St", "85018", "480-222-3333", None),
    ]
    filler = [
        (
            f"f{i}",
            f"Person{i} Name{i}",
            f"{100 + i} E Filler Rd",
            "85020",
            f"623-{200 + i:03d}-{1000 + i:04d}",
            None,
        )
        for i in range(40)
    ]
    df = pd.DataFrame(rows + filler, columns=["id", "name", "street", "zip", "phone", "email"])
    result = dedupe_frame(df, id_column="id")
    groups = result.clusters.groupby("cluster_id")["id"].apply(sorted).tolist()
    assert ["c1", "c2", "c4"] in groups
    assert not any("c3" in g for g in groups), "Mary is Robert's household, not his duplicate"
    keeper = result.clusters[result.clusters["role"] == "keep"]
    assert len(keeper) == len(groups)
    worth_reading = result.pairs[result.pairs["probability"] >= 0.01]
    assert len(worth_reading) and worth_reading["evidence"].str.len().gt(0).all()
    mary = result.households[
        (result.households["left_id"] == "c3") | (result.households["right_id"] == "c3")
    ]
    assert len(mary) and mary["evidence"].str.contains("one household, not counted").all(), (
        "Mary and Robert are reported as a household, with what they share"
    )
    assert "clusters" in repr(result)
