"""A rate-limit storm through the real simulator: 429s application-wide, early retries punished,
server errors and tokens that die early, with every worker thread of a fetch pulling at once."""

from __future__ import annotations

import copy
import dataclasses
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from titanaudit.servicetitan.sync import fetch_snapshot
from titanaudit.simulator import (
    Faults,
    SimulatorServer,
    SimulatorState,
    Tenant,
    TenantSpec,
    generate_tenant,
)
from titanaudit.testing import simulator_config

from .test_sync import assert_snapshot_equals_tenant

Serve = Callable[..., SimulatorServer]

#: The storm, made quick: fractions of a second per 429, and a token that lives one second.
STORM = dataclasses.replace(
    Faults.storm(), retry_after=0.05, early_penalty=0.05, server_errors=0.08, token_ttl=1.0
)
RUNS = 5


@pytest.fixture(scope="module")
def small_tenant() -> Tenant:
    """A small tenant with many bookings: their contacts are pulled one request per booking,
    concurrently, as in the issue's failing ``bookings/{id}/contacts``."""
    return generate_tenant(TenantSpec(customers=60, seed=3, booking_rate=0.3))


@pytest.mark.slow
def test_every_pull_through_a_rate_limit_storm_is_exact(
    small_tenant: Tenant, tmp_path: Path
) -> None:
    totals = {"rate_limited": 0, "server_errors": 0, "punished": 0, "tokens": 0}
    for seed in range(RUNS):
        tenant = copy.deepcopy(small_tenant)
        state = SimulatorState(
            tenant, faults=dataclasses.replace(STORM, seed=seed), export_page_size=20
        )
        db = tmp_path / f"storm-{seed}.sqlite"
        with SimulatorServer(state) as server:
            # a high client rate keeps the test quick; the 429s, not the bucket, set the pace
            result = fetch_snapshot(simulator_config(server, rate_limit=200.0), db)
        assert result.rate_limited >= 3, f"run {seed}"
        assert_snapshot_equals_tenant(db, tenant)
        totals["rate_limited"] += result.rate_limited
        totals["server_errors"] += result.server_errors
        totals["punished"] += state.punished
        totals["tokens"] += result.tokens_fetched
    assert totals["rate_limited"] >= 10 * RUNS, "a storm, not a shower"
    assert totals["server_errors"] > 0
    assert totals["punished"] > 0, "requests in flight when a 429 came were punished"
    assert totals["tokens"] > RUNS, "tokens died during the pulls and were fetched again"


def _ask(client: httpx.Client, server: SimulatorServer, method: str, path: str) -> float:
    """Send one request that the storm answers 429; return the seconds it asks for."""
    response = client.request(method, f"{server.url}{path}")
    assert response.status_code == 429
    title = response.json()["title"]
    assert title.endswith(f"Try again in {response.headers['Retry-After']} seconds.")
    return float(response.headers["Retry-After"])


@pytest.mark.parametrize(
    ("punish", "second_wait", "punished"),
    [(1.0, (0.41, 0.8), 1), (0.0, (0.4, 0.4), 0)],
    ids=["early-requests-punished", "early-requests-pass"],
)
def test_a_request_before_the_stated_delay_is_punished_for_the_whole_app(
    tenant: Tenant, serve: Serve, punish: float, second_wait: tuple[float, float], punished: int
) -> None:
    faults = Faults(
        rate_limited=1.0,
        retry_after_header=1.0,
        retry_after=0.4,
        punish_early=punish,
        early_penalty=0.4,
    )
    server = serve(tenant, faults=faults)
    api = f"/crm/v2/tenant/{tenant.tenant_id}/customers"
    with httpx.Client() as client:
        assert _ask(client, server, "POST", "/connect/token") == 0.4
        # another request of the same app, before the 0.4 s are over: punished, the wait grows
        waited = _ask(client, server, "GET", api)
        assert second_wait[0] <= waited <= second_wait[1]
        assert server.state.punished == punished
        time.sleep(waited + 0.02)
        assert _ask(client, server, "GET", api) == 0.4, "on time: only the plain share of 429s"
        assert server.state.punished == punished


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("storm", Faults.storm()),
        ("storm,429-seconds=0.2", dataclasses.replace(Faults.storm(), retry_after=0.2)),
        (
            "429=0.5,429-punish=1,429-penalty=0.5,5xx=0.1,token-ttl=2",
            Faults(
                rate_limited=0.5,
                punish_early=1.0,
                early_penalty=0.5,
                server_errors=0.1,
                token_ttl=2.0,
            ),
        ),
    ],
)
def test_storm_fault_specs(text: str, expected: Faults) -> None:
    assert Faults.parse(text) == expected


def test_the_storm_punishes_early_requests_with_5xx_and_short_tokens_on_top() -> None:
    storm = Faults.storm()
    assert storm.rate_limited > 0.1
    assert storm.punish_early == 1.0
    assert storm.server_errors > 0
    assert storm.token_ttl < 900
    keys = [line.split(":")[0] for line in Faults.describe().splitlines()]
    assert {"429-seconds", "429-punish", "429-penalty"} <= set(keys)
    assert len(keys) == len(dataclasses.fields(Faults))
