"""The comparisons, declared once: each field's levels by name, with the test of each level, the
words the evidence and the page use for it, and what the model must know of it (a value shared,
one house). :mod:`~titanaudit.dedupe.compare` computes the levels, :mod:`~titanaudit.dedupe.model`
weighs them, :mod:`~titanaudit.dedupe.explain` says them, and the engine's household guard reads
them, all from :data:`COMPARISONS`: a new level is one entry here (and its test in ``compare``).

A level is stored as a small integer (the ``name``, ``phone``, ``email`` and ``address`` columns of
``pairs.csv``), higher meaning stronger agreement; :data:`MISSING` (-1) is "cannot say": a value
missing, or a placeholder, on one side.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ADDRESS",
    "COMPARISONS",
    "EMAIL",
    "MISSING",
    "NAME",
    "PHONE",
    "Comparison",
    "Level",
]

MISSING = -1


@dataclass(frozen=True)
class Level:
    """One level of a comparison: its stored ``code``, its ``name`` in code, the ``test`` that
    decides it, the ``label`` of the evidence ("same address +9.1"), what a person says of it
    (``plain``; None where the page's sentence names the field otherwise) and whether that is
    agreement (``agrees``), whether the two records share a value there (``shared``: a hub's
    share is discounted) and whether they share a house (``house``)."""

    code: int
    name: str
    test: str
    label: str
    plain: str | None = None
    agrees: bool = True
    shared: bool = False
    house: bool = False


@dataclass(frozen=True)
class Comparison:
    """A field's levels, strongest first, and the label of :data:`MISSING` for it."""

    field: str
    levels: tuple[Level, ...]
    missing: str

    def __getitem__(self, name: str) -> int:
        """The code of the level called ``name``: ``ADDRESS["same_address"]`` is 6."""
        for level in self.levels:
            if level.name == name:
                return level.code
        raise KeyError(f"{self.field} has no level {name!r}")

    @property
    def codes(self) -> tuple[int, ...]:
        """Every level's code, weakest first (the model's order)."""
        return tuple(sorted(level.code for level in self.levels))

    def labels(self) -> dict[int, str]:
        """Code → evidence label, :data:`MISSING` included."""
        return {level.code: level.label for level in self.levels} | {MISSING: self.missing}

    def where(self, flag: str) -> tuple[int, ...]:
        """The codes of the levels where ``flag`` (``shared``, ``house``) holds, weakest first."""
        return tuple(sorted(level.code for level in self.levels if getattr(level, flag)))


NAME = Comparison(
    "name",
    (
        Level(5, "same", "the same name", "same name", "same name"),
        Level(
            4,
            "related",
            "the same surname and related given names (one nickname group, one "
            "the start of the other: J, Jen, Jennifer), or the same words in another order; "
            "a business name nearly the same (token-sorted similarity 95 or more)",
            "related names",
            "names related (a nickname, an initial, a married name)",
        ),
        Level(
            3,
            "typo",
            "one typo apart, in the surname or the given name (or a slip or two "
            "that leave no given name: Tobp, Toby); a business name similar (85 or more)",
            "names a typo apart",
            "names differ only by a typo",
        ),
        Level(
            2,
            "similar",
            "typos in both, given name and surname swapped, a given name missing "
            "on one side; one business name's words inside the other's",
            "similar names",
            "similar names",
        ),
        Level(
            1,
            "household",
            "the same or a near surname with a different given name (spouses, "
            "parents and children)",
            "different given names, same surname",
            "another given name under the same surname",
            agrees=False,
        ),
        Level(
            0,
            "different",
            "nothing of the above",
            "different names",
            "different names",
            agrees=False,
        ),
    ),
    "name missing",
)

PHONE = Comparison(
    "phone",
    (
        Level(2, "shared", "a phone in common", "shared phone", shared=True),
        Level(0, "different", "both have phones, none in common", "different phones", agrees=False),
    ),
    "no phone to compare",
)

EMAIL = Comparison(
    "email",
    (
        Level(2, "shared", "an e-mail in common", "shared e-mail", shared=True),
        Level(
            1,
            "near",
            "the same user name at another domain (jdoe@gmail.com, jdoe@yahoo.com), "
            "or a slip or two in the address",
            "e-mails nearly the same",
            shared=True,
        ),
        Level(
            0,
            "different",
            "both have e-mails, none in common or close",
            "different e-mails",
            agrees=False,
        ),
    ),
    "no e-mail to compare",
)

ADDRESS = Comparison(
    "address",
    (
        Level(
            6,
            "same_address",
            "an address in common, unit included",
            "same address",
            "same address",
            shared=True,
            house=True,
        ),
        Level(
            5,
            "same_street_address",
            "a street address in common, the units differ or one is missing",
            "same street address, unit differs",
            "same address, another unit",
            shared=True,
            house=True,
        ),
        Level(
            4,
            "same_house",
            "the same house number, street names close (a typo), in the same "
            "ZIP or city or one a typo of the other",
            "same house, street spelt differently",
            "same house, street spelt another way",
            house=True,
        ),
        Level(
            3,
            "same_house_elsewhere",
            "the same house and street in another town (a city named two ways, or two places)",
            "same house and street, another town",
            "same house and street, another town",
        ),
        Level(
            2,
            "same_street",
            "the same street in the same ZIP or city, another house number (a "
            "neighbour, or a mistyped number)",
            "same street, other house number",
            "same street, another house number",
        ),
        Level(
            1,
            "same_area",
            "only the ZIP or city in common, or nearly (Bicton, Bicron)",
            "same ZIP or city only",
            "same ZIP or town only",
        ),
        Level(
            0,
            "different",
            "nothing in common",
            "different places",
            "different places",
            agrees=False,
        ),
    ),
    "no address to compare",
)

#: every comparison, in the order of the pair columns
COMPARISONS = (NAME, PHONE, EMAIL, ADDRESS)
