"""The engine for a table's own duplicates: the pipeline's scored candidates
(:func:`~titanaudit.dedupe.pipeline.score_candidates`), then explain, cluster, choose keepers. :func:`titanaudit.dedupe.dedupe_frame` (any table) and
:func:`titanaudit.dedupe.dedupe_customers` (a snapshot's customers) only prepare its inputs.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from titanaudit.dedupe.blocking import BlockingRule
from titanaudit.dedupe.cluster import choose_keepers, cluster_pairs
from titanaudit.dedupe.compare import FIELDS
from titanaudit.dedupe.comparisons import ADDRESS, EMAIL, PHONE
from titanaudit.dedupe.entities import CUSTOMER_RULES
from titanaudit.dedupe.explain import explain_pairs
from titanaudit.dedupe.model import MatchModel
from titanaudit.dedupe.pipeline import (
    Stage,
    clear_against,
    household_pairs,
    quiet,
    score_candidates,
)
from titanaudit.defaults import MATCH_THRESHOLD

__all__ = [
    "CLUSTER_COLUMNS",
    "HOUSEHOLD_COLUMNS",
    "PAIR_COLUMNS",
    "DedupeResult",
    "Stage",
    "household_pairs",
    "run_engine",
]

CLUSTER_COLUMNS = [
    "id",
    "cluster_id",
    "cluster_size",
    "role",
    "probability",
    "reason",
    "split_from",
]
PAIR_COLUMNS = [
    "left_id",
    "right_id",
    "probability",
    "match_weight",
    "evidence",
    *FIELDS,
    *(f"w_{f}" for f in FIELDS),
]
HOUSEHOLD_COLUMNS = ["left_id", "right_id", "evidence", *FIELDS]

#: Pairs below this probability carry no evidence sentence (their levels and weights remain).
EVIDENCE_FROM = 0.01


@dataclass
class DedupeResult:
    """``clusters``: one row per record in a cluster of two or more (``id, cluster_id,
    cluster_size, role, probability, reason``); ``pairs``: every scored candidate pair
    (``left_id, right_id, probability, match_weight, evidence`` and the field levels);
    (and each field's weight, ``w_<field>``, term frequency, hubs and rarity included);
    ``households``: pairs that are two people of one household, for review, never clustered
    (``left_id, right_id, evidence`` and the field levels; see :func:`household_pairs`);
    ``model``: the fitted weights; ``columns``: the recognised columns (tables only)."""

    clusters: pd.DataFrame
    pairs: pd.DataFrame
    model: MatchModel | None
    households: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=HOUSEHOLD_COLUMNS)
    )
    columns: dict[str, list[str]] = field(default_factory=dict)

    def _repr_html_(self) -> str:
        from titanaudit.display import html_summary

        clusters = self.clusters["cluster_id"].nunique() if len(self.clusters) else 0
        return html_summary(
            "Duplicates",
            [
                ("clusters", clusters),
                ("records in them", len(self.clusters)),
                ("household pairs", len(self.households)),
                ("pairs scored", len(self.pairs)),
            ],
        )

    def __repr__(self) -> str:
        clusters = self.clusters["cluster_id"].nunique() if len(self.clusters) else 0
        return (
            f"DedupeResult({clusters} clusters over {len(self.clusters)} records, "
            f"{len(self.households)} household pairs, {len(self.pairs)} pairs scored)"
        )


def _household_evidence(homes: pd.DataFrame) -> list[str]:
    """The evidence line of a household pair, plus what the two share, which the household guard
    kept from counting ("shares the address and a phone: one household, not counted")."""
    lines = []
    for evidence, address, phone, email in zip(
        homes["evidence"], homes["address"], homes["phone"], homes["email"], strict=True
    ):
        shared = [
            w
            for w, on in (
                ("the address", address == ADDRESS["same_address"]),
                ("the street address", address == ADDRESS["same_street_address"]),
                ("a phone", phone == PHONE["shared"]),
                ("an e-mail", email == EMAIL["shared"]),
            )
            if on
        ]
        note = f"shares {' and '.join(shared)}: one household, not counted" if shared else ""
        lines.append("; ".join(p for p in (evidence, note) if p))
    return lines


def _merged(pairs: pd.DataFrame, *, merged_into: Mapping[int, int]) -> np.ndarray:
    """Pairs where one record was merged into the other (known matches)."""
    if not merged_into:
        return np.zeros(len(pairs), dtype=bool)
    into = pd.Series(merged_into, dtype="int64")
    left, right = pairs["left"], pairs["right"]
    return ((left.map(into) == right) | (right.map(into) == left)).to_numpy(dtype=bool)


def run_engine(
    long: pd.DataFrame,
    *,
    records: pd.DataFrame | None = None,
    ids: np.ndarray | None = None,
    merged_into: Mapping[int, int] | None = None,
    eligible: Collection[int] | None = None,
    threshold: float = MATCH_THRESHOLD,
    apart: Collection[tuple[int, int]] = (),
    rules: Sequence[BlockingRule] = CUSTOMER_RULES,
    progress: Stage | None = None,
) -> DedupeResult:
    """Duplicates among the records of ``long`` (see :mod:`titanaudit.dedupe.entities`).

    ``records`` (indexed by record) feeds the keeper rules of
    :func:`~titanaudit.dedupe.cluster.choose_keepers`; completeness is added here. ``ids`` maps
    record numbers to the caller's ids (default: records are ids). ``merged_into`` (record →
    record it was merged into) marks known matches that seed the model. Only ``eligible``
    records (default: all) are clustered; every candidate pair is scored. ``progress`` hears of
    each stage as it starts.
    """
    stage = progress or quiet
    known = functools.partial(_merged, merged_into=merged_into or {})
    candidates = score_candidates(long, rules, known=known, progress=stage)
    if candidates.pairs.empty:
        return DedupeResult(
            pd.DataFrame(columns=CLUSTER_COLUMNS), pd.DataFrame(columns=PAIR_COLUMNS), None
        )
    scored, model = candidates.pairs, candidates.model
    stage("explaining")
    # a sentence for every pair a reviewer may read: likely ones and households; the millions
    # of clear non-matches keep their levels and weights only
    home = household_pairs(scored)
    worth = (scored["probability"].to_numpy() >= EVIDENCE_FROM) | home.to_numpy()
    scored["evidence"] = ""
    scored.loc[worth, "evidence"] = explain_pairs(scored[worth])
    open_pairs = (
        scored
        if eligible is None
        else scored[scored["left"].isin(eligible) & scored["right"].isin(eligible)]
    )
    stage("clustering")

    linking = open_pairs[["left", "right", "probability"]]  # a copy of three columns, not all
    clusters = cluster_pairs(
        linking.assign(against=clear_against(open_pairs)),
        threshold=threshold,
        apart=apart,
        judge=candidates.judge,
    )
    completeness = long.notna().groupby(long["record"]).sum().sum(axis=1)
    info = (records if records is not None else pd.DataFrame(index=completeness.index)).assign(
        completeness=completeness
    )
    kept = choose_keepers(clusters, info)

    def to_id(values: np.ndarray) -> np.ndarray:
        return ids[values.astype(np.int64)] if ids is not None else values

    def to_id_or_none(values: pd.Series) -> np.ndarray:
        out = np.full(len(values), None, dtype=object)
        known = values.notna().to_numpy(dtype=bool)
        out[known] = to_id(values[known].to_numpy(dtype="int64"))
        return out

    out = pd.DataFrame(
        {
            "id": to_id(kept["record"].to_numpy()),
            "cluster_id": to_id(kept["cluster_id"].to_numpy()),
            "cluster_size": kept.groupby("cluster_id")["record"].transform("size").to_numpy(),
            "role": kept["role"].to_numpy(),
            "probability": kept["probability"].round(4).to_numpy(),
            "reason": kept["reason"].to_numpy(),
            "split_from": to_id_or_none(kept["split_from"]),
        }
    )
    pair_out = pd.DataFrame(
        {
            "left_id": to_id(scored["left"].to_numpy()),
            "right_id": to_id(scored["right"].to_numpy()),
            "probability": scored["probability"].round(4).to_numpy(),
            "match_weight": scored["match_weight"].round(2).to_numpy(),
            "evidence": scored["evidence"].to_numpy(),
            **{f: scored[f].to_numpy() for f in FIELDS},
            **{f"w_{f}": scored[f"w_{f}"].to_numpy(dtype="float32") for f in FIELDS},
        }
    )
    homes = open_pairs[home.loc[open_pairs.index]]
    household_out = pd.DataFrame(
        {
            "left_id": to_id(homes["left"].to_numpy()),
            "right_id": to_id(homes["right"].to_numpy()),
            "evidence": _household_evidence(homes),
            **{f: homes[f].to_numpy() for f in FIELDS},
        }
    )
    return DedupeResult(
        out,
        pair_out.sort_values("probability", ascending=False, ignore_index=True),
        model,
        household_out,
    )
