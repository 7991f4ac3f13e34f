"""Address rules (catalogue §4.2): PO boxes as service addresses, ZIPs that do not exist or
belong to another state or city, incomplete streets, units missing where the building has them,
addresses outside the service area, and the customers' billing addresses.

Streets are parsed by the matching engine's normaliser (:func:`~titanaudit.dedupe.normalize.
address_frame`: one normaliser, each distinct street parsed once); ZIPs are looked up in the
``zipcodes`` package's index, built once per run.
"""

from __future__ import annotations

import functools
import re

import numpy as np
import pandas as pd
import pyarrow.compute as pc
import zipcodes

from titanaudit.dedupe.normalize import address_frame, arrow_text
from titanaudit.rules.base import Context, Rule, findings, nothing

__all__ = ["ADDRESS_RULES", "parse_addresses", "zip_index"]

#: ZIP areas that cross state lines (US Census ZCTAs): a state that differs from the index is
#: then only probably wrong.
MULTI_STATE_ZIPS = frozenset({"02861", "42223", "59221", "63673", "71749", "73949", "81137", "84536",
                              "86044", "86515", "88063", "89439", "97635"})  # fmt: skip
CANADA = ("CA", "CAN", "CANADA")
CANADIAN_POSTAL = r"[A-Za-z]\d[A-Za-z][ -]?\d[A-Za-z]\d"
PLACEHOLDER_STREETS = frozenset({"tbd", "unknown", "n/a", "na", "none", "no address", "same",
                                 "xxx", "x", "?", "-", ".", "address", "street"})  # fmt: skip


@functools.cache
def zip_index() -> pd.DataFrame:
    """Every ZIP of the ``zipcodes`` package, indexed by the 5-digit code: ``state, type,
    active, city, cities`` (the accepted city names, normalised) and ``lat, lon`` (missing where
    the package has 0)."""
    rows = zipcodes.list_all()  # type: ignore[no-untyped-call]
    frame = pd.DataFrame({
        "zip": [z["zip_code"] for z in rows], "state": [z["state"] for z in rows],
        "type": [z["zip_code_type"] for z in rows], "active": [bool(z["active"]) for z in rows],
        "city": [z["city"] for z in rows],
        "cities": [frozenset(_city_key(c) for c in [z["city"], *z["acceptable_cities"]]) for z in rows],
        "lat": pd.to_numeric([z["lat"] for z in rows], errors="coerce"),
        "lon": pd.to_numeric([z["long"] for z in rows], errors="coerce"),
    }).set_index("zip")  # fmt: skip
    frame.loc[(frame["lat"] == 0) | (frame["lon"] == 0), ["lat", "lon"]] = np.nan
    return frame


def _city_key(city: object) -> str:
    """Compare city names without case, dots or the Saint/St and Mount/Mt spellings."""
    if not isinstance(city, str):
        return ""
    words = re.sub(r"[^a-z0-9 ]", " ", city.lower()).split()
    spelled = {"st": "saint", "ste": "sainte", "mt": "mount", "ft": "fort", "pt": "point"}
    return " ".join(spelled.get(w, w) for w in words)


def _zip5(raw: pd.Series) -> pd.Series:
    """The five-digit ZIP of what was typed: 5 digits, or ZIP+4; anything else is missing."""
    text = arrow_text(raw)
    digits = pc.replace_substring_regex(pc.utf8_trim_whitespace(text), r"[\s-]", "")
    good = pc.fill_null(pc.match_substring_regex(digits, r"^\d{5}(\d{4})?$"), False)
    five = pc.if_else(good, pc.utf8_slice_codeunits(digits, 0, 5), None)
    return pd.Series(five.to_numpy(zero_copy_only=False), index=raw.index, dtype=object)


PARSED_COLUMNS = ["parsed_house_number", "parsed_street_name", "is_po_box", "parsed_street_key",
                  "zip5", "canadian", "known_zip", "zip_state", "zip_type", "zip_active",
                  "zip_cities", "zip_lat", "zip_lon"]  # fmt: skip


ADDRESS_FIELDS = ["street", "unit", "city", "state", "zip", "country"]


