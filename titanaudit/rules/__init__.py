"""Data-quality rules: independent checks over a snapshot's frames, each with a catalogue id, a
severity and a message that says what to fix (``../research`` catalogue §4.2-4.7).

    >>> from titanaudit.rules import run_rules
    >>> findings = run_rules(snapshot)            # rule_id, severity, entity, record_id, ...

A rule is a :class:`Rule` (id, entity, severity, title, ``check(context) -> findings``); the
built-ins are listed in :data:`RULES`, one module per concern: :mod:`.addresses`,
:mod:`.coordinates`, :mod:`.contacts` (phones and e-mails), :mod:`.names` (names and record types),
:mod:`.lifecycle` (lifecycle, leads, bookings); what they all read, parsed once, comes from
:mod:`.parsing`.
"""

from titanaudit.rules.base import FINDING_COLUMNS, SEVERITIES, Context, Frames, MissingColumn, Rule
from titanaudit.rules.catalogue import RULES, rule_settings
from titanaudit.rules.runner import RuleRun, check_rules, run_rules
from titanaudit.rules.settings import RuleSettings

__all__ = [
    "FINDING_COLUMNS",
    "RULES",
    "SEVERITIES",
    "Context",
    "Frames",
    "MissingColumn",
    "Rule",
    "RuleRun",
    "RuleSettings",
    "check_rules",
    "rule_settings",
    "run_rules",
]
