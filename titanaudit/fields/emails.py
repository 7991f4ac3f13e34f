"""E-mail addresses: one parse of each address as typed, for matching and for the rules.

:func:`parse_email` reads one value; :func:`email_frame` a column, the everyday shape with
Arrow's kernels at once and the rest through :func:`parse_email` once per distinct value (the
long tail, quoted parts and international domains, through email-validator, offline). Their
columns (:data:`EMAIL_COLUMNS`):

``email_clean``        lower case, trimmed, a ``mailto:`` prefix and the punctuation or quotes
                       around it removed (" <Jane@Gmail.com>;" is jane@gmail.com);
``email_fault``        ``syntax`` (email-validator refuses it), ``placeholder``
                       (noemail@none.com); empty for an address that can be written to;
``email``              the cleaned address as evidence for matching: shaped like an address
                       (``local@domain.tld``) and not a placeholder, even if its syntax is at
                       fault (two records holding one mistyped address are still alike);
``email_user``         the part before the @ without dots or a +tag, when it has four
                       characters or more (jane.doe+hvac@gmail.com: janedoe);
``email_domain``       the part after the last @;
``email_placeholder``  a stand-in nobody reads.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from email_validator import EmailNotValidError, validate_email

from titanaudit.fields.text import arrow_text, missing_where, per_distinct

__all__ = [
    "EMAIL_COLUMNS",
    "PLACEHOLDER_DOMAINS",
    "PLACEHOLDER_LOCALS",
    "email_domain",
    "email_frame",
    "email_local",
    "parse_email",
    "placeholder_email",
]

EMAIL_COLUMNS = [
    "email_clean",
    "email_fault",
    "email",
    "email_user",
    "email_domain",
    "email_placeholder",
]
PLACEHOLDER_LOCALS = frozenset({
    "no", "none", "noemail", "nomail", "na", "n/a", "test", "customer", "email", "unknown",
    "donotreply", "declined", "refused", "noreply", "no-reply", "null", "nobody", "x", "xx", "xxx",
    "asdf", "fake",
})  # fmt: skip
PLACEHOLDER_DOMAINS = frozenset({
    "noemail.com", "none.com", "test.com", "example.com", "email.com", "nomail.com", "na.com",
    "no.com", "fake.com", "asdf.com", "donotreply.com", "noreply.com", "example.org", "example.net",
    "invalid", "none.none",
})  # fmt: skip
#: what is stripped from both ends once the value is trimmed and lower-cased
AROUND = " .,;<>\"'"
#: shaped like an address: matching's test
SHAPE = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")
#: the everyday address, valid as it stands (no quoted parts, no international domain)
SIMPLE = (
    r"[a-z0-9](?:[a-z0-9._%+'-]*[a-z0-9_])?@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
    r"(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.[a-z]{2,}"
)


def placeholder_email(email: str) -> bool:
    """noemail@none.com and its kind (catalogue EML-CON-002)."""
    local, _, domain = email.partition("@")
    return local in PLACEHOLDER_LOCALS or domain in PLACEHOLDER_DOMAINS


def _user(email: str) -> str | None:
    local = email.partition("@")[0].partition("+")[0].replace(".", "")
    return local if len(local) >= 4 else None


def parse_email(value: Any) -> dict[str, Any]:
    """The reference reading of one address as typed: :data:`EMAIL_COLUMNS` (module docstring)."""
    if not isinstance(value, str) or not value.strip():
        return dict.fromkeys(EMAIL_COLUMNS) | {"email_fault": "syntax", "email_placeholder": False}
    clean = value.strip().lower().removeprefix("mailto:").strip(AROUND)
    placeholder = placeholder_email(clean)
    if placeholder:
        fault = "placeholder"
    elif re.fullmatch(SIMPLE, clean) and ".." not in clean:
        fault = ""
    else:
        try:  # the long tail: quoted parts, IDN domains; offline, syntax only
            validate_email(clean, check_deliverability=False)
            fault = ""
        except EmailNotValidError:
            fault = "syntax"
    email = clean if SHAPE.match(clean) and not placeholder else None
    return {
        "email_clean": clean,
        "email_fault": fault,
        "email": email,
        "email_user": _user(email) if email else None,
        "email_domain": clean.rpartition("@")[2] if "@" in clean else None,
        "email_placeholder": placeholder,
    }


def email_frame(values: pd.Series) -> pd.DataFrame:
    """:data:`EMAIL_COLUMNS` of each value, on ``values``' index (repeated labels too), as
    :func:`parse_email` reads it: plain ASCII addresses of the everyday shape (and placeholders)
    decided with Arrow's kernels over the column, the rest one distinct value at a time."""
    frame = _email_frame(values.reset_index(drop=True))
    frame.index = values.index
    return frame


def _email_frame(values: pd.Series) -> pd.DataFrame:
    text = arrow_text(values)
    ascii_text = pc.fill_null(pc.string_is_ascii(text), False)
    lower = pc.utf8_lower(pc.utf8_trim_whitespace(text))
    clean = pc.utf8_trim(pc.replace_substring_regex(lower, "^mailto:", ""), AROUND)
    parts = pc.extract_regex(clean, r"^(?P<local>[^@]*)@(?P<domain>[^@]*)$")
    local, domain = parts.field("local"), parts.field("domain")
    placeholder = pc.fill_null(
        pc.or_(
            pc.is_in(local, pa.array(sorted(PLACEHOLDER_LOCALS))),
            pc.is_in(domain, pa.array(sorted(PLACEHOLDER_DOMAINS))),
        ),
        False,
    )
    simple = pc.fill_null(
        pc.and_(
            pc.match_substring_regex(clean, f"^(?:{SIMPLE})$"),
            pc.invert(pc.match_substring(clean, "..")),
        ),
        False,
    )
    decided = pc.and_(ascii_text, pc.or_(placeholder, simple)).to_numpy(zero_copy_only=False)
    rest = per_distinct(values[~decided].astype(object), parse_email, EMAIL_COLUMNS)
    if not decided.any():
        return rest
    keep = pa.array(decided)
    stand_in = np.asarray(placeholder.filter(keep).to_numpy(zero_copy_only=False), dtype=bool)
    cleaned = np.asarray(clean.filter(keep).to_numpy(zero_copy_only=False), dtype=object)
    user = pc.replace_substring(
        pc.extract_regex(local.filter(keep), r"^(?P<u>[^+]*)").field("u"), ".", ""
    )
    user = pc.if_else(pc.greater_equal(pc.utf8_length(user), 4), user, pa.scalar(None, pa.string()))
    quick = pd.DataFrame(
        {
            "email_clean": cleaned,
            "email_fault": np.where(stand_in, "placeholder", "").astype(object),
            "email": missing_where(stand_in, cleaned),
            "email_user": missing_where(stand_in, user.to_numpy(zero_copy_only=False)),
            "email_domain": np.asarray(
                domain.filter(keep).to_numpy(zero_copy_only=False), dtype=object
            ),
            "email_placeholder": stand_in,
        },
        index=values.index[decided],
    )
    return pd.concat([rest, quick]).reindex(values.index)


def email_local(emails: pd.Series) -> pd.Series:
    """The part before the @ (missing where there is none)."""
    return emails.astype("string").str.extract(r"^([^@]*)@", expand=False).astype(object)


def email_domain(emails: pd.Series) -> pd.Series:
    """The part after the last @ (missing where there is none)."""
    return emails.astype("string").str.extract(r"@([^@]*)$", expand=False).astype(object)
