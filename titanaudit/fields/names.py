"""Names, parsed once: persons and companies, for matching and the rules alike.

:func:`name_frame` reads a column of names as typed ("Smith, John", "JOHN & MARY SMITH", "Acme
Heating LLC", "DUPLICATE - Ruben Silva"), each distinct value once: the plain "First Last" shape
with Arrow's kernels, the rest through :func:`parse_name`. :func:`name_parts_frame` reads names
already split into first and last. Placeholders ("Test", "New Homeowner") are flagged and give
no keys, so they can never create a match.
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from typing import Any

import jellyfish
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from nicknames import NickNamer

from titanaudit.fields.text import arrow_text, ascii_fold, per_distinct

__all__ = [
    "BUSINESS_WORDS",
    "LEGAL_FORMS",
    "MERGE_MARKER",
    "NAME_COLUMNS",
    "firm_words",
    "given_name_group",
    "given_names",
    "name_frame",
    "name_parts_frame",
    "parse_name",
    "placeholder_name",
]

GENERATIONS = {"jr", "sr", "ii", "iii", "iv", "v"}
TITLES = {"mr", "mrs", "ms", "miss", "dr", "prof", "rev", "mx"}
BUSINESS_WORDS = {"llc", "inc", "corp", "corporation", "co", "company", "ltd", "lp", "llp", "pllc",
                  "pc", "hoa", "association", "properties", "property", "management", "realty",
                  "apartments", "church", "school", "dental", "group", "holdings", "services",
                  "restaurant", "trust", "partners", "enterprises", "investments", "homes",
                  "builders", "construction", "plumbing", "hvac", "electric", "auto", "repair",
                  "clinic", "hospital", "bank", "hotel", "motel", "store", "center", "office",
                  "centre", "centers", "centres", "ctr", "assn", "academy", "foundation", "institute",
                  "ministries", "ministry", "society", "club", "agency", "library", "university",
                  "college", "department", "dept"}  # fmt: skip
LEGAL_FORMS = {"llc", "inc", "corp", "co", "ltd", "lp", "llp", "pllc", "pc", "the"}
PLACEHOLDER_NAME = re.compile(
    r"^(test( customer)?|testing|asdf+|unknown|n/?a|none|customer|homeowner|new homeowner|"
    r"new owner|current (owner|resident)|occupant|resident|tenant|\.+|x+|\?+|\d+|-+)$"
)
#: Markers people type into a name instead of merging (catalogue DUP-MRG-001): "DUPLICATE - Ruben
#: Silva", "DO NOT USE Acme Inc", "Jane Doe (dup)". The name under them is the one to match.
MERGE_MARKER = re.compile(
    r"^\W*(?:duplicate|dupe?|do not use|dnu|remove|delete)\b\W*|\W*\b(?:duplicate|dupe?|do not use|dnu)\W*$",
    re.I,
)
#: a phone number typed into a name (catalogue NAM-CUS-002): seven digits or more, with the
#: usual separators; it is not part of the name to match
PHONE_IN_NAME = re.compile(r"\+?\(?\d[\d\s().-]{5,}\d")
SEPARATORS = re.compile(r"\s*(?:&|\band\b|\+|/)\s*")
NICKNAMES = NickNamer()


ORGANISATION_WORDS = {"of", "the", "at", "on", "by", "for", "cafe", "grill", "bar", "deli", "bistro",
                      "kitchen", "house", "inn", "club", "shop", "market", "pizza", "pizzeria", "diner",
                      "bakery", "garden", "gardens", "palace", "tavern", "lounge", "studio", "salon"}  # fmt: skip


@functools.cache
def given_names() -> frozenset[str]:
    """Given names, lower case: those at least 5,000 babies born in the United States in
    1930-2005 were given (the Social Security Administration's counts, shipped in
    ``given_names.txt``), and those of the ``nicknames`` data set."""
    text = resources.files("titanaudit.fields").joinpath("given_names.txt").read_text()
    counted = {line for line in text.splitlines() if line and not line.startswith("#")}
    return frozenset(counted | set(NICKNAMES.nickname_lookup) | set(NICKNAMES.canonical_lookup))


#: the words an organisation's name is written with more than one way (Center, Centre, Ctr)
FIRM_SYNONYMS = {"centre": "center", "ctr": "center", "cntr": "center", "centers": "center",
                 "centres": "center", "comm": "community", "cmty": "community", "assn": "association",
                 "assoc": "association", "svcs": "services", "svc": "service", "dept": "department",
                 "intl": "international", "univ": "university", "mt": "mount", "and": "&",
                 "bros": "brothers", "mgmt": "management", "prop": "properties"}  # fmt: skip


def firm_words(words: list[str]) -> list[str]:
    """An organisation's name words, one way: '/' and '+' split words, synonyms made one
    (:data:`FIRM_SYNONYMS`), and letters written apart made one acronym ("c y c" is "cyc")."""
    split = [FIRM_SYNONYMS.get(w, w) for word in words for w in re.split(r"[/+]", word) if w]
    out: list[str] = []
    run: list[str] = []
    for word in [*split, ""]:
        if len(word) == 1 and word.isalpha():
            run.append(word)
            continue
        out.extend(["".join(run)] if len(run) > 1 else run)
        run = []
        if word:
            out.append(word)
    return out


def _organisation(value: str, words: list[str]) -> bool:
    """A name that is not a person's although it has no LLC or Inc: "Arnie Morton's of Chicago",
    "Blue Moon Cafe", "Sunrise Garden Apartments Office"."""
    if any(w in ORGANISATION_WORDS for w in words) or "'s " in value.lower() + " ":
        return True
    separated = any(sep in words for sep in ("&", "and", "+", "/"))
    if separated or "," in value:
        return False
    people = [w for w in words if w not in TITLES and w not in GENERATIONS]
    return len(people) >= 4 and people[0] not in given_names()


def placeholder_name(name: str) -> bool:
    """ "Test", "Unknown", "New Homeowner", "???" and their kind (catalogue NAM-CUS-001)."""
    return bool(PLACEHOLDER_NAME.match(name))


@functools.lru_cache(maxsize=100_000)
def given_name_group(first: str) -> frozenset[str]:
    """The name and the formal names it may stand for: bob → {bob, robert, bobby, bert}.
    Two given names may be the same person's when their groups meet (bob and robert do)."""
    return frozenset({first} | NICKNAMES.canonicals_of(first)) if first else frozenset()


