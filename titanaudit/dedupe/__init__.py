"""The matching engine: normalise → block → compare → score → cluster → explain.

:func:`dedupe_frame` runs it over any table of people or companies. Block → compare → estimate →
score is written once (:mod:`~titanaudit.dedupe.pipeline`). The stages are public too:
:mod:`~titanaudit.fields`, :mod:`~titanaudit.dedupe.blocking`,
:mod:`~titanaudit.dedupe.compare`, :mod:`~titanaudit.dedupe.model`,
:mod:`~titanaudit.dedupe.cluster`, :mod:`~titanaudit.dedupe.explain`; what is compared for a
tenant's customers is in :mod:`~titanaudit.dedupe.entities`.
"""

from titanaudit.dedupe.any_table import dedupe_frame, recognise_columns
from titanaudit.dedupe.blocking import BlockingRule, blocking_recall, candidate_pairs
from titanaudit.dedupe.cluster import choose_keepers, cluster_pairs
from titanaudit.dedupe.compare import compare_customers
from titanaudit.dedupe.customers import dedupe_customers
from titanaudit.dedupe.engine import DedupeResult, run_engine
from titanaudit.dedupe.entities import CUSTOMER_RULES, customer_values
from titanaudit.dedupe.explain import explain_pairs
from titanaudit.dedupe.leads import match_leads
from titanaudit.dedupe.model import MatchModel, estimate, score
from titanaudit.fields import email_frame, phone_frame
from titanaudit.fields.addresses import address_frame
from titanaudit.fields.names import given_name_group, name_frame

__all__ = [
    "CUSTOMER_RULES",
    "BlockingRule",
    "DedupeResult",
    "MatchModel",
    "address_frame",
    "blocking_recall",
    "candidate_pairs",
    "choose_keepers",
    "cluster_pairs",
    "compare_customers",
    "customer_values",
    "dedupe_customers",
    "dedupe_frame",
    "email_frame",
    "estimate",
    "explain_pairs",
    "given_name_group",
    "match_leads",
    "name_frame",
    "phone_frame",
    "recognise_columns",
    "run_engine",
    "score",
]
