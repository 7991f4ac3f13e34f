"""Comparison: for each candidate pair, one level per field, computed over whole pair arrays.

Levels are small integers, higher meaning stronger agreement, with ``-1`` for "cannot say" (a
value missing or a placeholder on one side). They are what the Fellegi-Sunter model weighs.

Customer fields (:func:`compare_customers`):

``name``     4 same name; 3 same surname and related given names (the same nickname group, or
             one the start of the other: J, Jen, Jennifer), or names nearly identical; 2 a surname one typo away and a related given name; 1 same or near
             surname but a *different* given name (the household case: spouses, parents and
             children); 0 different. Businesses: 4 same, 3 token-sorted similarity >= 95,
             2 >= 85, 0 below.
``phone``    2 a phone in common; 0 both have phones, none in common.
``email``    2 an e-mail in common; 0 both have e-mails, none in common.
``address``  3 an address in common, unit included; 2 a street address in common, units differ
             or one is missing; 1 same ZIP and house number, street names close (a typo);
             0 different.

Shared values also carry their frequency (``phone_freq``: how many customers hold the shared
phone), for term-frequency adjustment: an office phone on 40 customers says less than a private
mobile.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz import distance, fuzz, process

__all__ = ["FIELDS", "compare_customers"]

FIELDS = ("name", "phone", "email", "address")
MISSING = -1


def _similarity(left: pd.Series, right: pd.Series, scorer: Any) -> np.ndarray:
    """Pairwise similarity of two aligned string Series (0 where either is missing)."""
    known = (left.notna() & right.notna()).to_numpy()
    out = np.zeros(len(left), dtype="float64")
    if known.any():
        out[known] = process.cpdist(
            left[known].tolist(), right[known].tolist(), scorer=scorer, workers=-1
        )
    return out


def _shared(
    pairs: pd.DataFrame, long: pd.DataFrame, column: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each pair: whether both sides have ``column`` values, whether they share one, and
    the lowest frequency (records holding it) among the shared values."""
    if column not in long.columns:
        nothing = np.zeros(len(pairs), dtype=bool)
        return nothing, nothing, np.zeros(len(pairs), dtype="int64")
    values = long[["record", column]].dropna().drop_duplicates()
    holders = values.groupby(column)["record"].transform("size").rename("freq")
    values = values.assign(freq=holders.to_numpy())
    has = set(values["record"].tolist())
    both = pairs["left"].isin(has).to_numpy() & pairs["right"].isin(has).to_numpy()
    left = pairs.reset_index()[["index", "left", "right"]].merge(
        values, left_on="left", right_on="record"
    )
    match = left.merge(
        values[["record", column]], left_on=["right", column], right_on=["record", column]
    )
    freq = match.groupby("index")["freq"].min()
    shared = np.zeros(len(pairs), dtype=bool)
    lowest = np.zeros(len(pairs), dtype="int64")
    shared[freq.index.to_numpy()] = True
    lowest[freq.index.to_numpy()] = freq.to_numpy()
    return both, shared, lowest


def _levels(both: np.ndarray, shared: np.ndarray) -> np.ndarray:
    return np.where(~both, MISSING, np.where(shared, 2, 0)).astype("int8")


def _related(a: object, b: object, group_a: object, group_b: object) -> bool:
    """Given names that can be one person's: the same nickname group (Bob, Robert), or one is
    the start of the other (J, Jen, Jennifer; Chris, Christopher)."""
    if not isinstance(a, str) or not isinstance(b, str):
        return False
    if a.startswith(b) or b.startswith(a):
        return True
    return (
        isinstance(group_a, frozenset)
        and isinstance(group_b, frozenset)
        and not group_a.isdisjoint(group_b)
    )


def _name_levels(pairs: pd.DataFrame, names: pd.DataFrame) -> np.ndarray:
    indexed = names.set_index("record")
    left = indexed.reindex(pairs["left"].to_numpy()).reset_index(drop=True)
    right = indexed.reindex(pairs["right"].to_numpy()).reset_index(drop=True)
    known = (left["name_norm"].notna() & right["name_norm"].notna()).to_numpy()
    same = (left["name_norm"] == right["name_norm"]).to_numpy() & known
    business = (left["is_business"].fillna(False) | right["is_business"].fillna(False)).to_numpy(
        dtype=bool
    )
    token = _similarity(left["name_norm"], right["name_norm"], fuzz.token_sort_ratio)
    last = _similarity(left["last"], right["last"], distance.JaroWinkler.normalized_similarity)
    both_first = (left["first"].notna() & right["first"].notna()).to_numpy()
    related = np.fromiter(
        (
            _related(a, b, ga, gb)
            for a, b, ga, gb in zip(
                left["first"],
                right["first"],
                left["first_names"],
                right["first_names"],
                strict=True,
            )
        ),
        dtype=bool,
        count=len(pairs),
    )
    same_last = (left["last"] == right["last"]).to_numpy()
    near_last = last >= 0.9
    person = np.select(
        [
            same,
            same_last & related,
            token >= 97,
            near_last & related,
            (same_last | near_last) & both_first & ~related,
        ],
        [4, 3, 3, 2, 1],
        default=0,
    )
    firm = np.select([same, token >= 95, token >= 85], [4, 3, 2], default=0)
    return np.where(~known, MISSING, np.where(business, firm, person)).astype("int8")


def _address_levels(pairs: pd.DataFrame, long: pd.DataFrame) -> np.ndarray:
    both, full, _ = _shared(pairs, long, "address_key")
    _, street, _ = _shared(pairs, long, "street_key")
    if not both.any():
        return np.full(len(pairs), MISSING, dtype="int8")
    columns = ["record", "zip5", "city", "house_number", "street_name"]
    places = long[[c for c in columns if c in long.columns]].copy()
    area = places["zip5"].where(places["zip5"].notna(), places.get("city"))  # no ZIP: the city
    places = places.assign(place=area + "|" + places["house_number"]).dropna(
        subset=["place", "street_name"]
    )
    places = places[["record", "place", "street_name"]].drop_duplicates()
    on_both = pairs.reset_index()[["index", "left", "right"]]
    joined = on_both.merge(places, left_on="left", right_on="record").merge(
        places, left_on=["right", "place"], right_on=["record", "place"], suffixes=("_l", "_r")
    )
    close = _similarity(
        joined["street_name_l"], joined["street_name_r"], distance.JaroWinkler.normalized_similarity
    )
    typo_pairs = joined.loc[close >= 0.88, "index"].unique()
    typo = np.zeros(len(pairs), dtype=bool)
    typo[typo_pairs] = True
    return np.where(~both, MISSING, np.select([full, street, typo], [3, 2, 1], default=0)).astype(
        "int8"
    )


def compare_customers(pairs: pd.DataFrame, long: pd.DataFrame) -> pd.DataFrame:
    """Levels for customer pairs. ``pairs`` has ``left, right`` (from blocking); ``long`` is
    :func:`~titanaudit.dedupe.entities.customer_values`. Returns ``pairs`` with the columns
    ``name, phone, email, address`` (levels) and ``phone_freq, email_freq`` added."""
    pairs = pairs.reset_index(drop=True)
    names = long.drop_duplicates("record")[
        ["record", "name_norm", "first", "last", "first_names", "is_business"]
    ]
    out = pairs.copy()
    out["name"] = _name_levels(pairs, names)
    for field in ("phone", "email"):
        both, shared, freq = _shared(pairs, long, field)
        out[field] = _levels(both, shared)
        out[f"{field}_freq"] = freq
    out["address"] = _address_levels(pairs, long)
    return out
