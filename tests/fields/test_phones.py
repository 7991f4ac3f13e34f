"""Phones parsed once for matching and rules: what each shape means, and the column's fast path
equal to the one-value reference, value by value."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from titanaudit.fields import (
    PHONE_COLUMNS,
    fill_area_codes,
    local_numbers,
    parse_phone,
    phone_frame,
)
from titanaudit.simulator import Tenant


@pytest.mark.parametrize(
    ("raw", "e164", "placeholder"),
    [
        ("(602) 867-5309", "+16028675309", False),
        ("602.867.5309", "+16028675309", False),
        ("+1 602 867 5309", "+16028675309", False),
        ("1-602-867-5309", "+16028675309", False),
        ("602-867-5309 x12", "+16028675309", False),
        ("602-867-5309 EXT. 12", "+16028675309", False),
        ("+44 20 7946 0958", "+442079460958", False),
        ("1-800-FLOWERS", "+18003569377", False),  # a vanity number is still a number
        ("555-555-5555", None, True),
        ("0000000000", None, True),
        ("(999) 999-9999", None, True),
        ("1234567890", None, True),
        ("602-555-0143", None, True),
        ("602-555-1212", None, True),
        ("867-5309", None, False),
        ("1-123-699-0464", None, False),  # no area code starts with 1 (nor 0)
        ("", None, False),
        (None, None, False),
    ],
)
def test_a_phone_as_matching_reads_it(raw: str | None, e164: str | None, placeholder: bool) -> None:
    row = phone_frame(pd.Series([raw], dtype="object")).iloc[0]
    assert (row["phone"] if pd.notna(row["phone"]) else None) == e164
    assert bool(row["phone_placeholder"]) == placeholder


@pytest.mark.parametrize(
    ("raw", "fault", "digits"),
    [
        ("(303) 699-0464", "", "3036990464"),
        ("303-699-0464 ext 5", "", "3036990464"),
        ("303-699-0464 #5", "", "3036990464"),
        ("٣٠٣٦٩٩٠٤٦٤", "", "3036990464"),  # Arabic-Indic digits are digits
        ("699-0464", "length", None),
        ("303-555-0123", "fictional", "3035550123"),
        ("303-555-5555", "placeholder", "3035555555"),
        ("303-012-3456", "invalid", "3030123456"),
        ("303-911-3456", "invalid", "3039113456"),
        ("999-222-3333", "invalid", "9992223333"),
        ("303 699 0464 / 720 699 0465", "several", None),
        ("303-699-0464 or 720-699-0465", "several", None),
        ("+44 20 7946 0958", "foreign", None),
        ("011 44 20 7946 0958", "foreign", None),
        (None, "length", None),
    ],
)
def test_a_phone_as_the_rules_read_it(raw: str | None, fault: str, digits: str | None) -> None:
    row = parse_phone(raw)
    assert (row["phone_fault"], row["phone_digits"]) == (fault, digits)
    if digits and fault in ("", "invalid"):
        assert row["phone"] == "+1" + digits  # matching and rules read one number


def _same(fast: pd.DataFrame, values: pd.Series) -> None:
    slow = pd.DataFrame([parse_phone(v) for v in values], columns=PHONE_COLUMNS, index=values.index)
    pd.testing.assert_frame_equal(
        fast.astype(object).where(fast.notna(), None), slow.astype(object).where(slow.notna(), None)
    )


def test_the_fast_path_gives_what_the_reference_gives(base_tenant: Tenant) -> None:
    typed = [c["value"] for c in base_tenant.feeds["customer_contacts"] if c["type"] != "Email"]
    values = pd.Series(
        [
            *typed,
            "602-867-5309",
            "(602) 555-0123",
            "6021111111",
            "1234567890",
            "+1 (555) 123-4567",
            "1-800-222-3333",
            None,
            "",
        ]
    )
    fast = phone_frame(values)
    assert list(fast.columns) == PHONE_COLUMNS
    _same(fast, values)


PHONE_ISH = st.text(alphabet="0123456789 ()-.+x#/eEtT\u0663\uff13", max_size=20)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(PHONE_ISH, st.none(), st.text(max_size=12)), max_size=30))
def test_any_text_reads_the_same_on_both_paths(values: list[str | None]) -> None:
    series = pd.Series(values, dtype="object")
    _same(phone_frame(series), series)


def test_each_distinct_value_is_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from titanaudit.fields import phones

    calls: list[object] = []

    def counting(value: object) -> dict[str, object]:
        calls.append(value)
        return parse_phone(value)

    monkeypatch.setattr(phones, "parse_phone", counting)
    frame = phones.phone_frame(
        pd.Series(
            ["602-867-5309 x1", "(602) 867-5309 ext 1", "602-867-5309 x1"] * 1000,
            index=range(5, 3005),
        )
    )
    assert len(calls) == 2, "the reference (plain numbers never reach it) sees each value once"
    assert list(frame.index) == list(range(5, 3005))
    assert frame["phone"].eq("+16028675309").all()


def test_seven_digit_phones_get_the_tables_own_area_code() -> None:
    written = pd.Series(["773-928-3600", "928-3600", "626-3800", "312 829 6820", "555-0123"])
    phones = phone_frame(written)["phone"]
    filled = fill_area_codes(phones, local_numbers(written))
    # the full number ending in the same seven digits gives its area code; a number no full one
    # ends in stays local (two area codes here, neither the table's); 555-01XX is nobody's
    assert filled.tolist()[:4] == ["+17739283600", "+17739283600", "local:6263800", "+13128296820"]
    assert pd.isna(filled.iloc[4])
    one_area = pd.Series(["602-814-0147", "602-555-8877", "602-231-7710", "814-9921"])
    assert (
        fill_area_codes(phone_frame(one_area)["phone"], local_numbers(one_area)).iloc[3]
        == "+16028149921"
    )


def test_repeated_index_labels_keep_each_value_in_its_place() -> None:
    from titanaudit.fields import email_frame

    phones = phone_frame(pd.Series(["602-867-5309", "call me", "(602) 867-5310"], index=[4, 4, 4]))
    assert phones["phone"].tolist() == ["+16028675309", None, "+16028675310"]
    assert list(phones.index) == [4, 4, 4]
    emails = email_frame(
        pd.Series(["jo@x.co", "Jane@Gmail.com", "jane..doe@gmail.com"], index=[1, 1, 1])
    )
    assert emails["email_clean"].tolist() == ["jo@x.co", "jane@gmail.com", "jane..doe@gmail.com"]
