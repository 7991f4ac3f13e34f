"""Addresses, parsed once: streets, units, cities, states and ZIPs into comparable keys.

:func:`address_frame` reads the parts of an address as typed, each distinct value once: the
plain "1420 W Elm St" shape without usaddress (:func:`street_frame`), the rest through
:func:`parse_street` (usaddress). "Street"/"St", "West"/"W" and "First"/"1st" give one key; a
whole address typed into the street line gives its city, state and ZIP.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable
from typing import Any

import pandas as pd
import pyarrow.compute as pc
import usaddress
from scourgify import address_constants as USPS

from titanaudit.fields.text import arrow_text, ascii_fold, per_distinct

__all__ = [
    "DIRECTIONS",
    "STREET_COLUMNS",
    "SUFFIXES",
    "address_frame",
    "parse_street",
    "street_frame",
]

#: USPS street suffixes (Publication 28, appendix C1, as usaddress-scourgify keeps them), lower
#: case: every written form to its standard abbreviation (avenue, av, aven: ave)
SUFFIXES = {k.lower(): v.lower() for k, v in USPS.STREET_TYPE_ABBREVIATIONS.items()}
#: directionals, written out or abbreviated, to their USPS abbreviation (north, n: n)
DIRECTIONS = {k.lower(): v.lower() for k, v in USPS.DIRECTIONAL_REPLACEMENTS.items()} | {
    v.lower(): v.lower() for v in USPS.DIRECTIONAL_REPLACEMENTS.values()
}
ORDINALS = {
    "first": "1st",
    "second": "2nd",
    "third": "3rd",
    "fourth": "4th",
    "fifth": "5th",
    "sixth": "6th",
    "seventh": "7th",
    "eighth": "8th",
    "ninth": "9th",
    "tenth": "10th",
}
UNIT_WORDS = re.compile(
    r"^(apt|apartment|unit|ste|suite|#|no|num|number|bldg|building|fl|floor|rm|room|"
    r"lot|spc|space|trlr|trailer|dept)\b\.?\s*#?\s*"
)
UNIT_ANYWHERE = re.compile(
    r"#|\b(?:apt|apartment|unit|ste|suite|bldg|building|fl|floor|rm|room|lot|spc|space|trlr|trailer|box)\b"
)
PO_BOX = re.compile(
    r"\b(?:p\.?\s*o\.?\s*box|post office box|pmb|rural route|rr \d+ box|box \d+)\b", re.I
)
#: DIRECTIONS_NOTE and everything after it, in RE2 (no look-ahead) for Arrow's kernels.
DIRECTIONS_NOTE_TAIL = (
    r"\s+(?:between|btwn|off|near|across from|corner of|at the)\s+.*$"
    r"|\s+at\s+(?:\d|\w+ (?:st|ave|rd|blvd)\b).*$"
)
DIRECTIONS_NOTE = re.compile(
    r"\s+(?:between|btwn|off|near|across from|corner of|at the)\s+|\s+at\s+(?=\d|\w+ (?:st|ave|rd|blvd)\b)"
)
LEADING_NUMBER = re.compile(r"^\s*(\d+[a-z]?(?:-\d+)?)\b\s*(.*)$")


def _unit(text: Any) -> str | None:
    if not isinstance(text, str):
        return None
    cleaned = UNIT_WORDS.sub("", ascii_fold(text).lower().strip()).replace("#", "").strip(" .,-")
    return cleaned.replace(" ", "") or None


def _street_words(words: list[str]) -> list[str]:
    out = [
        DIRECTIONS.get(w, w) if i == 0 or i == len(words) - 1 else w for i, w in enumerate(words)
    ]
    if len(out) > 1 and out[-1] in SUFFIXES:
        out[-1] = SUFFIXES[out[-1]]
    elif len(out) > 2 and out[-2] in SUFFIXES and out[-1] in DIRECTIONS.values():
        out[-2] = SUFFIXES[out[-2]]
    return [ORDINALS.get(w, w) for w in out]


def parse_street(value: Any) -> dict[str, Any]:
    """The reference reading of one street line as typed (usaddress): :data:`STREET_COLUMNS`."""
    empty = {"house_number": None, "street_name": None, "street_unit": None, "is_po_box": False}
    if not isinstance(value, str) or not value.strip():
        return empty
    text = re.sub(r"[^\w#\s/-]", " ", ascii_fold(value).lower())
    text = " ".join(text.split())
    text = DIRECTIONS_NOTE.split(text)[0]  # "102 5th ave between 15th and 16th sts" → "102 5th ave"
    if PO_BOX.search(text):
        return {**empty, "is_po_box": True}
    quick = _plain_street(text)
    if quick is not None:
        return {**empty, "house_number": quick[0], "street_name": quick[1]}
    number, rest, unit = None, text, None
    try:
        tagged, _kind = usaddress.tag(text)
        number = tagged.get("AddressNumber")
        parts = [
            tagged.get(k)
            for k in (
                "StreetNamePreDirectional",
                "StreetNamePreType",
                "StreetName",
                "StreetNamePostType",
                "StreetNamePostDirectional",
            )
        ]
        rest = " ".join(p for p in parts if p)
        occupancy = tagged.get("OccupancyIdentifier")
        unit = _unit(occupancy) if occupancy else None
    except usaddress.RepeatedLabelError:
        match = LEADING_NUMBER.match(text)
        if match:
            number, rest = match.group(1), match.group(2)
    if number is None and not rest and not unit and re.fullmatch(r"[a-z][a-z ]*[a-z]", text):
        # a street typed without its number ("baracchi crescent") that usaddress reads as a
        # building or a landmark: the words are still the street to compare
        rest = text
    words = _street_words(rest.split()) if rest else []
    return {
        "house_number": number,
        "street_name": " ".join(words) or None,
        "street_unit": unit,
        "is_po_box": False,
    }


STREET_COLUMNS = ["house_number", "street_name", "street_unit", "is_po_box"]


def street_frame(street: pd.Series) -> pd.DataFrame:
    """:func:`parse_street` over a Series, with the everyday shape ("1420 W Elm St") handled
    in bulk: the text cleaned with vectorised string operations, and each distinct street name
    (far fewer than addresses: one Elm St, many house numbers) standardised once."""
    text = street.astype("object").where(street.notna(), None)
    if not text.notna().any():
        return pd.DataFrame(
            {"house_number": None, "street_name": None, "street_unit": None, "is_po_box": False},
            index=street.index,
        )
    # the text cleaned by Arrow's string kernels (RE2), a column at a time
    arrow = arrow_text(street)
    clean = pc.utf8_lower(
        pc.replace_substring_regex(pc.utf8_normalize(arrow, "NFKD"), r"[^\x00-\x7f]", "")
    )
    clean = pc.replace_substring_regex(clean, r"[^\w#\s/-]", " ")
    clean = pc.utf8_trim_whitespace(pc.replace_substring_regex(clean, r"\s+", " "))
    clean = pc.replace_substring_regex(clean, DIRECTIONS_NOTE_TAIL, "")
    found = pc.extract_regex(clean, r"^(?P<number>\d+) (?P<rest>[a-z0-9]+(?: [a-z0-9]+)+)$")
    odd = pc.or_kleene(
        pc.match_substring_regex(clean, UNIT_ANYWHERE.pattern),
        pc.match_substring_regex(clean, PO_BOX.pattern),
    )
    plain = found.is_valid().to_numpy(zero_copy_only=False) & ~pc.fill_null(odd, True).to_numpy(
        zero_copy_only=False
    )
    parts = pd.DataFrame(
        {
            0: found.field("number").to_numpy(zero_copy_only=False),
            1: found.field("rest").to_numpy(zero_copy_only=False),
        },
        index=street.index,
    )
    rests = parts.loc[plain, 1]
    named = {rest: _plain_rest(rest) for rest in pd.unique(rests.to_numpy())}
    name = rests.map(named)
    plain[plain] = name.notna().to_numpy()
    frame = per_distinct(street[~plain], parse_street, STREET_COLUMNS)
    if plain.any():
        fast = pd.DataFrame(
            {
                "house_number": parts.loc[plain, 0],
                "street_name": name[name.notna()],
                "street_unit": None,
                "is_po_box": False,
            }
        )
        frame = pd.concat([frame, fast]).reindex(street.index)
    words = frame[STREET_COLUMNS[:3]].astype(object)
    return words.where(words.notna(), None).assign(is_po_box=frame["is_po_box"].astype(bool))


def _plain_rest(rest: str) -> str | None:
    """The standard street name of the words after the house number, if they are the everyday
    shape (see :func:`_plain_street`), else None."""
    plain = _plain_street(f"0 {rest}")
    return plain[1] if plain else None


def _plain_street(text: str) -> tuple[str, str] | None:
    """The everyday shape, "1420 w elm st" or "77 sunset blvd nw", without usaddress (which
    takes 60 µs a call); anything else (units, boxes, no suffix) goes to usaddress."""
    words = text.split()
    if len(words) < 3 or not words[0].isdigit() or UNIT_ANYWHERE.search(text):
        return None
    tail = words[-1]
    suffix_at = len(words) - 2 if tail in DIRECTIONS and words[-2] in SUFFIXES else len(words) - 1
    if words[suffix_at] not in SUFFIXES or suffix_at < 2 or not all(w.isalnum() for w in words[1:]):
        return None
    return words[0], " ".join(_street_words(words[1:]))


def _zip5(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, int | float):  # a spreadsheet made it a number: 2134.0 was 02134
        return f"{int(value):05d}" if 0 < value < 100_000 else None
    digits = re.sub(r"\D", "", str(value))
    if len(digits) == 4:  # a 4-digit postcode (Australia, much of Europe), or a US ZIP typed short:
        return digits  # either way it is what the records share, and only matching uses it here
    return digits[:5] if len(digits) in (5, 9) else None


def _city(value: Any) -> str | None:
    """Lower case, dots dropped, and a trailing "city" too: New York City is New York."""
    text = _lower(value)
    return text.removesuffix(" city") if text and text != "city" else text


def _lower(value: Any) -> str | None:
    return (
        " ".join(ascii_fold(value).lower().replace(".", " ").split()) or None
        if isinstance(value, str)
        else None
    )


def address_frame(
    street: pd.Series,
    unit: pd.Series | None = None,
    city: pd.Series | None = None,
    state: pd.Series | None = None,
    zip_code: pd.Series | None = None,
) -> pd.DataFrame:
    """Columns: ``house_number``, ``street_name`` (USPS abbreviations: "west elm street" →
    "w elm st"), ``unit`` (designator dropped: "Apt 4B" → "4b"; from the unit field, else typed
    into the street), ``city``, ``state`` (lower case), ``zip5``, ``is_po_box``, ``area`` (the
    ZIP, or the city where there is none), ``street_key``
    ("zip5|number|street name", the city standing in for a missing ZIP; missing unless all three
    are known) and ``address_key`` (``street_key`` plus the unit)."""
    parsed = street_frame(street)
    frame = pd.DataFrame(index=street.index)
    frame["house_number"] = parsed["house_number"]
    frame["street_name"] = parsed["street_name"]
    units = _mapped(unit, _unit, street.index)
    frame["unit"] = units.where(units.notna(), parsed["street_unit"])
    frame["city"] = _mapped(city, _city, street.index)
    frame["state"] = _mapped(state, _lower, street.index)
    frame["zip5"] = _mapped(zip_code, _zip5, street.index)
    _place_from_street(frame, street)
    frame["is_po_box"] = parsed["is_po_box"].astype(bool)
    text = (
        frame.drop(columns="is_po_box")
        .astype("object")
        .where(frame.drop(columns="is_po_box").notna(), None)
    )
    place = text["zip5"].where(text["zip5"].notna(), text["city"])  # no ZIP: the city stands in
    known = place.notna() & text["house_number"].notna() & text["street_name"].notna()
    key = (
        place.fillna("")
        + "|"
        + text["house_number"].fillna("")
        + "|"
        + text["street_name"].fillna("")
    )
    frame["area"] = place.astype("object")
    # the street's first letters, its direction aside: a block for a street mistyped further on
    # ("langdon ave", "langdoneavenue") in a mistyped town
    start = text["street_name"].str.replace(r"^(?:[nsew]|ne|nw|se|sw) ", "", regex=True)
    frame["street_start"] = start.str.replace(" ", "", regex=False).str[:3].astype("object")
    frame["street_key"] = key.where(known, None).astype("object")
    frame["address_key"] = (key + "|" + text["unit"].fillna("")).where(known, None).astype("object")
    return frame


#: "..., Tampa, FL 33601-1234" at the end of a street typed as a whole address
_PLACE = (
    r"(?:,\s*(?P<city>[^,]+?))?,?\s+(?P<state>[A-Za-z]{2})\.?,?\s+(?P<zip>\d{5})(?:-\d{4})?\s*$"
)


def _place_from_street(frame: pd.DataFrame, street: pd.Series) -> None:
    """Where the ZIP is missing and the street holds a whole address ("12 Elm St, Tampa, FL
    33601", one column in many lists), take the ZIP, the state and (after a comma) the city from
    it."""
    missing = frame["zip5"].isna().to_numpy() & street.notna().to_numpy()
    if not missing.any():
        return
    found = street[missing].astype(str).str.extract(_PLACE)
    hit = found["zip"].notna()
    if not hit.any():
        return
    rows = found.index[hit]
    frame.loc[rows, "zip5"] = found.loc[rows, "zip"]
    for column, values in (
        ("state", found.loc[rows, "state"].str.lower()),
        ("city", found.loc[rows, "city"].map(_city, na_action="ignore")),
    ):
        empty = frame.loc[rows, column].isna()
        frame.loc[rows[empty.to_numpy()], column] = values[empty.to_numpy()].to_numpy()


def _mapped(
    values: pd.Series | None, parse: Callable[[Any], Hashable | None], index: pd.Index
) -> pd.Series:
    if values is None:
        return pd.Series(None, index=index, dtype="object")
    return per_distinct(values, lambda v: {"v": parse(v)}, ["v"])["v"]
