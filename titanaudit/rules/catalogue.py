"""The built-in rules, in catalogue order (``titanaudit rules list`` prints them)."""

from __future__ import annotations

from titanaudit.rules.addresses import ADDRESS_RULES
from titanaudit.rules.base import Rule
from titanaudit.rules.coordinates import COORDINATE_RULES
from titanaudit.rules.lifecycle import LIFECYCLE_RULES
from titanaudit.rules.names import NAME_RULES
from titanaudit.rules.phones import CONTACT_RULES

__all__ = ["RULES"]

RULES: tuple[Rule, ...] = (
    *ADDRESS_RULES,
    *COORDINATE_RULES,
    *CONTACT_RULES,
    *NAME_RULES,
    *LIFECYCLE_RULES,
)
