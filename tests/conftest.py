"""Shared fixtures: real generated tenants, real simulator servers on free loopback ports."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.browser import FLAGS, chromium
from titanaudit.frames import Frames
from titanaudit.simulator import (
    SimulatorServer,
    SimulatorState,
    Tenant,
    TenantSpec,
    generate_tenant,
)
from titanaudit.testing import frames_from_tenant

SECRET = "cs1.simulator-secret"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Chromium for the whole run (see :mod:`tests.browser`)."""
    executable = chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True, args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def base_tenant() -> Tenant:
    return generate_tenant(TenantSpec(customers=400, seed=11))


#: the larger tenant the accuracy tests share: generated once per run, never changed by a test
LARGE = TenantSpec(customers=3000, seed=23)


@pytest.fixture(scope="session")
def large_tenant() -> Tenant:
    return generate_tenant(LARGE)


@pytest.fixture(scope="session")
def large_frames(large_tenant: Tenant, tmp_path_factory: pytest.TempPathFactory) -> Frames:
    """:data:`LARGE`'s records as a snapshot's frames (written to a snapshot and read back)."""
    return frames_from_tenant(large_tenant, tmp_path_factory.mktemp("large") / "t.sqlite")


@pytest.fixture
def tenant(base_tenant: Tenant) -> Tenant:
    """A fresh copy per test, so a test may change it."""
    return copy.deepcopy(base_tenant)


@pytest.fixture
def serve() -> Iterator[Callable[..., SimulatorServer]]:
    """Start simulators for a test (``serve(tenant, faults=..., ...)``); all stop afterwards."""
    servers: list[SimulatorServer] = []

    def start(tenant: Tenant, **state: Any) -> SimulatorServer:
        state.setdefault("export_page_size", 100)
        server = SimulatorServer(SimulatorState(tenant, **state)).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def records_by_id(records: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {int(r["id"]): r for r in records}
