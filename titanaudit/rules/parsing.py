"""What the rules see, parsed once per distinct value: phones and e-mails, names, addresses.

The rules' :class:`~titanaudit.rules.base.Context` builds these views once per run and every rule
reads them. Phones and e-mails are parsed by :mod:`titanaudit.fields`, names and streets by the
matching engine's normaliser (:mod:`titanaudit.fields`): matching and rules read one
parse of each value, so they agree on it.

**Contacts.** :func:`parse_contacts` adds to a contacts frame (``type, value``):

``kind``          ``phone`` or ``email`` (from the contact type; a type not known to us by
                  whether the value holds an @);
``phone_fault``   why a phone cannot be dialled (:mod:`titanaudit.fields.phones`): ``length``,
                  ``placeholder``, ``fictional``, ``invalid``, ``several``, ``foreign``; empty
                  for a usable number;
``phone_digits``  the ten digits of a US number (missing otherwise);
``toll_free``     an 8XX or 900 number (it cannot receive texts);
``email_fault``   ``syntax`` (email-validator refuses it, offline), ``placeholder``
                  (noemail@none.com), ``typo`` (gmial.com); empty for a usable address;
``email_clean``   lower case, trimmed, ``mailto:`` and the punctuation or quotes around it
                  removed (:mod:`titanaudit.fields.emails`);
``usable``        a phone or e-mail that can reach someone (no fault, not the office's own).

**Names.** :func:`name_features`: the normaliser's reading of each customer's name.

**Addresses.** :func:`parse_addresses`: streets parsed by the normaliser
(:func:`~titanaudit.fields.addresses.address_frame`), ZIPs looked up in the ``zipcodes``
package's index (:func:`zip_index`, built once per run).
"""

from __future__ import annotations

import functools
import re

import numpy as np
import pandas as pd
import pyarrow.compute as pc
import zipcodes
from rapidfuzz import distance, process

from titanaudit.fields import (
    arrow_text,
    email_frame,
    phone_digits,
    phone_frame,
)
from titanaudit.fields.addresses import address_frame
from titanaudit.fields.names import name_frame
from titanaudit.rules.settings import RuleSettings

__all__ = [
    "CONSUMER_DOMAINS",
    "MULTI_STATE_ZIPS",
    "PLACEHOLDER_STREETS",
    "ROLE_LOCALS",
    "city_key",
    "name_features",
    "parse_addresses",
    "parse_contacts",
    "zip_index",
]

TOLL_FREE = frozenset({"800", "833", "844", "855", "866", "877", "888", "900"})
CONSUMER_DOMAINS = ("gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "aol.com",
                    "icloud.com", "comcast.net", "msn.com", "live.com", "att.net", "verizon.net",
                    "sbcglobal.net", "me.com", "ymail.com", "protonmail.com", "cox.net",
                    "charter.net", "bellsouth.net", "earthlink.net", "mac.com")  # fmt: skip
PHONE_TYPES = ("Phone", "MobilePhone", "Fax")
ROLE_LOCALS = frozenset({"info", "office", "admin", "billing", "sales", "contact", "support",
                         "accounts", "accounting", "service", "hello", "team", "frontdesk",
                         "reception", "ap", "invoices", "manager"})  # fmt: skip


def _domain_typos(domains: pd.Series) -> pd.Series:
    """For each domain, the consumer domain it is a slip of (gmial.com: gmail.com), or None."""
    distinct = pd.unique(domains.dropna())
    slips: dict[str, str] = {}
    candidates = [d for d in distinct if d not in CONSUMER_DOMAINS]
    if candidates:
        scores = process.cdist(
            candidates, CONSUMER_DOMAINS, scorer=distance.OSA.distance, score_cutoff=2, workers=-1
        )
        for domain, row in zip(candidates, scores, strict=True):
            best = int(np.argmin(row))
            if row[best] <= (1 if len(domain) < 8 else 2):
                slips[domain] = CONSUMER_DOMAINS[best]
    return domains.map(slips)


