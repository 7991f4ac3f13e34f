from __future__ import annotations

import pandas as pd
import pytest

from titanaudit.fields.addresses import address_frame
from titanaudit.fields.names import given_name_group, name_frame
from titanaudit.simulator import Tenant


def one(frame: pd.DataFrame) -> dict[str, object]:
    row = frame.iloc[0].to_dict()
    return {
        k: (None if v is None or (isinstance(v, float) and pd.isna(v)) else v)
        for k, v in row.items()
    }


@pytest.mark.parametrize(
    ("raw", "first", "last", "second", "business", "household"),
    [
        ("John Smith", "john", "smith", None, False, False),
        ("Smith, John", "john", "smith", None, False, False),
        ("SMITH, JOHN A.", "john", "smith", None, False, False),
        ("Bob Smith Jr.", "bob", "smith", None, False, False),
        ("Mr. Patrick O'Brien", "patrick", "obrien", None, False, False),
        ("John & Mary Smith", "john", "smith", "mary", False, True),
        ("John and Mary Smith", "john", "smith", "mary", False, True),
        ("María José García", "maria", "garcia", None, False, False),
        ("Smith", None, "smith", None, False, False),
        ("Acme Properties LLC", None, "acme", None, True, False),
        ("Garcia Plumbing Inc.", None, "garcia", None, True, False),
        ("Arnie Morton's of Chicago", None, "arnie", None, True, False),
        ("Blue Moon Cafe", None, "blue", None, True, False),
    ],
)
def test_names(
    raw: str, first: str | None, last: str, second: str | None, business: bool, household: bool
) -> None:
    row = one(name_frame(pd.Series([raw])))
    assert (row["first"], row["last"], row["second_first"]) == (first, last, second)
    assert (row["is_business"], row["is_household"]) == (business, household)
    assert not row["name_placeholder"]


@pytest.mark.parametrize(
    "raw",
    [
        "Test",
        "test customer",
        "TEST",
        "asdf",
        "Unknown",
        "???",
        "xxx",
        "New Homeowner",
        "N/A",
        "12345",
    ],
)
def test_placeholder_names_never_match(raw: str) -> None:
    row = one(name_frame(pd.Series([raw])))
    assert row["name_placeholder"]
    assert row["name_norm"] is None
    assert row["last"] is None


def test_business_names_drop_legal_forms() -> None:
    frame = name_frame(
        pd.Series(["Acme Properties, LLC", "ACME PROPERTIES INC", "The Acme Properties"])
    )
    assert frame["name_norm"].nunique() == 1


def test_nicknames_share_a_group_and_strangers_do_not() -> None:
    assert not given_name_group("bob").isdisjoint(given_name_group("robert"))
    assert not given_name_group("liz").isdisjoint(given_name_group("elizabeth"))
    assert given_name_group("robert").isdisjoint(given_name_group("mary"))


def test_surnames_get_a_phonetic_code() -> None:
    codes = name_frame(pd.Series(["Jon Smith", "Jon Smyth", "Jon Jones"]))["last_code"].tolist()
    assert codes[0] == codes[1] != codes[2]


@pytest.mark.parametrize(
    ("street", "unit", "number", "name", "unit_norm"),
    [
        ("1420 W. Elm Street", None, "1420", "w elm st", None),
        ("1420 West Elm St", None, "1420", "w elm st", None),
        ("1420 W ELM ST APT 4B", None, "1420", "w elm st", "4b"),
        ("1420 W Elm St", "Apt 4B", "1420", "w elm st", "4b"),
        ("1420 W Elm St", "#4b", "1420", "w elm st", "4b"),
        ("123 North Fifth Avenue", "Unit 2", "123", "n 5th ave", "2"),
        ("77 Sunset Boulevard NW", None, "77", "sunset blvd nw", None),
        ("102 5th Ave.  between 15th and 16th Sts.", None, "102", "5th ave", None),
        ("156 2nd Ave. at 10th St.", None, "156", "2nd ave", None),
        ("57 Jane St. off Hudson St.", None, "57", "jane st", None),
    ],
)
def test_addresses(
    street: str, unit: str | None, number: str, name: str, unit_norm: str | None
) -> None:
    row = one(
        address_frame(
            pd.Series([street]), pd.Series([unit], dtype="object"), zip_code=pd.Series(["85015"])
        )
    )
    assert (row["house_number"], row["street_name"], row["unit"]) == (number, name, unit_norm)
    assert row["street_key"] == f"85015|{number}|{name}"


@pytest.mark.parametrize("street", ["PO Box 123", "P.O. Box 9", "Post Office Box 4", "PMB 12"])
def test_po_boxes_are_flagged_and_get_no_key(street: str) -> None:
    row = one(address_frame(pd.Series([street]), zip_code=pd.Series(["85015"])))
    assert row["is_po_box"]
    assert row["street_key"] is None


@pytest.mark.parametrize(
    ("raw", "zip5"),
    [
        ("85015-1234", "85015"),
        ("850151234", "85015"),
        ("8501", "8501"),
        ("", None),
        (2134.0, "02134"),
        ("ABCDE", None),
    ],
)
def test_zip5(raw: object, zip5: str | None) -> None:
    row = one(address_frame(pd.Series(["1 Main St"]), zip_code=pd.Series([raw], dtype="object")))
    assert row["zip5"] == zip5


