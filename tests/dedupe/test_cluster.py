from __future__ import annotations

import pandas as pd

from titanaudit.dedupe.cluster import choose_keepers, cluster_pairs
from titanaudit.dedupe.explain import explain_pairs


def _scored(rows: list[tuple[int, int, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["left", "right", "probability"])


def test_clusters_join_strong_pairs() -> None:
    clusters = cluster_pairs(_scored([(1, 2, 0.99), (2, 3, 0.9), (4, 5, 0.2), (6, 7, 0.8)]))
    assert clusters.groupby("cluster_id")["record"].apply(list).to_dict() == {
        1: [1, 2, 3],
        6: [6, 7],
    }


def test_a_household_link_cannot_chain_a_cluster() -> None:
    # Bob~Robert strongly; Robert~Mary through a landline; Bob vs Mary is clearly two people.
    clusters = cluster_pairs(_scored([(1, 2, 0.99), (2, 3, 0.7), (1, 3, 0.01)]))
    assert clusters["record"].tolist() == [1, 2]


def test_clusters_have_a_size_cap() -> None:
    chain = [(i, i + 1, 0.99) for i in range(100)]
    clusters = cluster_pairs(_scored(chain), max_size=10)
    assert clusters.groupby("cluster_id").size().max() <= 10


def test_the_keeper_is_never_inactive_or_a_placeholder_and_the_reason_says_why() -> None:
    clusters = pd.DataFrame(
        {"record": [1, 2, 3], "cluster_id": [1, 1, 1], "probability": [0.9, 0.9, 0.9]}
    )
    records = pd.DataFrame(
        {
            "active": [False, True, True],
            "placeholder": [False, False, False],
            "do_not_service": [False, True, False],
            "completeness": [9, 9, 2],
            "created_on": ["2019-01-01", "2020-01-01", "2021-01-01"],
        },
        index=[1, 2, 3],
    )
    kept = choose_keepers(clusters, records)
    assert kept.set_index("record")["role"].to_dict() == {1: "merge", 2: "merge", 3: "keep"}
    assert (
        kept.loc[kept["role"] == "keep", "reason"].item() == "the others are marked Do Not Service"
    )


def test_oldest_wins_a_tie_in_completeness() -> None:
    clusters = pd.DataFrame({"record": [5, 9], "cluster_id": [5, 5], "probability": [0.9, 0.9]})
    records = pd.DataFrame(
        {"completeness": [3, 3], "created_on": ["2022-01-01", "2018-06-01"]}, index=[5, 9]
    )
    kept = choose_keepers(clusters, records)
    assert kept.loc[kept["role"] == "keep", "record"].item() == 9
    assert kept.loc[kept["role"] == "keep", "reason"].item() == "it is the oldest record"


def test_explanations_put_the_strongest_evidence_first() -> None:
    scored = pd.DataFrame(
        {
            "name": [4],
            "phone": [2],
            "email": [-1],
            "address": [0],
            "w_name": [6.5],
            "w_phone": [2.0],
            "w_email": [0.0],
            "w_address": [-3.5],
            "phone_freq": [4],
            "email_freq": [0],
        }
    )
    assert (
        explain_pairs(scored).item()
        == "related names +6.5, different places -3.5, shared phone (held by 4 customers) +2.0"
    )
