"""Duplicates in data we did not generate: pseudopeople's simulated town (tests/data/README.md),
families at one address outnumbering the people entered twice."""

from __future__ import annotations

import itertools
from pathlib import Path

import pandas as pd
import pytest

from titanaudit.dedupe.any_table import dedupe_frame
from titanaudit.testing import pair_accuracy

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.mark.slow
def test_a_census_with_tax_forms_finds_repeats_and_keeps_families_apart() -> None:
    table = pd.read_csv(DATA / "pseudopeople_census_tax.csv.gz", dtype=str, keep_default_na=False)
    truth = table.groupby("truth")["id"].agg(list)
    result = dedupe_frame(table.drop(columns="truth"), id_column="id")
    clusters = result.clusters.groupby("cluster_id")["id"].agg(list)
    accuracy = pair_accuracy(clusters.tolist(), [t for t in truth if len(t) > 1])
    # measured 0.89; a shared house counted as chance among families gave 0.13 (recall 0.07)
    assert accuracy["f1"] > 0.85, accuracy
    # two people of one family, by the truth: given names that start differently under one
    # surname at one house number and street. Measured: 11 of 20,270 such pairs share a cluster
    # (Betty and Elizabeth, Jason and Mason: what names cannot tell apart); without the veto on
    # two names at one house, a record with its given name missing joined whole families.
    rows = table.set_index("id")
    rows["cluster"] = result.clusters.set_index("id")["cluster_id"]
    family = merged = 0
    for _, home in rows[rows["last_name"] != ""].groupby(
        ["house_number", "street_name", "last_name"]
    ):
        for a, b in itertools.combinations(home.index, 2):
            x, y = home.loc[a], home.loc[b]
            if (
                x["truth"] != y["truth"]
                and "" != x["first_name"][:1].lower() != y["first_name"][:1].lower() != ""
            ):
                family += 1
                merged += bool(pd.notna(x["cluster"]) and x["cluster"] == y["cluster"])
    assert family > 10_000 and merged < family / 1000, (merged, family)
