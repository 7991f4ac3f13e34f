from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from titanaudit.dedupe.blocking import candidate_pairs
from titanaudit.dedupe.compare import compare_customers
from titanaudit.dedupe.entities import CUSTOMER_RULES, customer_values
from titanaudit.dedupe.model import LEVELS, MatchModel, estimate, score
from titanaudit.frames import Frames
from titanaudit.simulator import Tenant


def _flat(value: float) -> dict[str, dict[int, float]]:
    return {f: dict.fromkeys(lv, value) for f, lv in LEVELS.items()}


def test_weights_add_up_and_missing_weighs_nothing() -> None:
    model = MatchModel(prior=0.5, m=_flat(0.5), u=_flat(0.5))
    model.m["phone"][2], model.u["phone"][2] = 0.8, 0.1
    compared = pd.DataFrame(
        {
            "name": [-1, -1],
            "phone": [2, -1],
            "email": [-1, -1],
            "address": [-1, -1],
            "phone_freq": [2, 0],
            "email_freq": [0, 0],
        }
    )
    scored = score(compared, model)
    assert scored["match_weight"].tolist() == [3.0, 0.0]
    assert scored["probability"].tolist() == [8 / 9, 0.5]


def test_a_shared_office_phone_counts_for_less() -> None:
    model = MatchModel(prior=0.5, m=_flat(0.5), u=_flat(0.5))
    model.m["phone"][2], model.u["phone"][2] = 0.8, 0.1
    compared = pd.DataFrame(
        {
            "name": [-1, -1],
            "phone": [2, 2],
            "email": [-1, -1],
            "address": [-1, -1],
            "phone_freq": [2, 40],
            "email_freq": [0, 0],
        }
    )
    weights = score(compared, model)["w_phone"].tolist()
    assert weights[0] == 3.0
    assert weights[1] == 3.0 - np.log2(20)


def test_what_a_hub_shares_counts_for_less_and_never_joins_it_to_anyone() -> None:
    model = MatchModel(prior=0.5, m=_flat(0.5), u=_flat(0.5))
    for field, level in (("phone", 2), ("email", 2), ("address", 6)):
        model.m[field][level], model.u[field][level] = 0.8, 0.01
    # a person against a duplicate of theirs, and against a placeholder holding 40 sold homes
    # with each past owner's contacts on them
    compared = pd.DataFrame(
        {
            "name": [5, -1],
            "phone": [2, 2],
            "email": [2, 2],
            "address": [6, 6],
            "phone_freq": [2, 2],
            "email_freq": [2, 2],
            "hub_degree": [1, 40],
        }
    )
    scored = score(compared, model)
    assert scored["w_phone"].tolist() == pytest.approx([np.log2(80), np.log2(80) - np.log2(20)])
    assert scored["probability"].iloc[0] > 0.99
    assert scored["probability"].iloc[1] <= 1 / 3, "three coincidences from one borrowed record"


def test_a_rare_name_says_more_than_a_common_one() -> None:
    model = MatchModel(prior=0.5, m=_flat(0.5), u=_flat(0.5))
    model.m["name"][5], model.u["name"][5] = 0.8, 0.1
    model.m["email"][1], model.u["email"][1] = 0.5, 0.05
    # the same name, and e-mails that only spell it at two providers: rare, then common
    compared = pd.DataFrame(
        {
            "name": [5, 5],
            "phone": [-1, -1],
            "email": [1, 1],
            "address": [-1, -1],
            "phone_freq": [0, 0],
            "email_freq": [0, 0],
            "name_rarity": [3.0, -4.0],
            "email_named": [True, True],
        }
    )
    scored = score(compared, model)
    assert scored["w_name"].tolist() == pytest.approx([3.0 + 3.0, 3.0 - 4.0])
    assert scored["w_email"].tolist() == pytest.approx([3.0, 0.0]), (
        "worth the name's rarity at most"
    )


def test_a_name_alone_is_not_a_duplicate() -> None:
    model = MatchModel(prior=0.5, m=_flat(0.5), u=_flat(0.5))
    model.m["name"][4], model.u["name"][4] = 0.9, 0.01
    compared = pd.DataFrame(
        {
            "name": [4, 4],
            "phone": [0, 2],
            "email": [-1, -1],
            "address": [0, 0],
            "phone_freq": [0, 2],
            "email_freq": [0, 0],
        }
    )
    weights = score(compared, model)["w_name"].tolist()
    assert weights[0] == 0.0, "namesakes with nothing else in common"
    assert weights[1] > 6


def test_a_name_in_another_town_is_a_namesake() -> None:
    model = MatchModel(prior=0.5, m=_flat(0.5), u=_flat(0.5))
    model.m["name"][5], model.u["name"][5] = 0.9, 0.01
    compared = pd.DataFrame(
        {
            "name": [5, 5],
            "phone": [-1, -1],
            "email": [-1, -1],
            "address": [0, 1],
            "phone_freq": [0, 0],
            "email_freq": [0, 0],
        }
    )
    weights = score(compared, model)["w_name"].tolist()
    assert weights[0] == 0.0, "not even the ZIP or city in common: the name alone says nothing"
    assert weights[1] > 6, "the same town (no contacts to contradict): the name speaks"


