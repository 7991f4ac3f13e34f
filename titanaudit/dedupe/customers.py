"""Duplicate customers of a snapshot: the whole engine over a tenant's customers.

:func:`dedupe_customers` compares customers on their names, all their addresses (bill-to and
every location), and every phone and e-mail on them and their locations. Records people already
merged in ServiceTitan (``mergedToId``) are known matches that seed the model; they are scored
but never proposed again as open duplicates, and never kept.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from titanaudit.dedupe.blocking import candidate_pairs, random_pairs
from titanaudit.dedupe.cluster import choose_keepers, cluster_pairs
from titanaudit.dedupe.compare import FIELDS, compare_customers
from titanaudit.dedupe.entities import CUSTOMER_RULES, customer_values
from titanaudit.dedupe.explain import explain_pairs
from titanaudit.dedupe.frame import DedupeResult
from titanaudit.dedupe.model import estimate, score
from titanaudit.store import Snapshot

__all__ = ["dedupe_customers"]


def dedupe_customers(snapshot: Snapshot, *, threshold: float = 0.5) -> DedupeResult:
    """Open duplicate clusters among the snapshot's active customers, and every scored pair."""
    customers = snapshot.customers()
    long = customer_values(customers, snapshot.locations(), snapshot.contacts())
    pairs = candidate_pairs(long, CUSTOMER_RULES)
    compared = compare_customers(pairs, long)
    merged = (
        customers.dropna(subset=["merged_to_id"]).set_index("id")["merged_to_id"].astype("int64")
    )
    into = merged.to_dict()
    known = np.array(
        [
            into.get(a) == b or into.get(b) == a
            for a, b in zip(compared["left"], compared["right"], strict=True)
        ]
    )
    model = estimate(
        compared,
        known_matches=known,
        random_pairs=compare_customers(random_pairs(long["record"].to_numpy()), long),
    )
    scored = score(compared, model)
    scored["evidence"] = explain_pairs(scored)
    active = set(
        customers.loc[customers["active"].fillna(False).astype(bool), "id"].astype("int64")
    )
    open_pairs = scored[scored["left"].isin(active) & scored["right"].isin(active)]
    clusters = cluster_pairs(open_pairs, threshold=threshold)
    records = customers.set_index("id").assign(
        placeholder=lambda f: (
            f["name"].fillna("").str.strip().str.lower().isin({"new homeowner", "new owner"})
        ),
        completeness=long.notna().groupby(long["record"]).sum().sum(axis=1),
    )
    kept = (
        choose_keepers(clusters, records) if len(clusters) else clusters.assign(role=[], reason=[])
    )
    out = kept.rename(columns={"record": "id"})
    out["cluster_size"] = out.groupby("cluster_id")["id"].transform("size")
    out = out[["id", "cluster_id", "cluster_size", "role", "probability", "reason"]]
    pair_out = pd.DataFrame({
        "left_id": scored["left"], "right_id": scored["right"], "probability": scored["probability"].round(4),
        "match_weight": scored["match_weight"].round(2), "evidence": scored["evidence"],
        **{field: scored[field] for field in FIELDS},
    }).sort_values("probability", ascending=False, ignore_index=True)  # fmt: skip
    return DedupeResult(out, pair_out, model, {})
