"""E-mail addresses parsed once for matching and rules: what each shape means, and the column's
fast path equal to the one-value reference, value by value."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from titanaudit.fields import EMAIL_COLUMNS, email_frame, parse_email
from titanaudit.simulator import Tenant


@pytest.mark.parametrize(
    ("raw", "email", "placeholder"),
    [
        ("  John.Smith@Gmail.com ", "john.smith@gmail.com", False),
        ("mailto:mary@yahoo.com", "mary@yahoo.com", False),
        ("noemail@none.com", None, True),
        ("none@gmail.com", None, True),
        ("test@example.com", None, True),
        ("john.smith@gmail", None, False),
        ("john smith@gmail.com", None, False),
        (None, None, False),
    ],
)
def test_an_address_as_matching_reads_it(
    raw: str | None, email: str | None, placeholder: bool
) -> None:
    row = email_frame(pd.Series([raw], dtype="object")).iloc[0]
    assert (row["email"] if pd.notna(row["email"]) else None) == email
    assert bool(row["email_placeholder"]) == placeholder


@pytest.mark.parametrize(
    ("raw", "fault", "clean", "user"),
    [
        ("Jane.Doe+hvac@Gmail.com", "", "jane.doe+hvac@gmail.com", "janedoe"),
        (" <jane@gmail.com>; ", "", "jane@gmail.com", "jane"),
        ('"jane@gmail.com"', "", "jane@gmail.com", "jane"),
        ("MAILTO:Jo@x.co", "", "jo@x.co", None),  # a user of under four letters is no evidence
        ("jane..doe@gmail.com", "syntax", "jane..doe@gmail.com", "janedoe"),
        ("mary@@yahoo.com", "syntax", "mary@@yahoo.com", None),
        ("bob.gmail.com", "syntax", "bob.gmail.com", None),
        ("noemail@none.com", "placeholder", "noemail@none.com", None),
        ("jane@münchen.de", "", "jane@münchen.de", "jane"),
        (None, "syntax", None, None),
    ],
)
def test_an_address_as_the_rules_read_it(
    raw: str | None, fault: str, clean: str | None, user: str | None
) -> None:
    row = parse_email(raw)
    assert (row["email_fault"], row["email_clean"], row["email_user"]) == (fault, clean, user)
    if row["email"] is not None:
        assert row["email"] == row["email_clean"]  # matching and rules read one address


def _same(fast: pd.DataFrame, values: pd.Series) -> None:
    slow = pd.DataFrame([parse_email(v) for v in values], columns=EMAIL_COLUMNS, index=values.index)
    pd.testing.assert_frame_equal(
        fast.astype(object).where(fast.notna(), None), slow.astype(object).where(slow.notna(), None)
    )


def test_the_fast_path_gives_what_the_reference_gives(base_tenant: Tenant) -> None:
    typed = [c["value"] for c in base_tenant.feeds["customer_contacts"] if c["type"] == "Email"]
    values = pd.Series(
        [
            *typed,
            "İstanbul@gmail.com",
            " MAILTO:a.b+c@x.org.",
            "no@email.com",
            "'jane@gmail.com'",
            "jane@gmail.com\t",
            "\u00a0jane@gmail.com",
            None,
            "",
        ]
    )
    fast = email_frame(values)
    assert list(fast.columns) == EMAIL_COLUMNS
    _same(fast, values)


EMAIL_ISH = st.text(alphabet="abcxyz019@@..-_+ '\"<>;,\tÉéİM", max_size=24)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(EMAIL_ISH, st.emails().map(str), st.none(), st.text(max_size=12)), max_size=30
    )
)
def test_any_text_reads_the_same_on_both_paths(values: list[str | None]) -> None:
    series = pd.Series(values, dtype="object")
    _same(email_frame(series), series)
