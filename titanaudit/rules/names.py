"""Name and record-type rules (catalogue §4.6) and leftover merge markers (DUP-MRG-001), over
open customers, with the matching engine's name normaliser
(:func:`~titanaudit.fields.names.name_frame`): one reading of a name for both."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from titanaudit.fields import arrow_text, email_domain
from titanaudit.fields.names import BUSINESS_WORDS, LEGAL_FORMS, MERGE_MARKER, given_names
from titanaudit.rules.base import Context, Rule, findings, nothing
from titanaudit.rules.parsing import CONSUMER_DOMAINS

__all__ = ["NAME_RULES"]

PHONE_IN_NAME = re.compile(r"\(?\d{3}\)?[\s.-]*\d{3}[\s.-]*\d{4}|\d{7,}")
EMAIL_IN_NAME = re.compile(r"\S+@\S+\.\w+")
STREET_IN_NAME = re.compile(
    r"\b\d+\s+\w+(?:\s+\w+)?\s+(?:st|street|ave|avenue|rd|road|dr|drive|ln|lane|blvd|ct|court|"
    r"way|pl|place|pkwy|cir|trl|hwy)\b",
    re.IGNORECASE,
)


def _matches(names: pd.Series, pattern: str) -> np.ndarray:
    """Names matching ``pattern`` (RE2, Arrow's kernel over the whole column)."""
    text = arrow_text(names)
    found: np.ndarray = pc.fill_null(pc.match_substring_regex(text, pattern), False).to_numpy(
        zero_copy_only=False
    )
    return found


def _named(ctx: Context) -> pd.DataFrame:
    return ctx.names


def _allowed(ctx: Context, names: pd.Series) -> pd.Series:
    allowed = {" ".join(n.lower().split()) for n in ctx.settings.placeholder_customers}
    return names.astype(str).str.lower().str.split().str.join(" ").isin(allowed)


def _placeholder(ctx: Context) -> pd.DataFrame:
    n = _named(ctx)
    flagged = n[n["name_placeholder"].astype(bool)]
    hit = flagged[~_allowed(ctx, flagged["name"])]
    return findings(
        hit["id"],
        "A test or stand-in name: enter the customer's real name (or add "
        "it to [allow] placeholder_customers if it is used on purpose).",
        hit["name"],
    )


def _contact_in_name(ctx: Context) -> pd.DataFrame:
    n = _named(ctx)
    name = n["name"]
    what = np.select(
        [
            _matches(name, EMAIL_IN_NAME.pattern),
            _matches(name, PHONE_IN_NAME.pattern),
            _matches(name, "(?i)" + STREET_IN_NAME.pattern),
        ],
        ["an e-mail", "a phone number", "an address"],
        default="",
    )
    hit = n[what != ""]
    message = (
        "The name holds "
        + pd.Series(what, index=n.index)[hit.index]
        + ": move it to its own field and keep only the name."
    )
    return findings(hit["id"], message, hit["name"])


def _single(ctx: Context) -> pd.DataFrame:
    n = _named(ctx)
    residential = n["type"] == "Residential" if "type" in n else pd.Series(True, index=n.index)
    person = ~n["is_business"].astype(bool) & ~n["name_placeholder"].astype(bool)
    one = n["name"].astype(str).str.count(r"\S+") == 1
    hit = n[residential & person & one]
    return findings(
        hit["id"],
        "Only one name: add the first and last name so the customer can be found by either.",
        hit["name"],
    )


def _case(ctx: Context) -> pd.DataFrame:
    n = _named(ctx)
    # no lower-case letter (or no capital), and more than three letters
    shouting = ~_matches(n["name"], "[a-z]") & _matches(
        n["name"], "[A-Z][^A-Z]*[A-Z][^A-Z]*[A-Z][^A-Z]*[A-Z]"
    )
    quiet = ~_matches(n["name"], "[A-Z]") & _matches(
        n["name"], "[a-z][^a-z]*[a-z][^a-z]*[a-z][^a-z]*[a-z]"
    )
    hit = n[shouting | quiet]
    return findings(
        hit["id"],
        "Written in all capitals or all lower case: write it as the customer would.",
        hit["name"],
        fix=hit["name"].map(_title),
    )


def _title(name: str) -> str:
    """Title case that knows McDonald, O'Brien and LLC."""

    def word(w: str) -> str:
        if w.lower() in {"llc", "inc", "hoa", "lp", "llp", "ii", "iii", "iv"}:
            return w.upper()
        w = w.capitalize()
        for prefix in ("Mc", "O'"):
            if w.startswith(prefix) and len(w) > len(prefix):
                w = prefix + w[len(prefix)].upper() + w[len(prefix) + 1 :]
        return w

    return " ".join(word(w) for w in name.split())


def _comma(ctx: Context) -> pd.DataFrame:
    n = _named(ctx)
    person = ~n["is_business"].astype(bool)
    hit = n[person & n["name"].astype(str).str.contains(",", regex=False)]
    fix = hit["first"].fillna("").str.title() + " " + hit["last"].fillna("").str.title()
    return findings(
        hit["id"],
        'Written as "Last, First" while other customers are "First '
        'Last": one form makes searching reliable.',
        hit["name"],
        fix=fix.str.strip(),
    )


def _household(ctx: Context) -> pd.DataFrame:
    n = _named(ctx)
    hit = n[n["is_household"].astype(bool)]
    return findings(
        hit["id"],
        "Two people in one name: keep one customer per household and "
        "name the other person as a contact; check for a second record of either.",
        hit["name"],
    )


def _looks_commercial(ctx: Context) -> pd.DataFrame:
    n = _named(ctx)
    if "type" not in n:
        return nothing()
    words = "|".join(sorted(BUSINESS_WORDS | LEGAL_FORMS))
    maybe = n[
        (n["type"] == "Residential")
        & ~n["name_placeholder"].astype(bool)
        & _matches(n["name"], rf"(?i)\b(?:{words})\b")
    ]
    hit = maybe[maybe["name"].map(_company_words).astype(bool)]
    return findings(
        hit["id"],
        "A company name on a residential customer: set the type to "
        "Commercial (tax, pricing and reports depend on it).",
        hit["name"],
        fix="Commercial",
    )


#: Business words that are also surnames: "Mike Church" is a person, "Smith Realty" is not.
SURNAME_LIKE = frozenset(
    {
        "church",
        "school",
        "bank",
        "trust",
        "homes",
        "group",
        "center",
        "office",
        "store",
        "hotel",
        "auto",
        "builders",
    }
)


def _company_words(name: object) -> bool:
    """A legal form (LLC, Inc, HOA), or a business word (Realty, Dental, Properties) that is
    not simply a person's surname ("Mike Church", "James House")."""
    if not isinstance(name, str):
        return False
    words = re.sub(r"[^a-z0-9 ]", " ", name.lower()).split()
    if any(w in LEGAL_FORMS - {"the", "co"} for w in words):
        return True
    business = [w for w in words if w in BUSINESS_WORDS]
    person = len(words) == 2 and words[0] in given_names() and words[1] in SURNAME_LIKE
    return bool(business) and not person


def _location_counts(ctx: Context) -> pd.Series:
    return ctx.locations["customer_id"].value_counts()


def _many_locations(ctx: Context) -> pd.DataFrame:
    n = _named(ctx)
    if "type" not in n:
        return nothing()
    counts = n["id"].map(_location_counts(ctx)).fillna(0).astype(int)
    many = n[(n["type"] == "Residential") & (counts > ctx.settings.residential_max_locations)]
    managers = {" ".join(m.lower().split()) for m in ctx.settings.property_managers}
    hit = many[~many["name"].astype(str).str.lower().str.split().str.join(" ").isin(managers)]
    message = (
        "A residential customer with "
        + counts[hit.index].astype(str)
        + " locations: a landlord or property manager? Set the type to Commercial."
    )
    return findings(hit["id"], message, hit["name"], fix="Commercial")


def _looks_residential(ctx: Context) -> pd.DataFrame:
    n = _named(ctx)
    if "type" not in n:
        return nothing()
    counts = n["id"].map(_location_counts(ctx)).fillna(0).astype(int)
    contacts = ctx.contacts
    emails = contacts[contacts["kind"] == "email"]
    domain = email_domain(emails["email_clean"])
    business_mail = set(emails.loc[~domain.isin(CONSUMER_DOMAINS), "customer_id"].tolist())
    person = ~n["is_business"].astype(bool) & ~n["name_placeholder"].astype(bool)
    hit = n[(n["type"] == "Commercial") & person & (counts <= 1) & ~n["id"].isin(business_mail)]
    return findings(
        hit["id"],
        "A person's name, one location and no business e-mail on a "
        "commercial customer: should it be Residential?",
        hit["name"],
        fix="Residential",
    )


def _merge_marker(ctx: Context) -> pd.DataFrame:
    n = _named(ctx)
    hit = n[n["name"].astype(str).str.contains(MERGE_MARKER)]
    return findings(
        hit["id"],
        "Marked for merging but never merged: merge it into its twin "
        "(Settings > Tools > Merge Customers) or remove the marker.",
        hit["name"],
    )


NAME_RULES: tuple[Rule, ...] = (
    Rule("NAM-CUS-001", "customers", "high", "Test or placeholder name", _placeholder),
    Rule("NAM-CUS-002", "customers", "medium", "Phone, e-mail or address in the name", _contact_in_name),
    Rule("NAM-CUS-003", "customers", "low", "Only one name", _single),
    Rule("NAM-CUS-004", "customers", "info", "All capitals or all lower case", _case),
    Rule("NAM-CUS-005", "customers", "info", "\"Last, First\"", _comma),
    Rule("NAM-CUS-006", "customers", "info", "Two people in one name", _household),
    Rule("TYP-CUS-001", "customers", "medium", "Residential customer that looks commercial", _looks_commercial),
    Rule("TYP-CUS-002", "customers", "medium", "Residential customer with many locations", _many_locations),
    Rule("TYP-CUS-003", "customers", "low", "Commercial customer that looks residential", _looks_residential),
    Rule("DUP-MRG-001", "customers", "high", "Leftover merge marker", _merge_marker),
)  # fmt: skip