def _tokens(text: str) -> list[str]:
    text = ascii_fold(text).lower()
    text = re.sub(r"[^a-z0-9&,/+' -]", " ", text).replace("'", "")
    return [t for t in re.split(r"[\s-]+", text) if t]


def parse_name(value: Any) -> dict[str, Any]:
    """The reference reading of one name as typed: :data:`NAME_COLUMNS`."""
    empty = dict.fromkeys(NAME_COLUMNS) | {
        "is_business": False,
        "is_household": False,
        "name_placeholder": False,
    }
    if not isinstance(value, str) or not value.strip():
        return empty
    value = MERGE_MARKER.sub(" ", value).strip() or value
    value = PHONE_IN_NAME.sub(" ", value).strip() or value  # "Ann Lee 6025550147": a phone typed in
    raw = " ".join(_tokens(value))
    if not raw.strip(" ,&/+") or placeholder_name(raw.replace(",", "").strip()):
        return {**empty, "name_placeholder": True}
    words = raw.replace(",", " ").split()
    if any(w in BUSINESS_WORDS for w in words) or _organisation(value, words):
        core = firm_words([w for w in words if w not in LEGAL_FORMS] or words)
        return {
            **empty,
            "name_norm": " ".join(core),
            "last": core[0],
            "last_code": _code(core[0]),
            "is_business": True,
        }
    if "," in raw:  # "Smith, John" → John Smith
        last_part, _, first_part = raw.partition(",")
        raw = f"{first_part} {last_part}"
    parts = [p for p in SEPARATORS.split(raw.replace(",", " ")) if p.strip()]
    people = [[w for w in p.split() if w not in TITLES and w not in GENERATIONS] for p in parts]
    people = [p for p in people if p]
    if not people:
        return empty
    household = len(people) > 1
    if len(people) == 1 and len(people[0]) == 1:
        first, last = None, people[0][0]
    else:
        first = people[0][0]
        last = (
            people[-1][-1] if len(people[-1]) > 1 else people[0][-1] if len(people[0]) > 1 else None
        )
    return {
        "name_norm": " ".join(w for p in people for w in p),
        "first": first,
        "last": last,
        "first_names": given_name_group(first) if first else None,
        "second_first": people[1][0] if household else None,
        "last_code": _code(last) if last else None,
        "first_code": _code(first) if first else None,
        "initials": _initials(first, last),
        "is_business": False,
        "is_household": household,
        "name_placeholder": False,
    }


def _parse_parts(value: Any) -> dict[str, Any]:
    """A name given as separate given-name and surname fields (``"first\x1flast"``): the parts
    are known, so a lone "Jackson" stays a given name and "Mc Mellon" one surname."""
    if not isinstance(value, str):
        return parse_name(None)
    first_text, _, last_text = value.partition("\x1f")
    firsts = [w for w in _tokens(first_text) if w not in TITLES and w.strip(",&/+")]
    lasts = [w for w in _tokens(last_text) if w not in GENERATIONS and w.strip(",&/+")]
    first = firsts[0].strip(",") if firsts else None
    last = "".join(lasts).replace(",", "") or None
    if not first and not last:
        return parse_name(None)
    norm = " ".join(p for p in (first, last) if p)
    if placeholder_name(norm):
        return parse_name(norm)
    return {
        "name_norm": norm,
        "first": first,
        "last": last,
        "first_names": given_name_group(first) if first else None,
        "second_first": None,
        "last_code": _code(last) if last else None,
        "first_code": _code(first) if first else None,
        "initials": _initials(first, last),
        "is_business": False,
        "is_household": False,
        "name_placeholder": False,
    }


