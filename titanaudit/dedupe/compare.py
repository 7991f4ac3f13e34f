"""Comparison: for each candidate pair, one level per field, computed over whole pair arrays.

The levels are declared in :mod:`~titanaudit.dedupe.comparisons` (each with its name, its test
and its words); here each field's levels are computed for every pair at once. They are what the
Fellegi-Sunter model weighs.

Shared values also carry their frequency (``phone_freq``: how many customers hold the shared
phone), for term-frequency adjustment: an office phone on 40 customers says less than a private
mobile. ``hub_degree`` is the larger of the two records' counts of other records they share a
private value with (:func:`~titanaudit.dedupe.prepared.hub_degrees`): a hub's shared phone says
little about any one person.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
from rapidfuzz import distance, fuzz

from titanaudit.dedupe.comparisons import (
    ADDRESS,
    COMPARISONS,
    EMAIL,
    MISSING,
    NAME,
    PHONE,
    Comparison,
)
from titanaudit.dedupe.prepared import PLACE_COLUMNS, Coded, Prepared
from titanaudit.fields.names import BUSINESS_WORDS, given_name_group, given_names

__all__ = ["FIELDS", "MISSING", "compare_customers"]

FIELDS = tuple(c.field for c in COMPARISONS)
CONTACTS = {"phone": PHONE, "email": EMAIL}


def _levels(both: np.ndarray, shared: np.ndarray, comparison: Comparison) -> np.ndarray:
    """A contact field's levels: a value in common, or both have values and none in common."""
    level = np.where(shared, comparison["shared"], comparison["different"])
    return np.where(~both, MISSING, level).astype("int8")


def _related(a: object, b: object) -> bool:
    """Given names that can be one person's: the same nickname group (Bob, Robert), or one is
    the start of the other (J, Jen, Jennifer; Chris, Christopher)."""
    if not isinstance(a, str) or not isinstance(b, str):
        return False
    return (
        a.startswith(b)
        or b.startswith(a)
        or not given_name_group(a).isdisjoint(given_name_group(b))
    )


def _typo(
    coded: Coded, left: np.ndarray, right: np.ndarray, jaro_winkler: np.ndarray, known: np.ndarray
) -> np.ndarray:
    """Two spellings of one name: close by Jaro-Winkler and by edits, or a slip or two (a wrong,
    missing or swapped letter: OSA distance) in a name long enough to carry them."""
    edits = coded.similarity(left, right, distance.OSA.distance, known)
    lengths_l, lengths_r = coded.length(left), coded.length(right)
    shorter = np.minimum(lengths_l, lengths_r)
    ratio = 1 - edits / np.maximum(np.maximum(lengths_l, lengths_r), 1)
    slip = known & (edits == 1) & (shorter >= 3) & (shorter < 5)
    if slip.any():  # short names: only a neighbouring key (Jadk, Jack; not John, Joan)
        words = coded.uniques
        slip[slip] = [
            _next_key(words[a], words[b]) for a, b in zip(left[slip], right[slip], strict=True)
        ]
    typo: np.ndarray = known & (
        ((jaro_winkler >= 0.9) & (ratio >= 0.7))
        | ((edits <= 1) & (shorter >= 5))
        | ((edits <= 2) & (shorter >= 8))
        | slip
    )
    return typo


def _misspelt(coded: Coded, left: np.ndarray, right: np.ndarray, where: np.ndarray) -> np.ndarray:
    """Two given names a slip or two apart (at most one edit in three letters) of which one is
    no given name at all (:func:`~titanaudit.fields.names.given_names`): "Tobp" is Toby
    mistyped, not his brother, but John and Joan, both names, stay two people."""
    out = np.zeros(len(left), dtype=bool)
    if not where.any():
        return out
    edits = coded.similarity(left, right, distance.OSA.distance, where)
    longer = np.maximum(coded.length(left), coded.length(right))
    near = where & (edits >= 1) & (edits <= 2) & (3 * edits <= longer)
    if near.any():
        known = given_names()
        codes = np.unique(np.r_[left[near], right[near]])
        named = np.zeros(len(coded.uniques), dtype=bool)
        named[codes] = [str(coded.uniques[c]) in known for c in codes]
        out[near] = ~(named[left[near]] & named[right[near]])
    return out


KEYBOARD = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
NEIGHBOURS = {
    (a, b)
    for r, row in enumerate(KEYBOARD)
    for c, a in enumerate(row)
    for rr in range(max(0, r - 1), min(len(KEYBOARD), r + 2))
    for b in KEYBOARD[rr][max(0, c - 1) : c + 2]
    if a != b
}


