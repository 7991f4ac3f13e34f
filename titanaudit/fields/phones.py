"""Phones: one parse of each number as typed, for matching and for the rules.

:func:`parse_phone` reads one value; :func:`phone_frame` a column, the everyday shapes ("(303)
699-0464", "303.699.0464", "+1 303 699 0464") with Arrow's kernels at once and the rest through
:func:`parse_phone` once per distinct value. Their columns (:data:`PHONE_COLUMNS`):

``phone``              E.164 (+13036990464), the number as evidence for matching; missing when
                       it cannot be a number or is a placeholder. Extensions are dropped.
                       Whether a number is assigned is the rules' question, not matching's: a
                       number with no such area code still tells two records apart or together;
``phone_digits``       the ten digits of a North American number as typed (a leading 1 and an
                       extension dropped); missing otherwise;
``phone_fault``        why the number cannot be dialled: ``length`` (not 10 digits),
                       ``placeholder`` (000..., 555-555-5555, 123-456-7890), ``fictional``
                       (555-01XX, which libphonenumber calls valid), ``invalid`` (no such area code
                       or exchange under the North American plan), ``several`` (two numbers or
                       words in one field), ``foreign`` (another country's code); empty when
                       usable;
``phone_placeholder``  a stand-in nobody answers (``placeholder`` or ``fictional``).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any

import numpy as np
import pandas as pd
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc

from titanaudit.fields.text import arrow_text, missing_where, per_distinct

__all__ = [
    "EXTENSION",
    "PHONE_COLUMNS",
    "SEQUENTIAL",
    "fill_area_codes",
    "local_numbers",
    "parse_phone",
    "phone_digits",
    "phone_frame",
    "placeholder_phone",
]

PHONE_COLUMNS = ["phone", "phone_digits", "phone_fault", "phone_placeholder"]
EXTENSION = re.compile(r"\s*(?:ext\.?|extension|x|#)\s*\d{1,6}\s*$", re.IGNORECASE)
SEQUENTIAL = frozenset({"1234567890", "0123456789", "9876543210", "0987654321"})
#: the everyday shapes, decided over a whole column without a Python call per value
PLAIN_PHONE = (
    r"^\s*(?:\+?1[\s.-]?)?\(?(?P<area>[2-9]\d{2})\)?[\s.-]?(?P<exchange>\d{3})[\s.-]?"
    r"(?P<line>\d{4})\s*$"
)


def placeholder_phone(digits: str) -> bool:
    """A number nobody can be reached on: 000…, 111…, 123-456-7890, area code 555, 555-01XX,
    555-1212 (catalogue PHN-CON-002/003)."""
    if len(digits) != 10:
        return False
    area, exchange, line = digits[:3], digits[3:6], digits[6:]
    return (
        len(set(digits)) == 1
        or digits in SEQUENTIAL
        or area == "555"
        or (exchange == "555" and (line.startswith("01") or line == "1212"))
        or len(set(digits[3:])) == 1
    )


@functools.cache
def valid_area_codes() -> frozenset[str]:
    """North American area codes libphonenumber knows as assigned (one lookup per code)."""
    valid = set()
    for npa in range(200, 1000):
        if phonenumbers.is_valid_number(phonenumbers.parse(f"+1{npa}2345678")):
            valid.add(str(npa))
    return frozenset(valid)


def phone_digits(value: Any) -> str | None:
    """The ten digits of a US number as typed (a leading 1 and an extension dropped), else None."""
    if not isinstance(value, str):
        return None
    digits = re.sub(r"\D", "", EXTENSION.sub("", value))
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return digits if len(digits) == 10 else None


def _ascii_digits(text: str) -> str:
    """Digits of any script (Arabic-Indic, full-width) as 0-9, the rest as it is."""
    if text.isascii():
        return text
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in text)


def _verdict(value: Any) -> tuple[str, str | None]:
    """(fault, ten digits) of one phone as typed."""
    if not isinstance(value, str) or not value.strip():
        return "length", None
    text = _ascii_digits(value.strip())
    main = EXTENSION.sub("", text)
    if text.startswith("011") or (text.startswith("+") and not text.startswith("+1")):
        return "foreign", None
    if re.search(r"[a-wyz]", main, re.IGNORECASE):
        return "several", None
    digits = re.sub(r"\D", "", main)
    if len(digits) > 11:
        return "several", None
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10:
        return "length", None
    if digits[3:6] == "555" and digits[6:8] == "01":
        return "fictional", digits
    if placeholder_phone(digits):
        return "placeholder", digits
    area, exchange = digits[:3], digits[3:6]
    if exchange[0] in "01" or exchange[1:] == "11" or area not in valid_area_codes():
        return "invalid", digits
    return "", digits


def _e164(value: str) -> str | None:
    """What libphonenumber makes of a number that is not ten plain digits (a vanity number, a
    foreign one), when it could be a number at all; a seven-digit local number is not."""
    try:
        number = phonenumbers.parse(value.strip(), "US")
    except phonenumbers.NumberParseException:
        return None
    if (
        phonenumbers.is_possible_number_with_reason(number)
        != phonenumbers.ValidationResult.IS_POSSIBLE
    ):
        return None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None if e164.startswith("+1") and placeholder_phone(e164[2:]) else e164


def parse_phone(value: Any) -> dict[str, Any]:
    """The reference reading of one phone as typed: :data:`PHONE_COLUMNS` (module docstring)."""
    fault, digits = _verdict(value)
    placeholder = fault in ("placeholder", "fictional")
    if placeholder:
        phone = None
    elif digits is not None and digits[0] not in "01":
        phone = "+1" + digits
    else:  # not ten digits of a North American number (no area code starts with 0 or 1)
        phone = _e164(value) if isinstance(value, str) and value.strip() else None
    return {
        "phone": phone,
        "phone_digits": digits,
        "phone_fault": fault,
        "phone_placeholder": placeholder,
    }


def phone_frame(values: pd.Series) -> pd.DataFrame:
    """:data:`PHONE_COLUMNS` of each value, on ``values``' index (repeated labels too), as
    :func:`parse_phone` reads it: the everyday shapes decided with Arrow's kernels over the
    column, the rest one distinct value at a time."""
    frame = _phone_frame(values.reset_index(drop=True))
    frame.index = values.index
    return frame


def _phone_frame(values: pd.Series) -> pd.DataFrame:
    text = arrow_text(values)
    parts = pc.extract_regex(text, PLAIN_PHONE)  # RE2 over the whole column; non-matches null
    plain = parts.is_valid().to_numpy(zero_copy_only=False)
    rest = per_distinct(values[~plain].astype(object), parse_phone, PHONE_COLUMNS)
    if not plain.any():
        return rest
    keep = pa.array(plain)
    area, exchange, line = (parts.field(n).filter(keep) for n in ("area", "exchange", "line"))
    ten = pc.binary_join_element_wise(area, exchange, line, "")
    seven = pc.binary_join_element_wise(exchange, line, "")

    def mask(array: pa.Array) -> np.ndarray:
        flags: np.ndarray = array.to_numpy(zero_copy_only=False)
        return flags

    def one_digit(digits: pa.Array, times: int) -> np.ndarray:
        return mask(
            pc.equal(digits, pc.binary_repeat(pc.utf8_slice_codeunits(digits, 0, 1), times))
        )

    fictional = mask(pc.equal(exchange, "555")) & mask(pc.starts_with(line, "01"))
    placeholder = (
        one_digit(ten, 10)
        | mask(pc.is_in(ten, pa.array(sorted(SEQUENTIAL))))
        | mask(pc.equal(area, "555"))
        | one_digit(seven, 7)
        | (mask(pc.equal(exchange, "555")) & mask(pc.equal(line, "1212")))
    )
    invalid = mask(pc.match_substring_regex(exchange, r"^[01]|^\d11$")) | ~mask(
        pc.is_in(area, pa.array(sorted(valid_area_codes())))
    )
    digits = np.asarray(ten.to_numpy(zero_copy_only=False), dtype=object)
    stand_in = fictional | placeholder
    quick = pd.DataFrame(
        {
            "phone": missing_where(stand_in, "+1" + digits.astype(str)),
            "phone_digits": digits,
            "phone_fault": np.select(
                [fictional, placeholder, invalid],
                ["fictional", "placeholder", "invalid"],
                default="",
            ).astype(object),
            "phone_placeholder": stand_in,
        },
        index=values.index[plain],
    )
    return pd.concat([rest, quick]).reindex(values.index)


LOCAL_NUMBER = re.compile(r"^\s*[2-9]\d{2}[\s.-]?\d{4}\s*$")
#: a share of a table's full numbers from which its commonest area code is *the* area code
ONE_AREA = 0.9


def local_numbers(values: pd.Series) -> pd.Series:
    """The seven digits of phones written without an area code ("928-3600"); missing elsewhere."""
    text = values.astype("object").where(values.notna(), None)
    local = text.str.fullmatch(LOCAL_NUMBER.pattern, na=False).astype(bool)
    digits = text.where(local).str.replace(r"\D", "", regex=True)
    fictional = digits.str.startswith("555").fillna(False).astype(bool)
    return digits.where(~fictional)


def fill_area_codes(phone: pd.Series, local: pd.Series) -> pd.Series:
    """``phone`` (E.164) with each seven-digit ``local`` number completed from the table itself:
    the area code of the full numbers that end in those seven digits, if they all have one; else
    the table's area code, if nine in ten of its full numbers have it; else the number stays
    local ("local:9283600") and equals only the same local number."""
    out = phone.copy()
    wanted = local.notna() & phone.isna()
    if not wanted.any():
        return out
    full = phone.dropna()
    full = full[full.str.match(r"^\+1\d{10}$")]
    areas = pd.DataFrame({"last": full.str[-7:], "area": full.str[2:5]}).drop_duplicates()
    counts = areas.groupby("last")["area"].agg(["first", "size"])
    known = counts.loc[counts["size"] == 1, "first"]
    share = full.str[2:5].value_counts(normalize=True)
    main = share.index[0] if len(share) and share.iloc[0] >= ONE_AREA else None
    digits = local[wanted]
    area = digits.map(known)
    if main is not None:
        area = area.fillna(main)
    out[wanted] = np.where(area.notna(), "+1" + area.fillna("") + digits, "local:" + digits)
    return out
