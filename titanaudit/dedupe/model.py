"""The Fellegi-Sunter model: how much each comparison level says for or against a match.

For each field and level, ``m`` is the chance of that level among true matches and ``u`` among
non-matches; the level's weight is ``log2(m / u)`` and a pair's match weight is the prior's
log-odds plus the sum of its fields' weights (``-1``, "cannot say", weighs nothing).

:func:`estimate` fits ``m``, ``u`` and the prior by expectation maximisation **on the candidate
pairs** (as recordlinkage's ECM does), not on random pairs alone: among candidates, non-matches
are mostly households and neighbours, so a different given name at the same address weighs
against a match. One exception: the chance that two different people share a house is a random
pair's. Among candidates those are the households, which the household guard keeps apart
already; learnt from them, a shared house weighed next to nothing wherever families outnumber
repeats (a simulated census: F1 0.13). Known matches (records people already merged in
ServiceTitan) seed ``m`` when there are enough.

The household guard: at the name levels "same surname, different given name" and "different
names", neither the name nor a shared address, phone or e-mail adds anything (the fields are not
independent there: a family shares all of them), and the pair stays below even odds, so a clear
first-name disagreement outweighs a shared address and clusters cannot grow through household
links. Such pairs are reported apart, as household candidates.

The corroboration guard: a name alone never makes a duplicate; when both records have phones or
e-mails but share none and no house either, or when their places share not even a ZIP or city,
the name weighs at most nothing. Nor does a house alone: where the names cannot say one person
(missing, a placeholder, a surname against a full name) and the phones or e-mails say two, the
shared house weighs at most nothing.

Term frequency: a shared phone or e-mail held by ``k`` customers loses ``log2(k / 2)`` bits, so an
office line on 40 customers counts for far less than a private mobile. Hubs likewise: what a
record shares with ``d`` different records (a "New Homeowner" placeholder carrying the contacts
of every home's past owners) loses ``log2(d / 2)`` bits on each shared phone, e-mail and address.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from titanaudit.dedupe.compare import CONTACTS, FIELDS
from titanaudit.dedupe.comparisons import ADDRESS, COMPARISONS, EMAIL, MISSING, NAME, PHONE

__all__ = [
    "MIN_EM_PAIRS",
    "MatchModel",
    "estimate",
    "fit",
    "score",
    "two_at_one_house",
    "unfitted_model",
]

LEVELS = {c.field: c.codes for c in COMPARISONS}
FREQUENCY_FIELDS = {"phone": "phone_freq", "email": "email_freq"}
FLOOR = 1e-4
M_FLOOR = 0.02
HOUSEHOLD_LEVEL = NAME["household"]  # "same surname, different given name"; below: "different"
HOUSEHOLD_CAP = -1.0  # the most a household pair may weigh: probability 1/3
U_PSEUDO_PAIRS = 1000.0
GUARDED = ("address", "phone", "email")
#: levels at which two records share a value; a hub's (see prepared.hub_degrees) loses
#: ``log2(degree / 2)`` bits there, as a value held by many loses to term frequency
SHARED_LEVELS = {c.field: c.where("shared") for c in COMPARISONS if c.where("shared")}
RARITY_CAP = 8.0  # the most bits a name's rarity adds or takes
#: address levels at which two records share a house: the same house number and street in one
#: area, the unit apart, all of it; their chance among non-matches is a random pair's
HOUSE_LEVELS = ADDRESS.where("house")
#: from this address level up: one house number and street, any town
SAME_HOUSE_AND_STREET = ADDRESS["same_house_elsewhere"]
HUB_DEGREE = 4  # a record sharing private values with more others than this is a hub
NAME_AGREES = NAME["typo"]  # name levels from here up: the same name, or one a typo of it
#: fewer candidate pairs than this: nothing for EM to learn from, :func:`unfitted_model` instead
MIN_EM_PAIRS = 200


@dataclass
class MatchModel:
    """Fitted parameters: ``prior`` (share of candidate pairs that match), ``m`` and ``u`` per
    field and level."""

    prior: float
    m: dict[str, dict[int, float]]
    u: dict[str, dict[int, float]]
    iterations: int = 0
    seeded_by: int = 0
    history: list[float] = field(default_factory=list)

    def weights(self) -> dict[str, dict[int, float]]:
        """``log2(m / u)`` per field and level."""
        return {
            f: {lv: float(np.log2(self.m[f][lv] / self.u[f][lv])) for lv in self.m[f]}
            for f in self.m
        }

    def __repr__(self) -> str:
        parts = ", ".join(
            f"{f}: " + " ".join(f"{lv}:{w:+.1f}" for lv, w in ws.items())
            for f, ws in self.weights().items()
        )
        return f"MatchModel(prior={self.prior:.4f}, {parts})"


def _household(compared: pd.DataFrame) -> np.ndarray:
    """Pairs of two known names that differ in the given name under one surname, or outright."""
    names = compared["name"].to_numpy()
    return np.asarray((names >= 0) & (names <= HOUSEHOLD_LEVEL))


def two_at_one_house(compared: pd.DataFrame) -> np.ndarray:
    """Pairs of two known names that differ (the household levels) at one house number and
    street (:data:`SAME_HOUSE_AND_STREET` and up: a town typed two ways too): two people of one
    home, never one cluster. Frames without the name or address levels have none."""
    if "name" not in compared or "address" not in compared:
        return np.zeros(len(compared), dtype=bool)
    return _household(compared) & (compared["address"].to_numpy() >= SAME_HOUSE_AND_STREET)


def _field_weights(compared: pd.DataFrame, model: MatchModel) -> pd.DataFrame:
    weights = model.weights()
    out = pd.DataFrame(index=compared.index)
    for name in FIELDS:
        levels = compared[name].to_numpy()
        table = weights[name]
        w = np.zeros(len(levels))
        for level, value in table.items():
            w[levels == level] = value
        frequency = FREQUENCY_FIELDS.get(name)
        if frequency is not None:
            k = compared[frequency].to_numpy(dtype="float64")
            held = (levels == CONTACTS[name]["shared"]) & (k > 2)
            w = np.where(held, w - np.log2(np.maximum(k, 2) / 2), w)
        if name in SHARED_LEVELS and "hub_degree" in compared:
            hub = compared["hub_degree"].to_numpy(dtype="float64")
            shared = np.isin(levels, SHARED_LEVELS[name]) & (hub > 2)
            w = np.where(shared, w - np.log2(np.maximum(hub, 2) / 2), w)
        out[f"w_{name}"] = w
    if "name_rarity" in compared:
        # term frequency of the name: the same rare name says more than the same common one
        rarity = np.clip(compared["name_rarity"].to_numpy(dtype="float64"), -RARITY_CAP, RARITY_CAP)
        agree = compared["name"].to_numpy() >= NAME["related"]
        out["w_name"] = np.where(agree, out["w_name"] + rarity, out["w_name"])
        # an e-mail that only spells the name at another provider is worth what the name's
        # rarity is: every Andrew Sanchez may have one, a Zbigniew Okonkwo-Hale hardly two
        named = compared["email_named"].to_numpy(dtype=bool)
        out["w_email"] = np.where(
            named, np.minimum(out["w_email"], np.maximum(rarity, 0.0)), out["w_email"]
        )
    # The household guard: two given names that clearly differ under one surname are two people,
    # whatever house, landline or family e-mail they share, so those cannot lift such a pair;
    # nor can they lift two names that differ outright (spouses of two surnames, flatmates).
    household = _household(compared)
    for name in (*GUARDED, "name"):
        out[f"w_{name}"] = np.where(household, np.minimum(out[f"w_{name}"], 0.0), out[f"w_{name}"])
    # The corroboration guard: a name alone is not a duplicate. When both records have phones or
    # e-mails and share none, nor a house, or when their places have nothing in common (not even
    # a ZIP or city), two records of one name are namesakes until a reviewer says otherwise.
    # (A table with no contact columns and no places has only names to go on.)
    phone, email = compared["phone"].to_numpy(), compared["email"].to_numpy()
    address = compared["address"].to_numpy()
    # both sides have contacts, and they differ
    contacts_differ = (phone == PHONE["different"]) | (email == EMAIL["different"])
    contradicted = contacts_differ | (address == ADDRESS["different"])
    shares = (phone == PHONE["shared"]) | (email == EMAIL["shared"])
    alone = ~shares & ~np.isin(address, HOUSE_LEVELS) & contradicted
    out["w_name"] = np.where(alone, np.minimum(out["w_name"], 0.0), out["w_name"])
    # And a house alone is not a duplicate either: when the names cannot say these are one
    # person (missing, a placeholder, a surname against a full name) and their phones or
    # e-mails say two, the shared house is the new owner's, a lodger's or a relative's.
    house_alone = (compared["name"].to_numpy() < NAME_AGREES) & contacts_differ & ~shares
    house_alone &= np.isin(address, HOUSE_LEVELS)
    out["w_address"] = np.where(house_alone, np.minimum(out["w_address"], 0.0), out["w_address"])
    return out


def _probability(total: pd.Series | np.ndarray) -> np.ndarray:
    return np.asarray(1 / (1 + np.exp2(-np.clip(total, -60, 60))))


def _match_weight(compared: pd.DataFrame, model: MatchModel) -> tuple[pd.DataFrame, np.ndarray]:
    """Field weights and their total with the prior. A household pair (two known names that
    differ in the given name or outright) stays below even odds, however likely a blind
    candidate is to match in this table: the name decides that these are two people."""
    weights = _field_weights(compared, model)
    total = weights.sum(axis=1).to_numpy() + np.log2(model.prior / (1 - model.prior))
    capped = _household(compared) | _through_hub(compared)
    return weights, np.where(capped, np.minimum(total, HOUSEHOLD_CAP), total)


def _through_hub(compared: pd.DataFrame) -> np.ndarray:
    """The hub guard: a pair held together only by what a hub shares, with no name in common (a
    placeholder's, or another's), stays below even odds. The hub's phone, e-mail and address
    came together from one borrowed record, so they are one coincidence, not three."""
    if "hub_degree" not in compared:
        return np.zeros(len(compared), dtype=bool)
    hub = compared["hub_degree"].to_numpy() > HUB_DEGREE
    return np.asarray(hub & (compared["name"].to_numpy() < NAME_AGREES))


def score(compared: pd.DataFrame, model: MatchModel) -> pd.DataFrame:
    """``compared`` plus ``w_<field>`` columns, ``match_weight`` and ``probability``."""
    weights, total = _match_weight(compared, model)
    out = pd.concat([compared, weights], axis=1)
    out["match_weight"] = total
    out["probability"] = _probability(total)
    return out


def _distribution(
    compared: pd.DataFrame, responsibility: np.ndarray
) -> dict[str, dict[int, float]]:
    """Level frequencies weighted by ``responsibility``. Pairs that share a phone or e-mail held
    by more than two customers do not count for that field: term frequency weighs them, and
    letting an office line's dozens of pairs in would make every shared phone cheap."""
    table: dict[str, dict[int, float]] = {}
    for name, levels in LEVELS.items():
        column = compared[name].to_numpy()
        weight = responsibility
        if name in FREQUENCY_FIELDS:
            weight = np.where(compared[FREQUENCY_FIELDS[name]].to_numpy() > 2, 0.0, responsibility)
        if name in SHARED_LEVELS and "hub_degree" in compared:  # hubs teach nothing either
            weight = np.where(compared["hub_degree"].to_numpy() > 2, 0.0, weight)
        if name == "email" and "email_named" in compared:  # nor e-mails that only spell the name
            weight = np.where(compared["email_named"].to_numpy(dtype=bool), 0.0, weight)
        total = weight[column != MISSING].sum() + FLOOR * len(levels)
        table[name] = {lv: float((weight[column == lv].sum() + FLOOR) / total) for lv in levels}
    return table