def _next_key(a: str, b: str) -> bool:
    """One letter of ``a`` replaced by a neighbour on a QWERTY keyboard."""
    if len(a) != len(b):
        return False
    differ = [(x, y) for x, y in zip(a, b, strict=True) if x != y]
    return len(differ) == 1 and differ[0] in NEIGHBOURS


def _name_levels(prepared: Prepared, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    p = prepared
    name_l, name_r = p.name.take(left), p.name.take(right)
    known = (name_l >= 0) & (name_r >= 0)
    same = known & (name_l == name_r)
    business = p.business[left] | p.business[right]
    first_l, first_r, last_l, last_r = p.first[left], p.first[right], p.last[left], p.last[right]
    has_first_l, has_first_r, has_last_l, has_last_r = (
        first_l >= 0,
        first_r >= 0,
        last_l >= 0,
        last_r >= 0,
    )
    token = p.name.similarity(name_l, name_r, fuzz.token_sort_ratio, known)
    jaro = distance.JaroWinkler.normalized_similarity
    both_first = has_first_l & has_first_r
    both_last = has_last_l & has_last_r
    last = p.parts.similarity(last_l, last_r, jaro, both_last)
    first = p.parts.similarity(first_l, first_r, jaro, both_first)
    cross_a = p.parts.similarity(first_l, last_r, jaro)
    cross_b = p.parts.similarity(last_l, first_r, jaro)
    swapped, crossed = np.minimum(cross_a, cross_b), np.maximum(cross_a, cross_b)
    # a typo, not another person: close by Jaro-Winkler *and* by edits (Christopher and
    # Christina share a long start but are five edits apart), or one slip (a wrong, missing or
    # swapped letter) in a name of five letters or more, two in one of eight (but John and Joan
    # are two people)
    close_first = both_first & _typo(p.parts, first_l, first_r, first, both_first)
    same_last = both_last & (last_l == last_r)
    near_last = same_last | _typo(p.parts, last_l, last_r, last, both_last)
    close_first |= _misspelt(p.parts, first_l, first_r, both_first & ~close_first & near_last)
    surname = near_last
    # nickname groups are sets, compared once per distinct pair of given names: only where the
    # given names differ and the surnames are alike (elsewhere the levels do not ask)
    differ = both_first & (first_l != first_r)
    related = both_first & ~differ
    ask = differ & (near_last | (last >= 0.8))
    if ask.any():
        low, high = np.minimum(first_l[ask], first_r[ask]), np.maximum(first_l[ask], first_r[ask])
        codes, distinct = pd.factorize(low * len(p.parts.uniques) + high)
        words = p.parts.uniques
        answers = np.array(
            [_related(words[d // len(words)], words[d % len(words)]) for d in distinct], dtype=bool
        )
        related[ask] = answers[codes]
    # one side names only one part ("Jackson"; "Smith"), and it is one of the other's parts
    lone = ~(has_first_l & has_last_l & has_first_r & has_last_r)
    part_of = (first >= 0.9) | near_last | (crossed >= 0.9)
    person = np.select(
        [
            same,
            same_last & related,
            token >= 97,
            near_last & related,
            same_last & close_first,
            near_last & close_first,
            both_first & (swapped >= 0.9),
            surname & ~both_first,
            lone & part_of,
            (related | (close_first & differ)) & (last >= 0.8),  # a slip in each: micthell boxwbr
            surname & both_first,
        ],
        [
            NAME[level]
            for level in (
                "same",
                "related",
                "related",
                "typo",
                "typo",
                "similar",
                "similar",
                "similar",
                "similar",
                "similar",
                "household",
            )
        ],
        default=NAME["different"],
    )
    contained = np.maximum(
        p.name.similarity(name_l, name_r, fuzz.token_set_ratio, known & business),
        p.name.similarity(name_l, name_r, firm_overlap, known & business),
    )
    # a person's record and a business's that bears the person's surname ("Kellie Houston",
    # "Houston Properties LLC"): one may be the other, typed as a business
    mixed = known & (p.business[left] != p.business[right])
    if mixed.any():
        who = np.where(p.business[left], right, left)[mixed]
        firm_name = p.name.uniques[np.where(p.business[left], name_l, name_r)[mixed]]
        surname = [_word(p.parts.uniques, code) for code in p.last[who]]
        contained[mixed] = np.where(
            [_bears(s, str(n)) for s, n in zip(surname, firm_name, strict=True)],
            100.0,
            contained[mixed],
        )
    firm = np.select(
        [same, token >= 95, token >= 85, contained >= 100],
        [NAME["same"], NAME["related"], NAME["typo"], NAME["similar"]],
        default=NAME["different"],
    )
    return np.where(~known, MISSING, np.where(business, firm, person)).astype("int8")


def _address_levels(prepared: Prepared, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    p = prepared
    nothing = np.zeros(len(left), dtype=bool)
    full = p.sets["address_key"].shared(left, right)[1] if "address_key" in p.sets else nothing
    street = p.sets["street_key"].shared(left, right)[1] if "street_key" in p.sets else nothing
    both = p.places.has(left) & p.places.has(right)
    if not both.any():
        return np.full(len(left), MISSING, dtype="int8")
    # every place of one side against every place of the other (a few per customer)
    owner, at_l, at_r = p.places.cross(left, right)
    zips, cities, numbers, streets = (p.place_of[c] for c in PLACE_COLUMNS)
    zip_l, zip_r = zips.take(at_l), zips.take(at_r)
    city_l, city_r = cities.take(at_l), cities.take(at_r)
    # the same area: the same ZIP or city, or one a typo of the other (Bicton, Bicron; 4304, 4305)
    one_digit = (zips.similarity(zip_l, zip_r, distance.Hamming.distance) == 1) & (
        zips.length(zip_l) == zips.length(zip_r)
    )
    exact_area = ((zip_l == zip_r) & (zip_l >= 0)) | ((city_l == city_r) & (city_l >= 0))
    jaro = distance.JaroWinkler.normalized_similarity
    # a place with neither ZIP nor city says nothing against the other's town
    unknown = ((zip_l < 0) & (city_l < 0)) | ((zip_r < 0) & (city_r < 0))
    area = exact_area | (cities.similarity(city_l, city_r, jaro) >= 0.9) | one_digit | unknown
    number_l, number_r = numbers.take(at_l), numbers.take(at_r)
    same_number = (number_l == number_r) & (number_l >= 0)
    same_street = streets.similarity(streets.take(at_l), streets.take(at_r), jaro) >= 0.88
    level = np.select(
        [
            area & same_number & same_street,
            same_number & same_street,
            exact_area & same_street,
            area,
        ],
        [ADDRESS[n] for n in ("same_house", "same_house_elsewhere", "same_street", "same_area")],
        default=ADDRESS["different"],
    ).astype("int8")
    best = np.zeros(len(left), dtype="int8")
    np.maximum.at(best, owner, level)
    levels = np.select(
        [full, street], [ADDRESS["same_address"], ADDRESS["same_street_address"]], default=best
    )
    return np.where(~both, MISSING, levels).astype("int8")


def _close_emails(
    prepared: Prepared, left: np.ndarray, right: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs with two e-mails that are nearly one: at most two slips apart in an address of ten
    characters or more (but the same digits: jsmith12 and jsmith13 are two people's), or the
    same user name at another provider. Returns (close, only the name): pairs whose near e-mails
    are all spellings of the person's own name (andrewsanchez@gmail.com,
    andrew.sanchez@icloud.com) say little the names do not: every Andrew Sanchez may have one."""
    p = prepared
    close = np.zeros(len(left), dtype=bool)
    owner, at_l, at_r = p.emails.cross(left, right)
    if not len(owner):
        return close, close.copy()
    user_l, user_r = p.email_user.take(at_l), p.email_user.take(at_r)
    same_user = (user_l == user_r) & (user_l >= 0)
    email_l, email_r = p.email.take(at_l), p.email.take(at_r)
    shorter = np.minimum(p.email.length(email_l), p.email.length(email_r))
    slips = p.email.similarity(email_l, email_r, distance.OSA.distance)
    typed = (slips <= 2) & (shorter >= 10) & ~same_user
    if typed.any():
        words = p.email.uniques
        typed[typed] = [
            _digits(words[a]) == _digits(words[b])
            for a, b in zip(email_l[typed], email_r[typed], strict=True)
        ]
    near = same_user | typed
    close[owner[near]] = True
    derived = np.zeros(len(owner), dtype=bool)
    if near.any():
        words, at = p.parts.uniques, np.flatnonzero(near)
        holders = left[owner[at]]
        users = [str(e).partition("@")[0] for e in p.email.uniques[email_l[at]]]
        derived[at] = [
            _made_of_name(user, _word(words, first), _word(words, last))
            for user, first, last in zip(users, p.first[holders], p.last[holders], strict=True)
        ]
    named = _any(len(left), owner[derived]) & ~_any(len(left), owner[near & ~derived])
    return close, named


def _digits(address: object) -> str:
    return "".join(ch for ch in str(address).partition("@")[0] if ch.isdigit())


#: words that name a program or branch of an organisation, not another organisation ("Bethel
#: New Life" and "Bethel New Life School"; "C.Y.C. Roseland Head Start")
PROGRAM_WORDS = {"school", "head", "start", "program", "programs", "preschool", "daycare", "branch",
                 "campus", "office", "annex", "site", "main", "the", "of", "at", "&", "for"}  # fmt: skip


def firm_overlap(a: str, b: str, **_: object) -> float:
    """100 when one organisation's name is wholly in the other's, its program and branch words
    (:data:`PROGRAM_WORDS`) aside and an acronym standing for the words it abbreviates ("cyc"
    for "chicago youth center"), with at least two words to go on; else 0. "Ritz-Carlton Cafe"
    and "Ritz-Carlton Restaurant" are two: each has a word the other lacks."""
    words_a, words_b = a.split(), b.split()
    for mine, other in ((words_a, words_b), (words_b, words_a)):
        wanted = {w for w in mine if w not in PROGRAM_WORDS}
        found = set(other) | _acronyms_of(other)
        if len(wanted) >= 2 and wanted <= found:
            return 100.0
    return 0.0


def _acronyms_of(words: list[str]) -> set[str]:
    """The initials of every run of two to six consecutive words ("chicago youth center": cy,
    cyc, yc)."""
    return {
        "".join(w[0] for w in words[i:j])
        for i in range(len(words))
        for j in range(i + 2, min(len(words), i + 6) + 1)
    }


def _bears(surname: str | None, firm: str) -> bool:
    """A business named by its words (Properties, LLC, Realty...) after this surname."""
    words = firm.split()
    return bool(surname) and surname in words and not BUSINESS_WORDS.isdisjoint(words)


def _word(words: np.ndarray, code: int) -> str | None:
    return str(words[code]) if code >= 0 else None


def _any(size: int, rows: np.ndarray) -> np.ndarray:
    out = np.zeros(size, dtype=bool)
    out[rows] = True
    return out


def _made_of_name(user: str, first: str | None, last: str | None) -> bool:
    """A user name that spells the person's name: the surname with the given name or its
    initial (andrewsanchez, asanchez, sanchez.andrew77)."""
    if not last or len(last) < 3:
        return False
    letters = "".join(ch for ch in user if ch.isalpha())
    last = "".join(ch for ch in last.lower() if ch.isalpha())
    if last not in letters:
        return False
    rest = letters.replace(last, "", 1)
    given = "".join(ch for ch in (first or "").lower() if ch.isalpha())
    return rest == "" or (bool(given) and (rest == given or rest == given[0]))


#: pairs compared at once: more are compared in chunks of this many, on every core (each pair's
#: levels are its own, and numpy and rapidfuzz let go of the interpreter while they work)
CHUNK = 250_000


def compare_customers(pairs: pd.DataFrame, long: pd.DataFrame | Prepared) -> pd.DataFrame:
    """Levels for customer pairs. ``pairs`` has ``left, right`` (from blocking); ``long`` is
    :func:`~titanaudit.dedupe.entities.customer_values`, or :class:`Prepared` from it when
    several sets of pairs are compared against one table. Returns ``pairs`` with the columns
    ``name, phone, email, address`` (levels) and ``phone_freq, email_freq, hub_degree`` added."""
    prepared = long if isinstance(long, Prepared) else Prepared(long)
    pairs = pairs.reset_index(drop=True)
    if len(pairs) <= CHUNK:
        return _compare(pairs, prepared)
    chunks = [pairs.iloc[start : start + CHUNK] for start in range(0, len(pairs), CHUNK)]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        parts = list(pool.map(lambda chunk: _compare(chunk, prepared), chunks))
    return pd.concat(parts, ignore_index=True)


def _compare(pairs: pd.DataFrame, prepared: Prepared) -> pd.DataFrame:
    out = pairs.reset_index(drop=True).copy()
    left = prepared.dense(out["left"].to_numpy())
    right = prepared.dense(out["right"].to_numpy())
    out["name"] = _name_levels(prepared, left, right)
    for field in ("phone", "email"):
        if field in prepared.sets:
            both, shared, freq = prepared.sets[field].shared(left, right)
        else:
            both = shared = np.zeros(len(out), dtype=bool)
            freq = np.zeros(len(out), dtype="int64")
        out[field] = _levels(both, shared, CONTACTS[field])
        out[f"{field}_freq"] = freq
    close, only_the_name = _close_emails(prepared, left, right)
    near = (out["email"] == EMAIL["different"]).to_numpy() & close
    out["email"] = np.where(near, EMAIL["near"], out["email"]).astype("int8")
    out["address"] = _address_levels(prepared, left, right)
    out["hub_degree"] = np.maximum(prepared.hub[left], prepared.hub[right]).astype("int32")
    # rarity of what two records agree on: the whole name, else the surname (the commoner side)
    same_name = (out["name"] == NAME["same"]).to_numpy()
    out["name_rarity"] = np.where(
        same_name,
        np.minimum(prepared.name_rarity[left], prepared.name_rarity[right]),
        np.minimum(prepared.last_rarity[left], prepared.last_rarity[right]),
    ).astype("float32")

    out["email_named"] = only_the_name & near
    return out
