"""The comparisons are declared once, and every part reads the declaration."""

from __future__ import annotations

from pathlib import Path

import pytest

from titanaudit.dedupe.blocking import candidate_pairs
from titanaudit.dedupe.compare import FIELDS, compare_customers
from titanaudit.dedupe.comparisons import ADDRESS, COMPARISONS, MISSING, NAME
from titanaudit.dedupe.entities import CUSTOMER_RULES, customer_values
from titanaudit.dedupe.explain import LEVEL_LABELS, PLAIN
from titanaudit.dedupe.model import HOUSE_LEVELS, LEVELS, SHARED_LEVELS
from titanaudit.simulator import Tenant
from titanaudit.testing import frames_from_tenant


def test_each_level_is_declared_once_with_its_test_and_words() -> None:
    for comparison in COMPARISONS:
        codes = [level.code for level in comparison.levels]
        names = [level.name for level in comparison.levels]
        assert len(set(codes)) == len(codes) and len(set(names)) == len(names)
        assert MISSING not in codes and codes == sorted(codes, reverse=True)
        assert all(level.test and level.label for level in comparison.levels)
    assert ADDRESS["same_address"] == max(ADDRESS.codes)
    with pytest.raises(KeyError, match="no level 'nearby'"):
        ADDRESS["nearby"]


def test_the_model_and_the_explanation_read_the_declaration() -> None:
    assert tuple(c.field for c in COMPARISONS) == FIELDS
    assert {c.field: c.codes for c in COMPARISONS} == LEVELS
    assert all(set(LEVEL_LABELS[c.field]) == {*c.codes, MISSING} for c in COMPARISONS)
    assert PLAIN["name"][NAME["household"]] == (NAME.levels[4].plain, False)
    assert set(HOUSE_LEVELS) == {
        ADDRESS["same_house"],
        ADDRESS["same_street_address"],
        ADDRESS["same_address"],
    }
    assert set(SHARED_LEVELS) == {"phone", "email", "address"}


def test_comparing_gives_only_declared_levels(base_tenant: Tenant, tmp_path: Path) -> None:
    frames = frames_from_tenant(base_tenant, tmp_path / "t.sqlite")
    long = customer_values(frames.customers, frames.locations, frames.contacts)
    compared = compare_customers(candidate_pairs(long, CUSTOMER_RULES), long)
    for comparison in COMPARISONS:
        seen = set(compared[comparison.field].unique().tolist())
        assert seen <= {*comparison.codes, MISSING}, (comparison.field, seen)
        assert len(seen) >= 2
