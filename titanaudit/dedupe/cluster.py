"""Clustering: from scored pairs to groups of records that are one customer, with a keeper.

Pairs at or above the threshold are joined strongest first. Two groups merge only if no scored
pair between them says they differ (probability below ``veto``): if Bob Smith matches Robert
Smith, and Robert matches Mary Smith through a shared landline, but Bob against Mary scores as a
household, Mary does not join. So a cluster never grows through a weak or household link, and no
cluster grows beyond ``max_size``.

Each cluster gets one record to keep and the reason (:func:`choose_keepers`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

import numpy as np
import pandas as pd

__all__ = ["choose_keepers", "cluster_pairs"]


def cluster_pairs(scored: pd.DataFrame, *, threshold: float = 0.5, veto: float = 0.05,
                  max_size: int = 25, apart: Collection[tuple[int, int]] = ()) -> pd.DataFrame:  # fmt: skip
    """Clusters of two or more records. ``scored`` has ``left, right, probability``. Returns
    ``record, cluster_id, probability`` (the strongest link that brought the record in), one row
    per clustered record; ``cluster_id`` is the smallest record id of the cluster. ``apart``:
    pairs (lower record first) a reviewer said are not duplicates; each vetoes any cluster that
    would hold both."""
    strong = scored[scored["probability"] >= threshold].sort_values("probability", ascending=False)
    if apart:
        keys = pd.MultiIndex.from_arrays([strong["left"], strong["right"]])
        strong = strong[~keys.isin(list(apart))]
    # a veto can only come from a pair whose two records both have a strong link
    linked = pd.unique(np.concatenate([strong["left"].to_numpy(), strong["right"].to_numpy()]))
    between = scored[scored["left"].isin(linked) & scored["right"].isin(linked)]
    verdict = {
        (a, b): p
        for a, b, p in zip(
            between["left"].tolist(),
            between["right"].tolist(),
            between["probability"].tolist(),
            strict=True,
        )
    }
    verdict.update(dict.fromkeys(apart, 0.0))
    members: dict[int, list[int]] = {}
    group_of: dict[int, int] = {}
    link: dict[int, float] = {}
    for a, b, p in zip(
        strong["left"].tolist(),
        strong["right"].tolist(),
        strong["probability"].tolist(),
        strict=True,
    ):
        ga, gb = group_of.setdefault(a, a), group_of.setdefault(b, b)
        if ga == gb:
            continue
        left, right = members.setdefault(ga, [a]), members.setdefault(gb, [b])
        if len(left) + len(right) > max_size or _vetoed(left, right, verdict, veto):
            continue
        keep, gone = (ga, gb) if len(left) >= len(right) else (gb, ga)
        members[keep].extend(members.pop(gone))
        for record in members[keep]:
            group_of[record] = keep
        link[a], link[b] = max(link.get(a, 0.0), p), max(link.get(b, 0.0), p)
    rows = [(r, min(group), link[r]) for group in members.values() if len(group) > 1 for r in group]
    frame = pd.DataFrame(rows, columns=["record", "cluster_id", "probability"])
    return frame.sort_values(["cluster_id", "record"], ignore_index=True)


def _vetoed(
    left: Sequence[int], right: Sequence[int], verdict: dict[tuple[int, int], float], veto: float
) -> bool:
    for a in left:
        for b in right:
            p = verdict.get((a, b) if a < b else (b, a))
            if p is not None and p < veto:
                return True
    return False


def choose_keepers(clusters: pd.DataFrame, records: pd.DataFrame) -> pd.DataFrame:
    """Add ``role`` (keep|merge) and ``reason`` to ``clusters``.

    ``records`` is indexed by record id and may have: ``preferred`` (a reviewer chose it: kept
    first of all), ``placeholder`` and ``do_not_service``
    (never kept by default), ``active`` (an inactive record is never kept), ``completeness``
    (more is better), ``created_on`` (older is better). The first rule that tells the records
    apart is the reason.
    """
    frame = clusters.reset_index(drop=True).copy()
    if frame.empty:
        return frame.assign(role=pd.Series(dtype=object), reason=pd.Series(dtype=object))
    info = records.reindex(clusters["record"].to_numpy())
    rules: list[tuple[str, Callable[[pd.Series], np.ndarray], str]] = [
        ("preferred", _truthy, "a reviewer chose to keep it"),
        ("active", _truthy, "the other records are inactive or merged"),
        ("placeholder", _falsy, "the others carry a placeholder name"),
        ("do_not_service", _falsy, "the others are marked Do Not Service"),
        ("completeness", _number, "it holds the most contact details"),
        ("created_on", _older, "it is the oldest record"),
    ]
    keys = [np.zeros(len(frame))]
    reasons = ["it has the lowest id"]
    for column, key, reason in rules:
        if column in info.columns:
            keys.append(key(info[column]))
            reasons.append(reason)
    # best first within each cluster: by each rule in turn, then the lowest id
    cluster = frame["cluster_id"].to_numpy()
    order = np.lexsort((frame["record"].to_numpy(), *(-k for k in reversed(keys[1:])), cluster))
    first = np.r_[True, cluster[order][1:] != cluster[order][:-1]]
    keep = np.zeros(len(frame), dtype=bool)
    keep[order[first]] = True
    frame["role"] = np.where(keep, "keep", "merge")
    frame["reason"] = np.where(keep, _reasons(frame["cluster_id"], keep, keys, reasons), "")
    return frame


def _reasons(
    cluster: pd.Series, keep: np.ndarray, keys: list[np.ndarray], reasons: list[str]
) -> np.ndarray:
    """For each keeper, the first rule, in priority order, that left it alone among the
    candidates still tied before that rule."""
    out = np.full(len(cluster), reasons[0], dtype=object)
    decided = np.zeros(len(cluster), dtype=bool)
    candidate = np.ones(len(cluster), dtype=bool)
    for key, reason in zip(keys[1:], reasons[1:], strict=True):
        before = (
            pd.Series(candidate, index=cluster.index).groupby(cluster.to_numpy()).transform("sum")
        )
        top = (
            pd.Series(np.where(candidate, key, -np.inf), index=cluster.index)
            .groupby(cluster.to_numpy())
            .transform("max")
        )
        candidate = candidate & (key == top.to_numpy())
        after = (
            pd.Series(candidate, index=cluster.index).groupby(cluster.to_numpy()).transform("sum")
        )
        settled = keep & ~decided & (after.to_numpy() == 1) & (before.to_numpy() > 1)
        out[settled] = reason
        decided |= settled
    return out


def _truthy(values: pd.Series) -> np.ndarray:
    return values.astype("boolean").fillna(True).to_numpy(dtype=float)


def _falsy(values: pd.Series) -> np.ndarray:
    return (~values.astype("boolean").fillna(False)).to_numpy(dtype=float)


def _number(values: pd.Series) -> np.ndarray:
    return pd.to_numeric(values, errors="coerce").fillna(0).to_numpy(dtype=float)


def _older(values: pd.Series) -> np.ndarray:
    stamps = pd.to_datetime(values, utc=True, errors="coerce")
    seconds = (stamps - pd.Timestamp("1970-01-01", tz="UTC")).dt.total_seconds()
    return (-seconds.fillna(seconds.max() if seconds.notna().any() else 0)).to_numpy(dtype=float)
