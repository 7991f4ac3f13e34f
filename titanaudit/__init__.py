"""titanaudit: audit the customer data of a ServiceTitan tenant.

The public API, for scripts and notebooks::

    import titanaudit
    config = titanaudit.load_config()                 # credentials from ST_* variables
    titanaudit.fetch_snapshot(config, "tenant.sqlite")
    snapshot = titanaudit.open_snapshot("tenant.sqlite")
    frames = titanaudit.read_frames(snapshot)         # frames.customers: a pandas DataFrame
    findings = titanaudit.run_rules(snapshot)         # data-quality findings, one row each
    result = titanaudit.audit(snapshot, "audit/")     # the monthly audit and its review page
    checked = titanaudit.check_import("list.csv", snapshot)  # a file checked before importing
    run = titanaudit.run_monthly("tenant.sqlite", "audits/", config=config,
                                 settings=titanaudit.monthly_settings({}))  # what cron runs
"""

from titanaudit.__version__ import __version__ as __version__
from titanaudit.audit import (
    AuditResult,
    audit,
    audit_frames,
    check_rules,
    remember_audit,
    run_audit,
    run_rules,
    write_audit,
)
from titanaudit.config import Config, Credentials, Endpoints, FetchSettings, load_config
from titanaudit.dedupe.any_table import dedupe_frame
from titanaudit.dedupe.blocking import BlockingRule
from titanaudit.dedupe.customers import dedupe_customers
from titanaudit.dedupe.engine import DedupeResult
from titanaudit.dedupe.entities import CUSTOMER_RULES
from titanaudit.dedupe.explain import explain
from titanaudit.dedupe.leads import match_leads
from titanaudit.dedupe.locations import duplicate_locations
from titanaudit.demo import DemoTenant, demo_tenant
from titanaudit.errors import TitanAuditError
from titanaudit.frames import Frames, read_frames
from titanaudit.monthly import MonthlyRun, MonthlySettings, monthly_settings, run_monthly
from titanaudit.preimport import ImportCheck, check_import, run_check
from titanaudit.reports.imports import write_check
from titanaudit.rules import RULES, Rule, RuleRun, RuleSettings
from titanaudit.rules.contacts import repeated_contacts
from titanaudit.servicetitan.client import ServiceTitanClient
from titanaudit.servicetitan.links import customer_url, location_url
from titanaudit.servicetitan.sync import SyncResult, fetch_snapshot, sync
from titanaudit.store import Snapshot, open_snapshot

__all__ = [
    "CUSTOMER_RULES",
    "RULES",
    "AuditResult",
    "BlockingRule",
    "Config",
    "Credentials",
    "DedupeResult",
    "DemoTenant",
    "Endpoints",
    "FetchSettings",
    "Frames",
    "ImportCheck",
    "MonthlyRun",
    "MonthlySettings",
    "Rule",
    "RuleRun",
    "RuleSettings",
    "ServiceTitanClient",
    "Snapshot",
    "SyncResult",
    "TitanAuditError",
    "audit",
    "audit_frames",
    "check_import",
    "check_rules",
    "customer_url",
    "dedupe_customers",
    "dedupe_frame",
    "demo_tenant",
    "duplicate_locations",
    "explain",
    "fetch_snapshot",
    "load_config",
    "location_url",
    "match_leads",
    "monthly_settings",
    "open_snapshot",
    "read_frames",
    "remember_audit",
    "repeated_contacts",
    "run_audit",
    "run_check",
    "run_monthly",
    "run_rules",
    "sync",
    "write_audit",
    "write_check",
]
