"""Rule settings from the TOML file: every key checked, every mistake named."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from titanaudit.errors import ConfigError
from titanaudit.rules import RuleSettings, rule_settings
from titanaudit.rules.settings import settings_help


def test_defaults_need_no_file() -> None:
    assert rule_settings({}) == RuleSettings()


def test_a_full_file() -> None:
    table = {
        "rules": {
            "disable": ["NAM-CUS-004"],
            "severity": {"GEO-LOC-008": "info"},
            "zip_distance_medium_miles": 40,
            "residential_max_locations": 8,
        },
        "allow": {
            "placeholder_customers": ["Previous Owner"],
            "tenant_phones": ["303-555-0100"],
            "tenant_email_domains": ["example-hvac.com"],
            "property_managers": ["Acme PM"],
        },
        "service_area": {"states": ["co", "WY"], "zips": ["80301"]},
        "office": {"latitude": 39.74, "longitude": -104.99},
    }
    s = rule_settings(table)
    assert s.disable == {"NAM-CUS-004"} and s.severity == {"GEO-LOC-008": "info"}
    assert s.zip_distance_medium_miles == 40.0 and s.residential_max_locations == 8
    assert s.service_states == ("CO", "WY") and s.office_latitude == 39.74
    assert s.tenant_phones == ("303-555-0100",)


@pytest.mark.parametrize(
    ("table", "said"),
    [
        ({"rules": {"disable": ["NOPE-001"]}}, "no rule 'NOPE-001'"),
        ({"rules": {"severity": {"GEO-LOC-008": "urgent"}}}, "high, medium, low or info"),
        (
            {"rules": {"zip_distance_medium_miles": "far"}},
            "zip_distance_medium_miles must be a number",
        ),
        ({"rules": {"colour": 1}}, "no setting 'colour'"),
        ({"allow": {"tenant_phones": 3035550100}}, "tenant_phones must be a list"),
        ({"allow": {"friends": []}}, "no setting 'friends'"),
        ({"office": {"latitude": True}}, "latitude must be a number"),
    ],
)
def test_mistakes_are_named(table: dict[str, Any], said: str) -> None:
    with pytest.raises(ConfigError, match=said):
        rule_settings(table, source="audit.toml")


def test_every_setting_explains_itself() -> None:
    helps = settings_help()
    assert set(helps) == {f.name for f in dataclasses.fields(RuleSettings)}
    assert all(text for text in helps.values())