def _blend(
    found: dict[str, dict[int, float]], mass: float, prior: dict[str, dict[int, float]]
) -> dict[str, dict[int, float]]:
    """``found`` (from ``mass`` pairs' worth of weight) shrunk towards ``prior``."""
    share = mass / (mass + U_PSEUDO_PAIRS)
    return {
        name: {lv: share * found[name][lv] + (1 - share) * prior[name][lv] for lv in levels}
        for name, levels in found.items()
    }


def _chance_house(
    u: dict[str, dict[int, float]], chance: dict[str, dict[int, float]]
) -> dict[str, dict[int, float]]:
    """``u`` with the chance of two records sharing a house (:data:`HOUSE_LEVELS`) taken from
    random pairs, the other address levels rescaled to fill the rest. Among candidate pairs the
    non-matches that share a house are households, and the household guard already keeps them
    apart; counted again as chance, they made a shared house nearly worthless (measured: a
    simulated census with tax forms, pairwise F1 0.13, families outnumbering repeats)."""
    table = u["address"]
    house = {lv: chance["address"][lv] for lv in HOUSE_LEVELS}
    rest = sum(p for lv, p in table.items() if lv not in HOUSE_LEVELS)
    scale = (1 - sum(house.values())) / rest if rest > 0 else 0.0
    address = {lv: house[lv] if lv in house else p * scale for lv, p in table.items()}
    return {**u, "address": address}


