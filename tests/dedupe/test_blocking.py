from __future__ import annotations

import itertools
from pathlib import Path

import pandas as pd
import pytest

from titanaudit.dedupe.blocking import BlockingRule, blocking_recall, candidate_pairs
from titanaudit.dedupe.entities import CUSTOMER_RULES, customer_values
from titanaudit.simulator import Tenant
from titanaudit.testing import frames_from_tenant


def test_pairs_within_blocks_with_the_rules_that_made_them() -> None:
    long = pd.DataFrame(
        {
            "record": [1, 2, 3, 4, 5, 1],
            "phone": ["a", "a", "b", "b", None, "b"],
            "zip": ["1", "1", "1", "2", "2", None],
        }
    )
    pairs = candidate_pairs(
        long, [BlockingRule(name="phone", keys=("phone",)), BlockingRule(name="zip", keys=("zip",))]
    )
    got = {(r.left, r.right): r.rules for r in pairs.itertuples()}
    assert got == {
        (1, 2): 0b11,
        (1, 3): 0b11,
        (1, 4): 0b01,
        (3, 4): 0b01,
        (2, 3): 0b10,
        (4, 5): 0b10,
    }


def test_a_record_never_pairs_with_itself() -> None:
    long = pd.DataFrame({"record": [7, 7, 7], "phone": ["a", "a", "a"]})
    assert candidate_pairs(long, [BlockingRule(name="phone", keys=("phone",))]).empty


def test_an_oversized_block_is_not_quadratic() -> None:
    n = 2000
    long = pd.DataFrame(
        {"record": range(n), "phone": ["office"] * n, "name": [f"name{i:05d}" for i in range(n)]}
    )
    rule = BlockingRule(name="phone", keys=("phone",), max_block=100, window=5, sort_by="name")
    pairs = candidate_pairs(long, [rule])
    assert len(pairs) < 5 * n
    assert (0, 1) in set(zip(pairs["left"], pairs["right"], strict=True)), (
        "neighbours in the sort order still meet"
    )


def truth_pairs(tenant: Tenant) -> pd.DataFrame:
    pairs = [
        pair
        for c in tenant.truth["duplicate_clusters"]
        for pair in itertools.combinations(c["ids"], 2)
    ]
    return pd.DataFrame(pairs, columns=["left", "right"])


def test_blocking_keeps_the_true_pairs_of_a_generated_tenant(
    base_tenant: Tenant, tmp_path: Path
) -> None:
    frames = frames_from_tenant(base_tenant, tmp_path / "t.sqlite")
    long = customer_values(frames.customers, frames.locations, frames.contacts)
    pairs = candidate_pairs(long, CUSTOMER_RULES)
    recall = blocking_recall(pairs, truth_pairs(base_tenant))
    customers = len(base_tenant.feeds["customers"])
    assert recall >= 0.97, recall
    assert len(pairs) < 20 * customers, "blocking must prune: far fewer pairs than n^2/2"


@pytest.mark.parametrize("rule", CUSTOMER_RULES, ids=lambda r: r.name)
def test_every_customer_rule_finds_something(
    base_tenant: Tenant, tmp_path: Path, rule: BlockingRule
) -> None:
    frames = frames_from_tenant(base_tenant, tmp_path / "t.sqlite")
    long = customer_values(frames.customers, frames.locations, frames.contacts)
    assert not candidate_pairs(long, [rule]).empty


def test_random_pairs_are_distinct_pairs_of_distinct_records() -> None:
    from titanaudit.dedupe.blocking import random_pairs

    pairs = random_pairs(pd.Series(range(50)).to_numpy(), count=500, seed=3)
    assert (pairs["left"] < pairs["right"]).all()
    assert not pairs.duplicated().any()
    assert len(pairs) > 400
    assert random_pairs(pd.Series([7, 7]).to_numpy()).empty


def test_a_street_and_a_zip_both_mistyped_still_meet() -> None:
    """FEBRL's and the restaurant guides' shape: the house number kept, the street mistyped
    and the ZIP (or town) typed wrong too, so neither address key nor street-in-area holds; the
    names differ enough that no name rule pairs them either. The street's first letters with
    the house number do."""
    customers = pd.DataFrame(
        [
            {
                "id": 1,
                "name": "Liam McPhail",
                "street": "94 Langdon Avenue",
                "unit": None,
                "city": "Patterson Lakes",
                "state": "VIC",
                "zip": "3029",
            },
            {
                "id": 2,
                "name": "Zebediah Mcpahil",
                "street": "94 Langdoneavenue",
                "unit": None,
                "city": "Paterson Lakes",
                "state": "VIC",
                "zip": "3092",
            },
            {
                "id": 3,
                "name": "Ann Webb",
                "street": "94 Oak Street",
                "unit": None,
                "city": "Patterson Lakes",
                "state": "VIC",
                "zip": "3029",
            },
        ]
    )
    locations = pd.DataFrame(columns=["customer_id", "street", "unit", "city", "state", "zip"])
    contacts = pd.DataFrame(columns=["customer_id", "type", "value"])
    long = customer_values(customers, locations, contacts)
    rule = next(r for r in CUSTOMER_RULES if r.name == "house number and street start")
    others = [r for r in CUSTOMER_RULES if r is not rule]
    assert candidate_pairs(long, others).empty, "the shape this rule is for"
    pairs = candidate_pairs(long, [rule])
    assert pairs[["left", "right"]].values.tolist() == [[1, 2]]


def test_blocks_without_a_linked_record_are_spared_and_no_linked_pair_is_lost(
    base_tenant: Tenant, tmp_path: Path
) -> None:
    """A file's rows or the leads (numbered below zero) against a tenant: only blocks holding
    one of them make pairs, and every pair touching one is the same, rules and all (windows
    in oversized blocks included)."""
    frames = frames_from_tenant(base_tenant, tmp_path / "t.sqlite")
    long = customer_values(frames.customers, frames.locations, frames.contacts)
    every_tenth = long["record"].drop_duplicates().iloc[::10]
    long["record"] = long["record"].where(~long["record"].isin(every_tenth), -long["record"])
    rules = (*CUSTOMER_RULES, BlockingRule(name="state", keys=("state",), max_block=8, window=2))

    def linked(pairs: pd.DataFrame) -> pd.DataFrame:
        return pairs[pairs["left"] < 0].reset_index(drop=True)

    whole = candidate_pairs(long, rules)
    spared = candidate_pairs(long, rules, blocks_with=lambda records: records < 0)
    assert len(spared) < len(whole)
    assert len(linked(whole)) > 100
    pd.testing.assert_frame_equal(linked(spared), linked(whole))