def test_the_quick_street_path_agrees_with_usaddress(
    base_tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    from titanaudit.fields import addresses

    streets = pd.Series([r["address"]["street"] for r in base_tenant.feeds["locations"]][:400])
    quick = address_frame(streets, zip_code=pd.Series(["85015"] * len(streets)))
    monkeypatch.setattr(addresses, "_plain_street", lambda text: None)
    slow = address_frame(streets, zip_code=pd.Series(["85015"] * len(streets)))
    pd.testing.assert_frame_equal(quick, slow)
    assert quick["street_key"].notna().mean() > 0.95


def test_new_york_city_is_new_york() -> None:
    frame = address_frame(
        pd.Series(["11 E 53rd St", "11 E. 53rd Street"]),
        city=pd.Series(["New York", "New York City"]),
    )
    assert frame["city"].tolist() == ["new york", "new york"]
    assert frame["street_key"].nunique() == 1, "without a ZIP the city stands in, so it must agree"


def test_merge_markers_are_not_part_of_the_name() -> None:
    frame = name_frame(
        pd.Series(["DUPLICATE - Ruben Silva", "REMOVE Ruben Silva", "Ruben Silva (dup)"])
    )
    assert frame["name_norm"].tolist() == ["ruben silva"] * 3
    assert frame["first"].tolist() == ["ruben"] * 3


def test_the_fast_path_for_plain_names_gives_what_the_parser_gives(base_tenant: Tenant) -> None:
    from titanaudit.fields import per_distinct
    from titanaudit.fields.names import NAME_COLUMNS, parse_name

    names = pd.Series(
        [c["name"] for c in base_tenant.feeds["customers"]] + ["Mr Smith", "New Owner", "Dnu Lee"]
    )
    fast = name_frame(names)
    slow = per_distinct(names, parse_name, NAME_COLUMNS)
    pd.testing.assert_frame_equal(fast.astype(str), slow.astype(str))


def test_the_bulk_street_path_gives_what_the_parser_gives(base_tenant: Tenant) -> None:
    from titanaudit.fields import per_distinct
    from titanaudit.fields.addresses import STREET_COLUMNS, parse_street, street_frame

    typed = [loc["address"]["street"] for loc in base_tenant.feeds["locations"]]
    streets = pd.Series(
        [
            *typed,
            "102 5th Ave between 15th and 16th sts.",
            "PO Box 12",
            "12 Main St Apt 4",
            "Calle Árbol 5",
            None,
            "",
            "1420 West Elm Street NW",
            "77 Sunset",
            "12 Main St.",
            "baracchi crescent",
            "Hackett Garden",
        ]
    )
    fast = street_frame(streets)
    slow = per_distinct(streets, parse_street, STREET_COLUMNS)
    pd.testing.assert_frame_equal(fast.astype(str), slow.astype(str))


@pytest.mark.parametrize(
    ("street", "name"),
    [("baracchi crescent", "baracchi cres"), ("Hackett Garden", "hackett gdn")],
)
def test_a_street_typed_without_its_number_is_still_a_street(street: str, name: str) -> None:
    """usaddress reads these as a building or a landmark; the words are the street to compare
    (FEBRL drops house numbers so), though with no number there is no house to key."""
    row = one(address_frame(pd.Series([street]), zip_code=pd.Series(["2600"])))
    assert (row["house_number"], row["street_name"], row["street_key"]) == (None, name, None)


def test_a_whole_address_typed_as_the_street_gives_its_place() -> None:
    streets = pd.Series(
        [
            "5763 Lewis Ct, Zephyrhills, FL 33540",
            "12 N Main Street Apt 4, Tampa FL 33601-1234",
            "9 Oak Ave Mesa AZ 85201",
            "5763 Lewis Ct",
            "77 Elm St, Denver, CO 80202",
        ]
    )
    zips = pd.Series([None, None, None, None, "80203"])
    frame = address_frame(streets, zip_code=zips)
    assert list(frame["zip5"].fillna("-")) == [
        "33540",
        "33601",
        "85201",
        "-",
        "80203",
    ]  # a ZIP column wins
    assert list(frame["city"].fillna("-")) == ["zephyrhills", "tampa", "-", "-", "-"]
    assert list(frame["state"].fillna("-")) == ["fl", "fl", "az", "-", "-"]
    assert frame["street_key"].iloc[0] == "33540|5763|lewis ct"


@pytest.mark.parametrize(
    ("written", "abbreviated"),
    [
        ("12 Lincoln Center", "12 Lincoln Ctr"),
        ("12 Oak Crossing", "12 Oak Xing"),
        ("12 Union Station", "12 Union Sta"),
        ("12 Rose Gardens", "12 Rose Gdns"),
        ("12 Mill Estates", "12 Mill Ests"),
        ("12 North Elm Avenue Southwest", "12 N Elm Ave SW"),
    ],
)
def test_street_suffixes_and_directions_are_the_usps_ones(written: str, abbreviated: str) -> None:
    keys = address_frame(pd.Series([written, abbreviated]), zip_code=pd.Series(["60601"] * 2))
    assert keys["street_key"].nunique() == 1, keys["street_key"].tolist()
