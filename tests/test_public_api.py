"""The public API as a notebook meets it: explanations that add up, summaries that escape."""

from __future__ import annotations

import pandas as pd
import pytest

import titanaudit
from titanaudit.errors import ConfigError


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [1, 2, 3, 4, 5, 6],
            "name": [
                "Robert Smith",
                "Bob Smith",
                "Mary Smith",
                "<script>x</script> Lee",
                "Ana Ruiz",
                "Wei Chen",
            ],
            "phone": [
                "602-814-0147",
                "(602) 814-0147",
                "602-814-9921",
                "480-231-7710",
                "480-231-7710",
                "623-555-0100",
            ],
            "street": [
                "12 Elm St",
                "12 Elm Street",
                "12 Elm St",
                "9 Oak Ave",
                "44 Pine Rd",
                "7 Birch Ln",
            ],
            "zip": ["85004", "85004", "85004", "85281", "85282", "85301"],
        }
    )


def test_explain_adds_up_to_the_match_weight(table: pd.DataFrame) -> None:
    result = titanaudit.dedupe_frame(table, id_column="id")
    why = titanaudit.explain(result, 2, 1)
    assert list(why["field"]) == ["name", "phone", "email", "address", "prior"]
    assert why["weight"].sum() == pytest.approx(why.attrs["match_weight"], abs=0.1)
    assert why.set_index("field").loc["phone", "meaning"] == "shared phone"
    with pytest.raises(ConfigError, match="never compared"):
        titanaudit.explain(result, 1, 6)


def test_blocking_decides_what_is_compared(table: pd.DataFrame) -> None:
    phone_only = [r for r in titanaudit.CUSTOMER_RULES if r.name == "same phone"]
    narrow = titanaudit.dedupe_frame(table, id_column="id", blocking=phone_only)
    pairs = set(zip(narrow.pairs["left_id"], narrow.pairs["right_id"], strict=True))
    assert {frozenset(p) for p in pairs} == {frozenset((1, 2)), frozenset((4, 5))}


def test_summaries_show_in_a_notebook(table: pd.DataFrame) -> None:
    result = titanaudit.dedupe_frame(table, id_column="id")
    assert "<table>" in result._repr_html_() and "clusters" in result._repr_html_()
    check = titanaudit.run_check(table.drop(columns="id"))
    shown = check._repr_html_()
    assert "ready to import" in shown
    assert repr(check).startswith("ImportCheck(6 rows")


def test_a_summary_escapes_what_it_shows() -> None:
    from titanaudit.display import html_summary

    shown = html_summary(
        "<b>title</b>", [("<i>label</i>", "<script>alert(1)</script>"), ("count", 12345)]
    )
    assert "<script>" not in shown and "<i>" not in shown and "<b>title" not in shown
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown and "12,345" in shown


@pytest.mark.parametrize(
    ("levels", "said"),
    [
        ((3, 2, 2, 6), "Same phone and e-mail, same address, names differ only by a typo"),
        ((5, 0, -1, 6), "Same address, same name, but different phones"),
        ((1, -1, -1, 6), "Same address, but another given name under the same surname"),
        ((5, 0, 0, 0), "Same name, but different phones and e-mails, different places"),
        ((-1, -1, -1, -1), "Nothing to compare"),
    ],
)
def test_evidence_in_plain_words(levels: tuple[int, int, int, int], said: str) -> None:
    from titanaudit.dedupe.explain import plain_words

    assert plain_words(*levels) == said
