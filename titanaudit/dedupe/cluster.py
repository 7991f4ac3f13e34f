"""Clustering: from scored pairs to groups of records that are one customer, with a keeper.

Connected components over the pairs above a threshold chain: through a hub (a placeholder
customer sharing a phone with each home's past owners) or a run of look-alikes, two people with
nothing in common land in one cluster. So clusters here are *coherent*: pairs at or above the
threshold are joined strongest first, and two groups merge only if no pair between them has
clear evidence against it (``against``: by default a probability below ``veto``; the engine
passes its own, :data:`titanaudit.dedupe.engine.VETO`), *every* pair between them judged, not
only those that blocking happened to compare.
``judge`` scores the pairs blocking never produced, for the records the strong pairs link
(all of them within a linked group of up to :data:`JUDGED_AT_ONCE` records, the rest as merges
ask). This is the complete-linkage idea (Splink PR #3031) with vetoes instead of a second
threshold, so a cluster holds only records each of which could be the others, and no cluster
grows beyond ``max_size``. A group that was split is named in ``split_from`` (the smallest
record of everything its strong pairs linked), so a reviewer sees what it was taken from.

Each cluster gets one record to keep and the reason (:func:`choose_keepers`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Sequence

import numpy as np
import pandas as pd

from titanaudit.defaults import MATCH_THRESHOLD

__all__ = ["JUDGED_AT_ONCE", "Judge", "choose_keepers", "cluster_pairs", "linked_groups"]

#: scores pairs of records (two aligned arrays) and says for each whether there is clear
#: evidence against it being one customer
Judge = Callable[[np.ndarray, np.ndarray], np.ndarray]

#: linked groups up to this size have every pair judged in one batch before clustering
JUDGED_AT_ONCE = 200


def cluster_pairs(
    scored: pd.DataFrame,
    *,
    threshold: float = MATCH_THRESHOLD,
    veto: float = 0.05,
    max_size: int = 25,
    apart: Collection[tuple[int, int]] = (),
    judge: Judge | None = None,
) -> pd.DataFrame:
    """Clusters of two or more records. ``scored`` has ``left, right, probability`` (lower record
    first) and may have ``against`` (clear evidence against the pair; default: probability
    below ``veto``). Returns ``record, cluster_id, probability, split_from``: one row per
    clustered record, ``cluster_id`` the smallest record of its cluster, ``probability`` the
    strongest link that brought it in, ``split_from`` the smallest record of the group its
    strong pairs linked when the cluster is only part of it (else missing). ``apart``: pairs a
    reviewer said are not duplicates; each vetoes any cluster that would hold both. Without
    ``judge`` a pair blocking did not compare counts as no evidence either way."""
    strong = scored[scored["probability"] >= threshold].sort_values("probability", ascending=False)
    if apart:
        keys = pd.MultiIndex.from_arrays([strong["left"], strong["right"]])
        strong = strong[~keys.isin(list(apart))]
    lefts, rights = strong["left"].tolist(), strong["right"].tolist()
    component = linked_groups(lefts, rights)
    verdict = _verdicts(scored, component, veto)
    verdict.update(dict.fromkeys(apart, True))
    if judge is not None:
        _judge_components(component, verdict, judge)
    members: dict[int, list[int]] = {}
    group_of: dict[int, int] = {}
    link: dict[int, float] = {}
    for a, b, p in zip(lefts, rights, strong["probability"].tolist(), strict=True):
        ga, gb = group_of.setdefault(a, a), group_of.setdefault(b, b)
        if ga == gb:
            continue
        left, right = members.setdefault(ga, [a]), members.setdefault(gb, [b])
        if len(left) + len(right) > max_size or _vetoed(left, right, verdict, judge):
            continue
        keep, gone = (ga, gb) if len(left) >= len(right) else (gb, ga)
        members[keep].extend(members.pop(gone))
        for record in members[keep]:
            group_of[record] = keep
        link[a], link[b] = max(link.get(a, 0.0), p), max(link.get(b, 0.0), p)
    return _frame(members, link, component)


def linked_groups(lefts: list[int], rights: list[int]) -> dict[int, int]:
    """Connected components of the pairs ``(lefts[i], rights[i])``: each record's group, named
    by the group's smallest record."""
    parent: dict[int, int] = {}

    def root(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in zip(lefts, rights, strict=True):
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {x: root(x) for x in parent}


def _verdicts(
    scored: pd.DataFrame, component: dict[int, int], veto: float
) -> dict[tuple[int, int], bool]:
    """Whether each scored pair between linked records has clear evidence against it."""
    linked = list(component)
    between = scored[scored["left"].isin(linked) & scored["right"].isin(linked)]
    against = (
        between["against"].to_numpy(dtype=bool)
        if "against" in between
        else (between["probability"] < veto).to_numpy()
    )
    return dict(
        zip(
            zip(between["left"].tolist(), between["right"].tolist(), strict=True),
            against.tolist(),
            strict=True,
        )
    )


def _judge_components(
    component: dict[int, int], verdict: dict[tuple[int, int], bool], judge: Judge
) -> None:
    """Judge, in one batch, every pair not yet judged within each linked group of three to
    :data:`JUDGED_AT_ONCE` records (two records are one strong pair: nothing else to judge)."""
    groups: dict[int, list[int]] = {}
    for record, root in component.items():
        groups.setdefault(root, []).append(record)
    wanted = [
        (a, b)
        for group in groups.values()
        if 2 < len(group) <= JUDGED_AT_ONCE
        for a, b in itertools.combinations(sorted(group), 2)
        if (a, b) not in verdict
    ]
    _ask(wanted, verdict, judge)


def _ask(
    wanted: Sequence[tuple[int, int]], verdict: dict[tuple[int, int], bool], judge: Judge
) -> None:
    if not wanted:
        return
    pairs = np.asarray(wanted, dtype="int64")
    verdict.update(
        zip(wanted, np.asarray(judge(pairs[:, 0], pairs[:, 1]), dtype=bool).tolist(), strict=True)
    )


def _vetoed(
    left: Sequence[int],
    right: Sequence[int],
    verdict: dict[tuple[int, int], bool],
    judge: Judge | None,
) -> bool:
    pairs = [(a, b) if a < b else (b, a) for a in left for b in right]
    if any(verdict.get(pair, False) for pair in pairs):  # what is known decides first
        return True
    if judge is not None:  # a group larger than JUDGED_AT_ONCE: judged as its merges ask
        _ask([pair for pair in pairs if pair not in verdict], verdict, judge)
    return any(verdict.get(pair, False) for pair in pairs)


def _frame(
    members: dict[int, list[int]], link: dict[int, float], component: dict[int, int]
) -> pd.DataFrame:
    sizes: dict[int, int] = {}
    for root in component.values():
        sizes[root] = sizes.get(root, 0) + 1
    rows: list[tuple[int, int, float, int | None]] = []
    for group in members.values():
        if len(group) < 2:
            continue
        root = component[group[0]]
        split = root if sizes[root] > len(group) else None
        rows.extend((r, min(group), link[r], split) for r in group)
    frame = pd.DataFrame(rows, columns=["record", "cluster_id", "probability", "split_from"])
    frame["split_from"] = frame["split_from"].astype("Int64")
    return frame.sort_values(["cluster_id", "record"], ignore_index=True)


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
