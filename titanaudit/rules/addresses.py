"""Address rules (catalogue §4.2): PO boxes as service addresses, ZIPs that do not exist or
belong to another state or city, incomplete streets, units missing where the building has them,
addresses outside the service area, and the customers' billing addresses.

The addresses come parsed by :func:`~titanaudit.rules.parsing.parse_addresses` (the matching
engine's normaliser, each distinct street once; ZIPs in the ``zipcodes`` package's index).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from titanaudit.rules.base import Context, Rule, findings, nothing
from titanaudit.rules.parsing import MULTI_STATE_ZIPS, PLACEHOLDER_STREETS, city_key, zip_index

__all__ = ["ADDRESS_RULES"]


def _located(ctx: Context) -> pd.DataFrame:
    return ctx.addresses


def _po_box(ctx: Context) -> pd.DataFrame:
    a = _located(ctx)
    hit = a[a["is_po_box"].astype(bool)]
    return findings(
        hit["id"],
        "A PO Box is not a place a technician can go: enter the street "
        "address of the service location, and keep the box as the billing address.",
        hit["street"],
    )


def _no_zip(ctx: Context) -> pd.DataFrame:
    a = _located(ctx)
    hit = a[~a["known_zip"] & ~a["canadian"]]
    typed = hit["zip"].astype("string").fillna("")
    message = np.where(
        typed.str.strip() == "",
        "The ZIP is missing: add the 5-digit ZIP.",
        "ZIP " + typed + " does not exist: check the 5-digit ZIP.",
    )
    return findings(hit["id"], pd.Series(message), hit["zip"])


def _state_mismatch(ctx: Context) -> pd.DataFrame:
    a = _located(ctx)
    state = a["state"].astype("string").str.strip().str.upper()
    hit = a[a["known_zip"] & state.notna() & (state != a["zip_state"])]
    severity = np.where(hit["zip5"].isin(MULTI_STATE_ZIPS), "medium", "high")
    message = (
        "ZIP "
        + hit["zip5"]
        + " is in "
        + hit["zip_state"]
        + ", not "
        + hit["state"].astype(str)
        + ": correct the state or the ZIP."
    )
    return findings(
        hit["id"], message, hit["state"], fix=hit["zip_state"], severity=pd.Series(severity)
    )


def _box_zip(ctx: Context) -> pd.DataFrame:
    a = _located(ctx)
    hit = a[a["zip_type"].isin(["PO BOX", "UNIQUE"]) & ~a["is_po_box"].astype(bool)]
    kind = np.where(hit["zip_type"] == "PO BOX", "PO boxes only", "a single organisation")
    message = (
        "ZIP "
        + hit["zip5"].astype(str)
        + " serves "
        + pd.Series(kind, index=hit.index, dtype=str)
        + ": a street address is not there; check the ZIP."
    )
    return findings(hit["id"], message, hit["zip"])


def _city_mismatch(ctx: Context) -> pd.DataFrame:
    a = _located(ctx)
    a = a[a["known_zip"] & a["city"].notna()]
    if a.empty:
        return nothing()
    # each distinct (ZIP, city) judged once: a tenant has thousands, not millions
    pairs = a[["zip5", "city"]].astype(str).drop_duplicates()
    keys = pairs["city"].map(city_key)
    accepted = zip_index()["cities"].reindex(pairs["zip5"].to_numpy()).to_numpy()
    ok = np.fromiter(
        (k in c for k, c in zip(keys, accepted, strict=True)), dtype=bool, count=len(pairs)
    )
    wrong = pd.MultiIndex.from_frame(pairs[~ok & (keys != "")])
    hit = a[pd.MultiIndex.from_frame(a[["zip5", "city"]].astype(str)).isin(wrong)]
    names = zip_index()["city"].reindex(hit["zip5"].to_numpy()).to_numpy()
    message = (
        "ZIP "
        + hit["zip5"]
        + " is "
        + pd.Series(names, index=hit.index)
        + ", not "
        + hit["city"].astype(str)
        + ": correct the city or the ZIP."
    )
    return findings(hit["id"], message, hit["city"], fix=pd.Series(names))


def _inactive_zip(ctx: Context) -> pd.DataFrame:
    a = _located(ctx)
    hit = a[a["known_zip"] & (a["zip_active"] == False)]  # noqa: E712 - object column
    return findings(
        hit["id"],
        "ZIP " + hit["zip5"] + " is no longer in use: look up the current ZIP of the address.",
        hit["zip"],
    )


def _bad_street(a: pd.DataFrame) -> pd.Series:
    """Streets a technician cannot find: empty, a placeholder, or without a house number."""
    street = a["street"].astype("string").str.strip().str.lower().fillna("")
    empty = street == ""
    placeholder = street.isin(PLACEHOLDER_STREETS)
    boxed = a["is_po_box"].astype(bool)
    no_number = a["parsed_house_number"].isna() & ~boxed
    reason = np.select(
        [empty, placeholder, no_number],
        ["the street is empty", "the street is a placeholder", "the street has no house number"],
        default="",
    )
    return pd.Series(reason, index=a.index)


def _incomplete_street(ctx: Context) -> pd.DataFrame:
    a = _located(ctx)
    reason = _bad_street(a)
    hit = a[reason != ""]
    return findings(
        hit["id"],
        "Incomplete address: " + reason[reason != ""] + "; enter the house number and street.",
        hit["street"],
    )


def _unit_missing(ctx: Context) -> pd.DataFrame:
    a = _located(ctx)
    keyed = a[a["parsed_street_key"].notna()]
    has_unit = keyed["unit"].astype("string").str.strip().fillna("") != ""
    with_units = keyed.loc[has_unit, "parsed_street_key"].value_counts()
    siblings = keyed["parsed_street_key"].map(with_units).fillna(0)
    hit = keyed[~has_unit & (siblings >= 1)]
    count = siblings[hit.index].astype(int).astype(str)
    return findings(
        hit["id"],
        "No unit, but " + count + " other location(s) at this street "
        "address have one: add the apartment or suite.",
        hit["street"],
    )


def _outside_area(ctx: Context) -> pd.DataFrame:
    s = ctx.settings
    if not s.service_states and not s.service_zips:
        return nothing()
    a = _located(ctx)
    state = a["state"].astype("string").str.strip().str.upper()
    inside = pd.Series(False, index=a.index)
    if s.service_states:
        inside |= state.isin(s.service_states).fillna(False).astype(bool)
    if s.service_zips:
        inside |= a["zip5"].isin(s.service_zips)
    hit = a[~inside & a["zip5"].notna()]
    return findings(
        hit["id"],
        "Outside the service area ("
        + hit["state"].astype(str)
        + " "
        + hit["zip5"].astype(str)
        + "): check the address or the customer.",
        hit["zip"],
    )


def _billing(ctx: Context) -> pd.DataFrame:
    if "street" not in ctx.customers:
        return nothing()
    a = ctx.billing
    reason = _bad_street(a).where(~a["is_po_box"].astype(bool), "")  # a box is fine for bills
    reason = reason.where(
        a["known_zip"] | a["canadian"] | (reason != ""), "the ZIP is missing or does not exist"
    )
    hit = a[reason != ""]
    return findings(
        hit["id"],
        "Billing address: "
        + reason[reason != ""]
        + "; invoices and statements need a full address.",
        hit["street"].astype("string").fillna("") + " " + hit["zip"].astype("string").fillna(""),
    )


ADDRESS_RULES: tuple[Rule, ...] = (
    Rule("ADR-LOC-001", "locations", "high", "PO Box as a service location", _po_box),
    Rule("ADR-LOC-002", "locations", "high", "ZIP does not exist", _no_zip),
    Rule("ADR-LOC-003", "locations", "high", "ZIP and state disagree", _state_mismatch),
    Rule(
        "ADR-LOC-004", "locations", "medium", "ZIP for PO boxes or one organisation only", _box_zip
    ),
    Rule("ADR-LOC-005", "locations", "low", "ZIP and city disagree", _city_mismatch),
    Rule("ADR-LOC-006", "locations", "low", "ZIP no longer in use", _inactive_zip),
    Rule("ADR-LOC-007", "locations", "medium", "Incomplete street", _incomplete_street),
    Rule(
        "ADR-LOC-008",
        "locations",
        "low",
        "Unit missing where the building has units",
        _unit_missing,
    ),
    Rule("ADR-LOC-009", "locations", "medium", "Outside the service area", _outside_area),
    Rule("ADR-CUS-001", "customers", "medium", "Billing address missing or incomplete", _billing),
)
