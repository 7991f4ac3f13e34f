"""Block → compare → estimate → score, once, for every caller: a table's own duplicates
(:func:`~titanaudit.dedupe.engine.run_engine`), a file's rows against the tenant
(:mod:`titanaudit.preimport`) and open leads and bookings against customers
(:func:`~titanaudit.dedupe.leads.match_leads`) each call :func:`score_candidates` with their own
pairs to keep and, for leads, the customers' fitted model. What it returns can judge any other
two records the same way (:meth:`Scored.judge`), which coherent clustering asks for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from titanaudit.dedupe.blocking import BlockingRule, candidate_pairs, random_pairs
from titanaudit.dedupe.compare import compare_customers
from titanaudit.dedupe.comparisons import ADDRESS, EMAIL, NAME, PHONE
from titanaudit.dedupe.entities import CUSTOMER_RULES
from titanaudit.dedupe.model import MatchModel, fit, score, two_at_one_house
from titanaudit.dedupe.prepared import Prepared

__all__ = [
    "VETO",
    "Scored",
    "Stage",
    "clear_against",
    "household_pairs",
    "quiet",
    "score_candidates",
]

#: Called with a short description as each stage of the engine starts ("comparing 12,345 pairs").
Stage = Callable[[str], None]


def quiet(_: str) -> None:
    return None


#: Below this probability (odds of a thousand to one against) a pair is clear evidence that its
#: records are two customers, and no cluster may hold both (nor two names that differ at one
#: house: :func:`clear_against`). (0.05, the veto before every pair in
#: a cluster was judged, split the heavily corrupted true clusters of splink_fake_1000 and FEBRL2;
#: measured with 0.05, 0.001 and 0.00001, and with different given names as a veto too, which
#: cost recall on every corrupted set: benchmarks/RESULTS.md.)
VETO = 0.001


def clear_against(scored: pd.DataFrame) -> np.ndarray:
    """Pairs with clear evidence that they are two customers: a probability below :data:`VETO`,
    or two names that differ (another given name, or another name outright) at one house
    (:func:`~titanaudit.dedupe.model.two_at_one_house`), which the household guard already
    calls two people. Without that, a record with a given name missing ("Perez"), or only a
    given name ("Christopher"), joined a whole family, or every Christopher of a dormitory."""
    return np.asarray((scored["probability"].to_numpy() < VETO) | two_at_one_house(scored))


def household_pairs(scored: pd.DataFrame) -> pd.Series:
    """Pairs that are two people of one household (catalogue DUP-CUS-003): two known names that
    differ in the given name under one surname, sharing an address with its unit, a phone or an
    e-mail; or names that differ outright (a couple of two surnames) sharing two of those."""
    name = scored["name"].to_numpy()
    shared = (
        (scored["address"].to_numpy() == ADDRESS["same_address"]).astype(int)
        + (scored["phone"].to_numpy() == PHONE["shared"])
        + (scored["email"].to_numpy() == EMAIL["shared"])
    )
    household = (name == NAME["household"]) & (shared >= 1)
    return pd.Series(household | ((name == NAME["different"]) & (shared >= 2)), index=scored.index)


@dataclass(frozen=True)
class Scored:
    """Candidate pairs compared and scored: ``pairs`` (``left, right``, each field's level and
    weight, ``probability``, ``match_weight``), the ``model`` that scored them, and the
    ``prepared`` values, so any other two records can be scored alike."""

    pairs: pd.DataFrame
    model: MatchModel | None
    prepared: Prepared | None

    def rescore(self, left: np.ndarray, right: np.ndarray) -> pd.DataFrame:
        """Records ``left[i]`` and ``right[i]`` compared and scored as the candidates were."""
        if self.model is None or self.prepared is None:
            raise ValueError("nothing was scored: there is no model to judge with")
        pairs = pd.DataFrame({"left": left, "right": right})
        return score(compare_customers(pairs, self.prepared), self.model)

    def judge(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        """Which of the pairs ``left[i], right[i]`` hold clear evidence of two people
        (:func:`clear_against`): what :func:`~titanaudit.dedupe.cluster.cluster_pairs` asks."""
        return clear_against(self.rescore(left, right))


def score_candidates(
    long: pd.DataFrame,
    rules: Sequence[BlockingRule] = CUSTOMER_RULES,
    *,
    keep: Callable[[pd.DataFrame], pd.Series] | None = None,
    blocks_with: Callable[[np.ndarray], np.ndarray] | None = None,
    model: MatchModel | None = None,
    known: Callable[[pd.DataFrame], np.ndarray] | None = None,
    progress: Stage | None = None,
    records: str = "records",
) -> Scored:
    """The candidate pairs of ``long`` (one row per record and value, from
    :mod:`titanaudit.dedupe.entities`) under the blocking ``rules``, those ``keep`` selects
    (default: all), compared and scored with ``model``, or with a model estimated here from the
    pairs themselves (EM, seeded by the pairs ``known`` marks as matches and by random pairs'
    chance agreement). ``blocks_with`` (see :func:`candidate_pairs`) spares the blocks that
    hold none of the records ``keep`` asks about. ``progress`` hears of each stage; ``records``
    names what is blocked."""
    stage = progress or quiet
    stage(f"blocking {long['record'].nunique():,} {records}")
    pairs = candidate_pairs(long, rules, blocks_with=blocks_with)
    if keep is not None:
        pairs = pairs[keep(pairs).to_numpy(dtype=bool)]
    if pairs.empty:
        return Scored(pairs.reset_index(drop=True), model, None)
    stage(f"comparing {len(pairs):,} candidate pairs")
    prepared = Prepared(long)
    compared = compare_customers(pairs, prepared)
    if model is None:
        chance = compare_customers(random_pairs(long["record"].to_numpy()), prepared)
        stage("fitting the model")
        model = fit(compared, known_matches=known(compared) if known else None, random_pairs=chance)
    stage("scoring")
    return Scored(score(compared, model), model, prepared)
