"""Normalisation for matching: names and addresses into comparable keys (phones and e-mails are
parsed one layer down, in :mod:`titanaudit.fields`, for matching and rules alike).

Every function takes a pandas Series (or several) and returns a DataFrame on the same index with
documented columns. Each *distinct* value is parsed once and the results are mapped back, because
a tenant repeats the same streets, cities and office phones thousands of times.

Placeholders (research catalogue §4.4-4.6: 000-000-0000, 555 numbers, noemail@none.com, "Test",
"New Homeowner", ...) are normalised to missing, with a flag, so they can never create a match.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Hashable
from typing import Any

import jellyfish
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import usaddress
from nicknames import NickNamer

from titanaudit.fields.text import arrow_text, per_distinct

__all__ = [
    "SUFFIXES",
    "address_frame",
    "given_name_group",
    "name_frame",
    "placeholder_name",
]

# ---- shared -----------------------------------------------------------------------------


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


# ---- names ------------------------------------------------------------------------------

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
    """Given names known to Faker's en_US lists and to the nicknames data set, lower case."""
    from faker.providers.person.en_US import Provider as PersonWords

    faker = {n.lower() for n in PersonWords.first_names}
    known = set(NICKNAMES.nickname_lookup) | set(NICKNAMES.canonical_lookup)
    return frozenset(faker | known)


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
    text = _ascii(text).lower()
    text = re.sub(r"[^a-z0-9&,/+' -]", " ", text).replace("'", "")
    return [t for t in re.split(r"[\s-]+", text) if t]


def _parse_name(value: Any) -> dict[str, Any]:
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
        return _parse_name(None)
    first_text, _, last_text = value.partition("\x1f")
    firsts = [w for w in _tokens(first_text) if w not in TITLES and w.strip(",&/+")]
    lasts = [w for w in _tokens(last_text) if w not in GENERATIONS and w.strip(",&/+")]
    first = firsts[0].strip(",") if firsts else None
    last = "".join(lasts).replace(",", "") or None
    if not first and not last:
        return _parse_name(None)
    norm = " ".join(p for p in (first, last) if p)
    if placeholder_name(norm):
        return _parse_name(norm)
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
    frame = per_distinct(values[~simple], _parse_name, NAME_COLUMNS)
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


# ---- addresses --------------------------------------------------------------------------

SUFFIXES = {"street": "st", "str": "st", "st": "st", "avenue": "ave", "av": "ave", "ave": "ave",
            "road": "rd", "rd": "rd", "drive": "dr", "dr": "dr", "drv": "dr", "lane": "ln", "ln": "ln",
            "court": "ct", "ct": "ct", "boulevard": "blvd", "blvd": "blvd", "boul": "blvd",
            "way": "way", "wy": "way", "place": "pl", "pl": "pl", "circle": "cir", "cir": "cir",
            "trail": "trl", "trl": "trl", "parkway": "pkwy", "pkwy": "pkwy", "pky": "pkwy",
            "highway": "hwy", "hwy": "hwy", "terrace": "ter", "ter": "ter", "square": "sq", "sq": "sq",
            "loop": "loop", "alley": "aly", "aly": "aly", "crossing": "xing", "xing": "xing",
            "point": "pt", "pt": "pt", "path": "path", "pike": "pike", "run": "run", "row": "row",
            "plaza": "plz", "plz": "plz", "expressway": "expy", "expy": "expy", "freeway": "fwy",
            "fwy": "fwy", "cove": "cv", "cv": "cv", "ridge": "rdg", "rdg": "rdg", "heights": "hts",
            "hts": "hts", "park": "park", "view": "vw", "vw": "vw", "hollow": "holw", "creek": "crk",
            "crk": "crk", "grove": "grv", "grv": "grv", "hill": "hl", "hl": "hl", "estates": "est",
            "meadows": "mdws", "mdws": "mdws", "glen": "gln", "gln": "gln", "bend": "bnd",
            "bnd": "bnd", "landing": "lndg", "lndg": "lndg", "pass": "pass", "walk": "walk"}  # fmt: skip
DIRECTIONS = {"north": "n", "south": "s", "east": "e", "west": "w", "northeast": "ne",
              "northwest": "nw", "southeast": "se", "southwest": "sw", "n": "n", "s": "s", "e": "e",
              "w": "w", "ne": "ne", "nw": "nw", "se": "se", "sw": "sw"}  # fmt: skip
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
    cleaned = UNIT_WORDS.sub("", _ascii(text).lower().strip()).replace("#", "").strip(" .,-")
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


def _parse_street(value: Any) -> dict[str, Any]:
    empty = {"house_number": None, "street_name": None, "street_unit": None, "is_po_box": False}
    if not isinstance(value, str) or not value.strip():
        return empty
    text = re.sub(r"[^\w#\s/-]", " ", _ascii(value).lower())
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
    words = _street_words(rest.split()) if rest else []
    return {
        "house_number": number,
        "street_name": " ".join(words) or None,
        "street_unit": unit,
        "is_po_box": False,
    }


STREET_COLUMNS = ["house_number", "street_name", "street_unit", "is_po_box"]


def _streets(street: pd.Series) -> pd.DataFrame:
    """:func:`_parse_street` over a Series, with the everyday shape ("1420 W Elm St") handled
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
    frame = per_distinct(street[~plain], _parse_street, STREET_COLUMNS)
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
        " ".join(_ascii(value).lower().replace(".", " ").split()) or None
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
    parsed = _streets(street)
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