@functools.lru_cache(maxsize=200_000)
def _code(word: str) -> str | None:
    letters = re.sub(r"[^a-z]", "", word)
    return jellyfish.metaphone(letters) or None if letters else None


def _initials(first: str | None, last: str | None) -> str | None:
    """The two initials in alphabetical order: survives typos in both names and their swapping."""
    return "".join(sorted(first[0] + last[0])) if first and last else None


NAME_COLUMNS = [
    "name_norm",
    "first",
    "last",
    "first_names",
    "second_first",
    "last_code",
    "first_code",
    "initials",
    "is_business",
    "is_household",
    "name_placeholder",
]


def name_frame(values: pd.Series) -> pd.DataFrame:
    """Columns: ``name_norm`` (lower case, ASCII, titles, Jr/Sr/III and legal forms dropped,
    "Last, First" turned round), ``first``, ``last``, ``first_names`` (the given name's nickname
    group, see :func:`given_name_group`), ``second_first`` (the other first name of
    "John & Mary Smith"), ``last_code``
    (metaphone of the surname, or of a business's first word), ``first_code`` (metaphone of the
    given name), ``initials`` (both, sorted), ``is_business``, ``is_household``,
    ``name_placeholder``."""
    # "First Last", the usual case (a tenant has a distinct name a customer), found by Arrow's
    # kernels over the column and given the features the full parser would give, each distinct
    # given name and surname coded once
    found = pc.extract_regex(
        arrow_text(values), r"^\s*(?P<first>[A-Za-z]+)\s+(?P<last>[A-Za-z]+)\s*$"
    )
    simple = found.is_valid().to_numpy(zero_copy_only=False)
    first = pc.utf8_lower(found.field("first").filter(found.is_valid()))
    last = pc.utf8_lower(found.field("last").filter(found.is_valid()))
    slow = pa.array(sorted(SLOW_WORDS))
    plain = pc.invert(
        pc.or_(
            pc.or_(pc.is_in(first, slow), pc.is_in(last, slow)),
            pc.is_in(pc.binary_join_element_wise(first, last, " "), pa.array(sorted(SLOW_PAIRS))),
        )
    )
    simple[simple] = plain.to_numpy(zero_copy_only=False)
    frame = per_distinct(values[~simple], parse_name, NAME_COLUMNS)
    if not simple.any():
        return frame
    first, last = first.filter(plain), last.filter(plain)
    index = values.index[simple]
    first_codes, first_words = pd.factorize(first.to_numpy(zero_copy_only=False))
    last_codes, last_words = pd.factorize(last.to_numpy(zero_copy_only=False))
    lead = pc.utf8_slice_codeunits(first, 0, 1)
    tail = pc.utf8_slice_codeunits(last, 0, 1)
    ordered = pc.less_equal(lead, tail)
    initials = pc.if_else(
        ordered,
        pc.binary_join_element_wise(lead, tail, ""),
        pc.binary_join_element_wise(tail, lead, ""),
    )
    fast = pd.DataFrame(
        {
            "name_norm": pc.binary_join_element_wise(first, last, " ").to_numpy(
                zero_copy_only=False
            ),
            "first": first_words[first_codes],
            "last": last_words[last_codes],
            "first_names": np.array([given_name_group(f) for f in first_words], dtype=object)[
                first_codes
            ],
            "second_first": None,
            "last_code": np.array([_code(w) for w in last_words], dtype=object)[last_codes],
            "first_code": np.array([_code(w) for w in first_words], dtype=object)[first_codes],
            "initials": initials.to_numpy(zero_copy_only=False),
            "is_business": False,
            "is_household": False,
            "name_placeholder": False,
        },
        index=index,
    )
    return pd.concat([frame, fast]).reindex(values.index)


#: Words that send a two-word name to the full parser (businesses, titles, markers, "and").
SLOW_WORDS = (
    BUSINESS_WORDS
    | ORGANISATION_WORDS
    | TITLES
    | GENERATIONS
    | LEGAL_FORMS
    | {"and", "duplicate", "dup", "dupe", "dnu", "remove", "delete"}
)
SLOW_PAIRS = {"test customer", "new homeowner", "new owner", "current owner", "current resident"}


def name_parts_frame(
    first: pd.Series | None, last: pd.Series | None, index: pd.Index
) -> pd.DataFrame:
    """As :func:`name_frame`, for names kept in a given-name and a surname column."""
    blank = pd.Series("", index=index, dtype="object")
    given = first.fillna("") if first is not None else blank
    family = last.fillna("") if last is not None else blank
    keys = (given.astype(str) + "\x1f" + family.astype(str)).where(
        (given != "") | (family != ""), None
    )
    return per_distinct(keys, _parse_parts, NAME_COLUMNS)