def parse_contacts(contacts: pd.DataFrame, settings: RuleSettings) -> pd.DataFrame:
    """``contacts`` with the columns of the module docstring."""
    out = contacts.copy()
    # a type ServiceTitan may add later (or a "Pager") is judged by what the value holds
    at_sign = out["value"].astype("string").str.contains("@", regex=False).fillna(False)
    email = (out["type"] == "Email") | (~out["type"].isin(PHONE_TYPES) & at_sign)
    kind = np.where(email, "email", "phone")
    out["kind"] = kind
    phones, emails = out["kind"] == "phone", out["kind"] == "email"
    phone = phone_frame(out.loc[phones, "value"])
    out["phone_fault"] = phone["phone_fault"].reindex(out.index)
    out["phone_digits"] = phone["phone_digits"].reindex(out.index)
    area = out["phone_digits"].astype("string").str.slice(0, 3)
    out["toll_free"] = area.isin(TOLL_FREE).fillna(False).astype(bool)
    address = email_frame(out.loc[emails, "value"])
    fault, clean = address["email_fault"], address["email_clean"]
    typo = _domain_typos(address["email_domain"].where(fault == ""))
    fault = fault.where(typo.isna(), "typo")
    out["email_fault"], out["email_clean"] = fault.reindex(out.index), clean.reindex(out.index)
    out["email_typo_of"] = typo.reindex(out.index)
    office = {d for d in (phone_digits(p) for p in settings.tenant_phones) if d}
    out["office_phone"] = out["phone_digits"].isin(office) & phones
    usable_phone = phones & (out["phone_fault"] == "") & ~out["office_phone"]
    usable_email = emails & out["email_fault"].isin(["", "typo"])
    out["usable"] = usable_phone | usable_email
    return out


def name_features(customers: pd.DataFrame) -> pd.DataFrame:
    """``customers`` with the normaliser's ``name_norm, first, last, is_business,
    is_household, name_placeholder``."""
    features = name_frame(customers["name"].astype(object)).reset_index(drop=True)
    columns = ["name_norm", "first", "last", "is_business", "is_household", "name_placeholder"]
    return pd.concat([customers.reset_index(drop=True), features[columns]], axis=1)


#: ZIP areas that cross state lines (US Census ZCTAs): a state that differs from the index is
#: then only probably wrong.
MULTI_STATE_ZIPS = frozenset({"02861", "42223", "59221", "63673", "71749", "73949", "81137", "84536",
                              "86044", "86515", "88063", "89439", "97635"})  # fmt: skip
CANADA = ("CA", "CAN", "CANADA")
CANADIAN_POSTAL = r"[A-Za-z]\d[A-Za-z][ -]?\d[A-Za-z]\d"
PLACEHOLDER_STREETS = frozenset(
    {
        "tbd",
        "unknown",
        "n/a",
        "na",
        "none",
        "no address",
        "same",
        "xxx",
        "x",
        "?",
        "-",
        ".",
        "address",
        "street",
    }
)


@functools.cache
def zip_index() -> pd.DataFrame:
    """Every ZIP of the ``zipcodes`` package, indexed by the 5-digit code: ``state, type,
    active, city, cities`` (the accepted city names, normalised) and ``lat, lon`` (missing where
    the package has 0)."""
    rows = zipcodes.list_all()  # type: ignore[no-untyped-call]
    frame = pd.DataFrame(
        {
            "zip": [z["zip_code"] for z in rows],
            "state": [z["state"] for z in rows],
            "type": [z["zip_code_type"] for z in rows],
            "active": [bool(z["active"]) for z in rows],
            "city": [z["city"] for z in rows],
            "cities": [
                frozenset(city_key(c) for c in [z["city"], *z["acceptable_cities"]]) for z in rows
            ],
            "lat": pd.to_numeric([z["lat"] for z in rows], errors="coerce"),
            "lon": pd.to_numeric([z["long"] for z in rows], errors="coerce"),
        }
    ).set_index("zip")
    frame.loc[(frame["lat"] == 0) | (frame["lon"] == 0), ["lat", "lon"]] = np.nan
    return frame


def city_key(city: object) -> str:
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


PARSED_COLUMNS = [
    "parsed_house_number",
    "parsed_street_name",
    "is_po_box",
    "parsed_street_key",
    "zip5",
    "canadian",
    "known_zip",
    "zip_state",
    "zip_type",
    "zip_active",
    "zip_cities",
    "zip_lat",
    "zip_lon",
]


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
    five = pc.if_else(
        pc.fill_null(pc.match_substring_regex(zips, r"^\s*\d{5}(?:[\s-]*\d{4})?\s*$"), False),
        pc.utf8_slice_codeunits(pc.utf8_trim_whitespace(zips), 0, 5),
        zips,
    )
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
    out = pd.DataFrame(
        {
            "parsed_house_number": parsed["house_number"].to_numpy(),
            "parsed_street_name": parsed["street_name"].to_numpy(),
            "is_po_box": parsed["is_po_box"].to_numpy(dtype=bool),
            "parsed_street_key": parsed["street_key"].to_numpy(),
            "zip5": _zip5(places["zip"]).to_numpy(),
        }
    )
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