def test_the_household_guard() -> None:
    model = MatchModel(prior=0.5, m=_flat(0.5), u=_flat(0.5))
    model.m["address"][3], model.u["address"][3] = 0.9, 0.1
    compared = pd.DataFrame(
        {
            "name": [1, 4],
            "phone": [-1, -1],
            "email": [-1, -1],
            "address": [3, 3],
            "phone_freq": [0, 0],
            "email_freq": [0, 0],
        }
    )
    weights = score(compared, model)["w_address"].tolist()
    assert weights[0] == 0.0, "a different given name at one address gets nothing from the address"
    assert weights[1] > 3


def test_a_household_stays_below_even_odds_in_any_table() -> None:
    """Even where nearly every candidate matches (a prior of 0.95) and the model thinks the
    household level likely, two given names under one roof are two people."""
    model = MatchModel(prior=0.95, m=_flat(0.5), u=_flat(0.5))
    model.m["name"][1], model.u["name"][1] = 0.3, 0.01
    model.m["phone"][2], model.u["phone"][2] = 0.9, 0.01
    compared = pd.DataFrame(
        {
            "name": [1, 0, 4],
            "phone": [2, 2, 2],
            "email": [-1, -1, -1],
            "address": [6, 6, 6],
            "phone_freq": [2, 2, 2],
            "email_freq": [0, 0, 0],
        }
    )
    probability = score(compared, model)["probability"].tolist()
    assert probability[0] < 0.5 and probability[1] < 0.5
    assert probability[2] > 0.99


def test_a_house_alone_is_not_a_duplicate() -> None:
    """A placeholder or a bare surname at a house another record holds, with other phones: the
    new owner, a lodger or a relative. With the same phone, the house speaks."""
    model = MatchModel(prior=0.5, m=_flat(0.5), u=_flat(0.5))
    model.m["address"][6], model.u["address"][6] = 0.9, 0.001
    compared = pd.DataFrame(
        {
            "name": [-1, 2, 2, 3],
            "phone": [0, 0, 2, 0],
            "email": [-1, -1, -1, -1],
            "address": [6, 6, 6, 6],
            "phone_freq": [0, 0, 2, 0],
            "email_freq": [0, 0, 0, 0],
        }
    )
    weights = score(compared, model)["w_address"].tolist()
    assert weights[0] == 0.0 and weights[1] == 0.0, "names that cannot say, phones that say two"
    assert weights[2] > 9 and weights[3] > 9, "a shared phone, or a name a typo apart"


def test_planted_duplicates_are_recovered_and_households_kept_apart(
    large_tenant: Tenant, large_frames: Frames
) -> None:
    tenant, frames = large_tenant, large_frames
    customers = frames.customers
    long = customer_values(customers, frames.locations, frames.contacts)
    compared = compare_customers(candidate_pairs(long, CUSTOMER_RULES), long)
    merged = {
        int(a): int(b)
        for a, b in zip(customers["id"], customers["merged_to_id"], strict=True)
        if pd.notna(b)
    }
    known = np.array(
        [
            merged.get(a) == b or merged.get(b) == a
            for a, b in zip(compared["left"], compared["right"], strict=True)
        ]
    )
    scored = score(compared, estimate(compared, known_matches=known))
    linked = {
        (a, b)
        for a, b, p in zip(scored["left"], scored["right"], scored["probability"], strict=True)
        if p >= 0.5
    }
    truth = {
        tuple(sorted(p))
        for c in tenant.truth["duplicate_clusters"]
        for p in itertools.combinations(c["ids"], 2)
    }
    negatives = {tuple(sorted(n["ids"])) for n in tenant.truth["hard_negatives"]}
    precision = len(linked & truth) / len(linked)
    recall = len(linked & truth) / len(truth)
    apart = 1 - len(linked & negatives) / len(negatives)
    # the targets for generated tenants
    assert precision >= 0.97, precision
    assert recall >= 0.95, recall
    assert apart >= 0.99, apart


def test_dedupe_customers_of_a_snapshot(large_tenant: Tenant, large_frames: Frames) -> None:
    from titanaudit.dedupe.customers import dedupe_customers
    from titanaudit.testing import pair_accuracy

    base_tenant, frames = large_tenant, large_frames
    result = dedupe_customers(frames)
    customers = frames.customers
    active = set(customers.loc[customers["active"].astype(bool), "id"])
    assert set(result.clusters["id"]) <= active, (
        "merged and inactive records are not open duplicates"
    )
    assert (
        result.clusters.groupby("cluster_id")["role"].apply(lambda r: (r == "keep").sum()) == 1
    ).all()
    planted = [
        [i for i in c["ids"] if i in active] for c in base_tenant.truth["duplicate_clusters"]
    ]
    found = result.clusters.groupby("cluster_id")["id"].apply(list).tolist()
    accuracy = pair_accuracy(found, planted)
    assert accuracy["precision"] >= 0.97, accuracy
    assert accuracy["recall"] >= 0.95, accuracy
    homes = {
        tuple(sorted(n["ids"]))
        for n in base_tenant.truth["hard_negatives"]
        if n["kind"] == "household" and set(n["ids"]) <= active
    }
    reported = {
        tuple(sorted(p)) for p in result.households[["left_id", "right_id"]].to_numpy().tolist()
    }
    assert len(homes & reported) / len(homes) >= 0.9, "planted households are reported as such"
    assert not reported & {
        tuple(sorted(p)) for c in planted for p in itertools.combinations(c, 2)
    }, "no planted duplicate is called a household"
