"""The built-in rules, in catalogue order (``titanaudit rules list`` prints them), and the
settings a config file gives them, checked against them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from titanaudit.rules.addresses import ADDRESS_RULES
from titanaudit.rules.base import Rule
from titanaudit.rules.contacts import CONTACT_RULES
from titanaudit.rules.coordinates import COORDINATE_RULES
from titanaudit.rules.lifecycle import LIFECYCLE_RULES
from titanaudit.rules.names import NAME_RULES
from titanaudit.rules.settings import RuleSettings, read_rule_settings

__all__ = ["RULES", "rule_settings"]

RULES: tuple[Rule, ...] = (
    *ADDRESS_RULES,
    *COORDINATE_RULES,
    *CONTACT_RULES,
    *NAME_RULES,
    *LIFECYCLE_RULES,
)


def rule_settings(table: Mapping[str, Any], source: str = "the config file") -> RuleSettings:
    """:class:`RuleSettings` from a parsed TOML file (its ``rules``, ``allow``, ``service_area``
    and ``office`` tables), every value checked with a message naming the key, and every rule
    id it names one of :data:`RULES`."""
    return read_rule_settings(table, source, known={rule.id for rule in RULES})