def parse_addresses(*frames: pd.DataFrame) -> list[pd.DataFrame]:
    """Each frame (locations, customers: ``id, street, unit, city, state, zip, country``) with
    the parsed address (``parsed_house_number, parsed_street_name, is_po_box,
    parsed_street_key``), ``zip5`` (what was typed, if it is a ZIP), ``canadian`` (a postal
    code, not a ZIP), ``known_zip`` and the ZIP index's ``zip_state, zip_type, zip_active,
    zip_cities, zip_lat, zip_lon`` (missing where the ZIP is unknown).

    Each distinct address is parsed once across all the frames: a customer's billing address
    is usually its first location's."""
    places = pd.concat([f.reindex(columns=ADDRESS_FIELDS) for f in frames], ignore_index=True)
    # one text key per row, hashed by Arrow: the six fields joined, a missing one as empty
    # the ZIP as its five digits where it has them: 80301 and 80301-4968 parse alike
    zips = arrow_text(places["zip"])
    five = pc.if_else(pc.fill_null(pc.match_substring_regex(zips, r"^\s*\d{5}(?:[\s-]*\d{4})?\s*$"), False),
                      pc.utf8_slice_codeunits(pc.utf8_trim_whitespace(zips), 0, 5), zips)  # fmt: skip
    fields = [
        pc.fill_null(five if c == "zip" else arrow_text(places[c]), "") for c in ADDRESS_FIELDS
    ]
    key = pc.binary_join_element_wise(*fields, "\x1f")
    codes = pc.dictionary_encode(key).indices.to_numpy(zero_copy_only=False)
    _, first_rows = np.unique(codes, return_index=True)  # dictionary order is first-seen order
    parsed = _parse_distinct(places.iloc[first_rows].reset_index(drop=True))
    spread = parsed.iloc[codes].reset_index(drop=True)
    out, start = [], 0
    for frame in frames:
        part = spread.iloc[start : start + len(frame)]
        start += len(frame)
        out.append(pd.concat([frame.reset_index(drop=True), part.reset_index(drop=True)], axis=1))
    return out


def _parse_distinct(places: pd.DataFrame) -> pd.DataFrame:
    if places.empty:
        return pd.DataFrame(columns=PARSED_COLUMNS).astype({"known_zip": bool, "canadian": bool})
    parsed = address_frame(*(places[c] for c in ADDRESS_FIELDS[:5]))
    out = pd.DataFrame({
        "parsed_house_number": parsed["house_number"].to_numpy(),
        "parsed_street_name": parsed["street_name"].to_numpy(),
        "is_po_box": parsed["is_po_box"].to_numpy(dtype=bool),
        "parsed_street_key": parsed["street_key"].to_numpy(),
        "zip5": _zip5(places["zip"]).to_numpy(),
    })  # fmt: skip
    # a Canadian address (a tenant near the border) has a postal code, not a ZIP: the US ZIP
    # checks do not apply to it
    country = places["country"].astype("string").str.strip().str.upper()
    postal = places["zip"].astype("string").str.strip().str.fullmatch(CANADIAN_POSTAL)
    out["canadian"] = (country.isin(CANADA) | postal).fillna(False).to_numpy(dtype=bool)
    found = zip_index().reindex(out["zip5"].to_numpy())
    out["known_zip"] = found["state"].notna().to_numpy() & ~out["canadian"].to_numpy()
    for name in ("state", "type", "active", "cities", "lat", "lon"):
        out[f"zip_{name}"] = found[name].to_numpy()
    return out


def _located(ctx: Context) -> pd.DataFrame:
    return ctx.addresses


def _po_box(ctx: Context) -> pd.DataFrame:
    a = _located(ctx)
    hit = a[a["is_po_box"].astype(bool)]
    return findings(hit["id"], "A PO Box is not a place a technician can go: enter the street "
                    "address of the service location, and keep the box as the billing address.",
                    hit["street"])  # fmt: skip


def _no_zip(ctx: Context) -> pd.DataFrame:
    a = _located(ctx)
    hit = a[~a["known_zip"] & ~a["canadian"]]
    typed = hit["zip"].astype("string").fillna("")
    message = np.where(typed.str.strip() == "", "The ZIP is missing: add the 5-digit ZIP.",
                       "ZIP " + typed + " does not exist: check the 5-digit ZIP.")  # fmt: skip
    return findings(hit["id"], pd.Series(message), hit["zip"])


def _state_mismatch(ctx: Context) -> pd.DataFrame:
    a = _located(ctx)
    state = a["state"].astype("string").str.strip().str.upper()
    hit = a[a["known_zip"] & state.notna() & (state != a["zip_state"])]
    severity = np.where(hit["zip5"].isin(MULTI_STATE_ZIPS), "medium", "high")
    message = ("ZIP " + hit["zip5"] + " is in " + hit["zip_state"] + ", not "
               + hit["state"].astype(str) + ": correct the state or the ZIP.")  # fmt: skip
    return findings(hit["id"], message, hit["state"], fix=hit["zip_state"],
                    severity=pd.Series(severity))  # fmt: skip


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
    keys = pairs["city"].map(_city_key)
    accepted = zip_index()["cities"].reindex(pairs["zip5"].to_numpy()).to_numpy()
    ok = np.fromiter((k in c for k, c in zip(keys, accepted, strict=True)), dtype=bool,
                     count=len(pairs))  # fmt: skip
    wrong = pd.MultiIndex.from_frame(pairs[~ok & (keys != "")])
    hit = a[pd.MultiIndex.from_frame(a[["zip5", "city"]].astype(str)).isin(wrong)]
    names = zip_index()["city"].reindex(hit["zip5"].to_numpy()).to_numpy()
    message = ("ZIP " + hit["zip5"] + " is " + pd.Series(names, index=hit.index) + ", not "
               + hit["city"].astype(str) + ": correct the city or the ZIP.")  # fmt: skip
    return findings(hit["id"], message, hit["city"], fix=pd.Series(names))


