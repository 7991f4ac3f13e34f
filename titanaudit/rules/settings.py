"""Rule settings: which rules run, their severities and thresholds, allow-lists, the service
area. Built from the ``[rules]``, ``[allow]``, ``[service_area]`` and ``[office]`` tables of the
TOML file the user names; every field has a default that suits a US contractor::

    [rules]
    disable = ["NAM-CUS-004"]              # rule ids not to run
    severity = { "GEO-LOC-008" = "info" }  # another severity for a rule
    zip_distance_medium_miles = 25
    residential_max_locations = 5

    [allow]
    placeholder_customers = ["New Homeowner", "Previous Owner"]
    tenant_phones = ["303-555-0100"]       # the office's own numbers
    tenant_email_domains = ["example-hvac.com"]
    property_managers = ["Sunrise Property Management"]

    [service_area]
    states = ["CO"]
    zips = []

    [office]
    latitude = 39.74
    longitude = -104.99
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from titanaudit.config import setting
from titanaudit.defaults import MATCH_THRESHOLD
from titanaudit.errors import ConfigError

__all__ = ["RuleSettings", "read_rule_settings"]


@dataclass(frozen=True, kw_only=True)
class RuleSettings:
    """How the data-quality rules judge."""

    disable: frozenset[str] = setting("Rule ids not to run.", default=frozenset())
    severity: Mapping[str, str] = setting(
        "Another severity (high, medium, low, info) for some rule ids.", default_factory=dict
    )
    zip_distance_medium_miles: float = setting(
        "A map pin this far from its ZIP's centre is reported (GEO-LOC-006, medium).", default=25.0
    )
    zip_distance_high_miles: float = setting("... and this far, with high severity.", default=100.0)
    residential_max_locations: int = setting(
        "A residential customer with more active locations than this looks like a landlord "
        "or property manager (TYP-CUS-002).",
        default=5,
    )
    stale_lead_days: int = setting(
        "An open lead with no customer and no follow-up date is stale after this many days "
        "(LIF-LEAD-001).",
        default=30,
    )
    pending_booking_days: int = setting(
        "A booking not yet accepted, dismissed or converted after this many days is "
        "unprocessed (LIF-BKG-001).",
        default=7,
    )
    lead_match_probability: float = setting(
        "An open lead matches an existing customer from this probability (DUP-LEAD-001); "
        "leads are matched from the audit's --threshold, so a lower value here has no effect.",
        default=MATCH_THRESHOLD,
    )
    placeholder_customers: tuple[str, ...] = setting(
        "Customer names used on purpose as placeholders; never reported as test names.",
        default=("New Homeowner", "Previous Owner", "Current Resident", "Current Owner"),
    )
    tenant_phones: tuple[str, ...] = setting(
        "The business's own phone numbers: on a customer they are a CSR's stand-in (PHN-CON-005).",
        default=(),
    )
    tenant_email_domains: tuple[str, ...] = setting(
        "The business's own e-mail domains (on a residential customer, a stand-in: EML-CON-002).",
        default=(),
    )
    property_managers: tuple[str, ...] = setting(
        "Names of property managers and landlords: many locations are expected (TYP-CUS-002).",
        default=(),
    )
    service_states: tuple[str, ...] = setting(
        "Two-letter states the business serves; empty: not checked (ADR-LOC-009).", default=()
    )
    service_zips: tuple[str, ...] = setting(
        "ZIPs the business serves; empty: not checked (ADR-LOC-009).", default=()
    )
    office_latitude: float | None = setting(
        "The shop's latitude: a location pinned there was never geocoded (GEO-LOC-009).",
        default=None,
    )
    office_longitude: float | None = setting("The shop's longitude.", default=None)


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        raise ConfigError(f'{where} must be a list of strings, e.g. ["CO", "WY"]')
    return tuple(str(v) for v in value)


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{where} must be a number, not {value!r}")
    return float(value)


RULE_ID = re.compile(r"^[A-Z]{3}-[A-Z]{3,4}-\d{3}$")
NUMBERS = ("zip_distance_medium_miles", "zip_distance_high_miles", "lead_match_probability")
COUNTS = ("residential_max_locations", "stale_lead_days", "pending_booking_days")


def read_rule_settings(
    table: Mapping[str, Any], source: str = "the config file", *, known: Collection[str]
) -> RuleSettings:
    """:class:`RuleSettings` from a parsed TOML file (its ``rules``, ``allow``, ``service_area``
    and ``office`` tables), every value checked with a message naming the key; ``known``: the
    rule ids a setting may name (:func:`titanaudit.rules.rule_settings` gives the built-ins)."""
    rules, allow = dict(table.get("rules", {})), dict(table.get("allow", {}))
    area, office = dict(table.get("service_area", {})), dict(table.get("office", {}))
    values: dict[str, Any] = {}
    disable = _strings(rules.pop("disable", []), f"{source}: [rules] disable")
    severity = dict(rules.pop("severity", {}))
    for rule_id in [*disable, *severity]:
        if rule_id not in known:
            raise ConfigError(f"{source}: no rule {rule_id!r}; `titanaudit rules list` shows them")
    for rule_id, level in severity.items():
        if level not in ("high", "medium", "low", "info"):
            raise ConfigError(
                f"{source}: [rules] severity of {rule_id} must be high, medium, "
                f"low or info, not {level!r}"
            )
    values.update(disable=frozenset(disable), severity=severity)
    for key, raw in rules.items():
        if key in NUMBERS:
            values[key] = _number(raw, f"{source}: [rules] {key}")
        elif key in COUNTS:
            values[key] = int(_number(raw, f"{source}: [rules] {key}"))
        else:
            raise ConfigError(f"{source}: [rules] has no setting {key!r}")
    for key in (
        "placeholder_customers",
        "tenant_phones",
        "tenant_email_domains",
        "property_managers",
    ):
        if key in allow:
            values[key] = _strings(allow.pop(key), f"{source}: [allow] {key}")
    if allow:
        raise ConfigError(f"{source}: [allow] has no setting {next(iter(allow))!r}")
    values["service_states"] = tuple(
        s.upper() for s in _strings(area.get("states", []), f"{source}: [service_area] states")
    )
    values["service_zips"] = _strings(area.get("zips", []), f"{source}: [service_area] zips")
    for key in ("latitude", "longitude"):
        if key in office:
            values[f"office_{key}"] = _number(office[key], f"{source}: [office] {key}")
    return RuleSettings(**values)


def settings_help() -> dict[str, str]:
    """Each setting's help text (for tests and documentation)."""
    return {f.name: f.metadata.get("help", "") for f in dataclasses.fields(RuleSettings)}