def _smoothed(table: dict[str, dict[int, float]]) -> dict[str, dict[int, float]]:
    """Keep every level possible among matches (at least ``M_FLOOR``): EM otherwise talks itself
    into "a match never has a different address" and loses every customer who moved."""
    out = {}
    for name, levels in table.items():
        raised = {lv: max(p, M_FLOOR) for lv, p in levels.items()}
        total = sum(raised.values())
        out[name] = {lv: p / total for lv, p in raised.items()}
    return out


def _starting_m() -> dict[str, dict[int, float]]:
    """Before any data: matches mostly agree, and agree most on their top level."""
    start = {}
    for name, levels in LEVELS.items():
        raw = np.array([2.0**i for i in range(len(levels))])
        start[name] = dict(zip(levels, (raw / raw.sum()).tolist(), strict=True))
    return start


def estimate(
    compared: pd.DataFrame,
    *,
    known_matches: np.ndarray | None = None,
    iterations: int = 30,
    tolerance: float = 1e-5,
    random_pairs: pd.DataFrame | None = None,
) -> MatchModel:
    """Fit the model on candidate pairs by EM. ``known_matches`` marks pairs known to match
    (e.g. merged in ServiceTitan); with 20 or more they seed ``m``. ``random_pairs`` (compared
    levels of random record pairs, nearly all non-matches) seed ``u``; without them ``u`` starts
    from the candidates themselves, which misleads EM when most candidates match."""
    chance = random_pairs if random_pairs is not None and len(random_pairs) else compared
    prior_u = _distribution(chance, np.ones(len(chance)))
    u = prior_u
    seeded = int(known_matches.sum()) if known_matches is not None else 0
    m = (
        _distribution(compared, known_matches.astype(float))
        if known_matches is not None and seeded >= 20
        else _starting_m()
    )
    model = MatchModel(prior=0.05, m=m, u=u, seeded_by=seeded if seeded >= 20 else 0)
    previous = model.prior
    for step in range(1, iterations + 1):
        # the E-step needs only the probabilities, not score()'s copy of the whole frame
        _, total = _match_weight(compared, model)
        responsibility = _probability(total)
        model.m = _smoothed(_distribution(compared, responsibility))
        # u is learnt on the candidates too: held at its random-pair start, EM calls every
        # household a match (measured: F1 0.26-0.64 on generated tenants instead of 0.98-0.99).
        # The random pairs stay in as U_PSEUDO_PAIRS pairs' worth of prior: where candidates
        # hold few non-matches (a table of near-certain duplicates) EM cannot tell u from m on
        # them alone and swaps the classes (measured: FEBRL1 F1 0.68, "same name" weighing 0).
        model.u = _chance_house(
            _blend(
                _distribution(compared, 1 - responsibility),
                float((1 - responsibility).sum()),
                prior_u,
            ),
            prior_u,
        )
        model.prior = float(np.clip(responsibility.mean(), 1e-6, 1 - 1e-6))
        model.iterations = step
        model.history.append(model.prior)
        if abs(model.prior - previous) < tolerance:
            break
        previous = model.prior
    return model


def unfitted_model() -> MatchModel:
    """The model for a handful of pairs, where EM has nothing to learn from (two identical rows
    of a two-row file came out at probability 0): the starting ``m`` and a ``u`` in which chance
    agreement is rare, each level half as likely as the one below it."""
    u = {}
    for name, levels in LEVELS.items():
        raw = np.array([0.9] + [0.1 * 0.5**k for k in range(len(levels) - 1)])
        u[name] = dict(zip(levels, (raw / raw.sum()).tolist(), strict=True))
    return MatchModel(prior=0.05, m=_starting_m(), u=u)


def fit(
    compared: pd.DataFrame,
    *,
    known_matches: np.ndarray | None = None,
    random_pairs: pd.DataFrame | None = None,
) -> MatchModel:
    """:func:`estimate` on ``compared``, or :func:`unfitted_model` when there are fewer than
    :data:`MIN_EM_PAIRS` candidate pairs (a file of a few rows, every one a duplicate)."""
    if len(compared) < MIN_EM_PAIRS:
        return unfitted_model()
    return estimate(compared, known_matches=known_matches, random_pairs=random_pairs)