def _inactive_zip(ctx: Context) -> pd.DataFrame:
    a = _located(ctx)
    hit = a[a["known_zip"] & (a["zip_active"] == False)]  # noqa: E712 - object column
    return findings(hit["id"], "ZIP " + hit["zip5"] + " is no longer in use: look up the "
                    "current ZIP of the address.", hit["zip"])  # fmt: skip


def _bad_street(a: pd.DataFrame) -> pd.Series:
    """Streets a technician cannot find: empty, a placeholder, or without a house number."""
    street = a["street"].astype("string").str.strip().str.lower().fillna("")
    empty = street == ""
    placeholder = street.isin(PLACEHOLDER_STREETS)
    boxed = a["is_po_box"].astype(bool)
    no_number = a["parsed_house_number"].isna() & ~boxed
    reason = np.select([empty, placeholder, no_number],
                       ["the street is empty", "the street is a placeholder",
                        "the street has no house number"], default="")  # fmt: skip
    return pd.Series(reason, index=a.index)


def _incomplete_street(ctx: Context) -> pd.DataFrame:
    a = _located(ctx)
    reason = _bad_street(a)
    hit = a[reason != ""]
    return findings(hit["id"], "Incomplete address: " + reason[reason != ""] +
                    "; enter the house number and street.", hit["street"])  # fmt: skip


def _unit_missing(ctx: Context) -> pd.DataFrame:
    a = _located(ctx)
    keyed = a[a["parsed_street_key"].notna()]
    has_unit = keyed["unit"].astype("string").str.strip().fillna("") != ""
    with_units = keyed.loc[has_unit, "parsed_street_key"].value_counts()
    siblings = keyed["parsed_street_key"].map(with_units).fillna(0)
    hit = keyed[~has_unit & (siblings >= 1)]
    count = siblings[hit.index].astype(int).astype(str)
    return findings(hit["id"], "No unit, but " + count + " other location(s) at this street "
                    "address have one: add the apartment or suite.", hit["street"])  # fmt: skip


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
    return findings(hit["id"], "Outside the service area (" + hit["state"].astype(str) + " "
                    + hit["zip5"].astype(str) + "): check the address or the customer.",
                    hit["zip"])  # fmt: skip


def _billing(ctx: Context) -> pd.DataFrame:
    if "street" not in ctx.customers:
        return nothing()
    a = ctx.billing
    reason = _bad_street(a).where(~a["is_po_box"].astype(bool), "")  # a box is fine for bills
    reason = reason.where(a["known_zip"] | a["canadian"] | (reason != ""),
                          "the ZIP is missing or does not exist")  # fmt: skip
    hit = a[reason != ""]
    return findings(hit["id"], "Billing address: " + reason[reason != ""] +
                    "; invoices and statements need a full address.",
                    hit["street"].astype("string").fillna("") + " " +
                    hit["zip"].astype("string").fillna(""))  # fmt: skip


ADDRESS_RULES: tuple[Rule, ...] = (
    Rule("ADR-LOC-001", "locations", "high", "PO Box as a service location", _po_box),
    Rule("ADR-LOC-002", "locations", "high", "ZIP does not exist", _no_zip),
    Rule("ADR-LOC-003", "locations", "high", "ZIP and state disagree", _state_mismatch),
    Rule("ADR-LOC-004", "locations", "medium", "ZIP for PO boxes or one organisation only", _box_zip),
    Rule("ADR-LOC-005", "locations", "low", "ZIP and city disagree", _city_mismatch),
    Rule("ADR-LOC-006", "locations", "low", "ZIP no longer in use", _inactive_zip),
    Rule("ADR-LOC-007", "locations", "medium", "Incomplete street", _incomplete_street),
    Rule("ADR-LOC-008", "locations", "low", "Unit missing where the building has units", _unit_missing),
    Rule("ADR-LOC-009", "locations", "medium", "Outside the service area", _outside_area),
    Rule("ADR-CUS-001", "customers", "medium", "Billing address missing or incomplete", _billing),
)  # fmt: skip
