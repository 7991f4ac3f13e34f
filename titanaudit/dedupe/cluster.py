"""Clustering: from scored pairs to groups of records that are one customer, with a keeper.

Pairs at or above the threshold are joined strongest first. Two groups merge only if no scored
pair between them says they differ (probability below ``veto``): if Bob Smith matches Robert
Smith, and Robert matches Mary Smith through a shared landline, but Bob against Mary scores as a
household, Mary does not join. So a cluster never grows through a weak or household link, and no
cluster grows beyond ``max_size``.

Each cluster gets one record to keep and the reason (:func:`choose_keepers`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

__all__ = ["choose_keepers", "cluster_pairs"]


def cluster_pairs(scored: pd.DataFrame, *, threshold: float = 0.5, veto: float = 0.05,
                  max_size: int = 25) -> pd.DataFrame:  # fmt: skip
    """Clusters of two or more records. ``scored`` has ``left, right, probability``. Returns
    ``record, cluster_id, probability`` (the strongest link that brought the record in), one row
    per clustered record; ``cluster_id`` is the smallest record id of the cluster."""
    verdict = {
        (int(a), int(b)): float(p)
        for a, b, p in zip(scored["left"], scored["right"], scored["probability"], strict=True)
    }
    strong = scored[scored["probability"] >= threshold].sort_values("probability", ascending=False)
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

    ``records`` is indexed by record id and may have: ``placeholder`` and ``do_not_service``
    (never kept by default), ``active`` (an inactive record is never kept), ``completeness``
    (more is better), ``created_on`` (older is better). The first rule that tells the records
    apart is the reason.
    """
    info = records.reindex(clusters["record"].to_numpy())
    frame = clusters.reset_index(drop=True).copy()
    rules: list[tuple[str, Callable[[pd.Series], np.ndarray], str]] = [
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
    frame["role"] = "merge"
    frame["reason"] = ""
    for _, group in frame.groupby("cluster_id").groups.items():
        index = np.asarray(group)
        order = sorted(index, key=lambda i: (*(-k[i] for k in keys[1:]), frame.at[i, "record"]))
        best = order[0]
        frame.at[best, "role"] = "keep"
        frame.at[best, "reason"] = _reason(best, index, keys, reasons)
    return frame


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


def _reason(best: int, group: np.ndarray, keys: list[np.ndarray], reasons: list[str]) -> str:
    """The first rule, in priority order, that left ``best`` alone among the candidates."""
    candidates = list(group)
    for key, reason in zip(keys[1:], reasons[1:], strict=True):
        top = max(key[i] for i in candidates)
        remaining = [i for i in candidates if key[i] == top]
        if len(remaining) == 1 and len(candidates) > 1:
            return reason
        candidates = remaining
    return reasons[0]
