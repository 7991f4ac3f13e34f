"""Helpers for testing scripts against the simulator, offline (used by titanaudit's own tests).

>>> from titanaudit.testing import simulator_config
>>> # with SimulatorServer(state) as server: config = simulator_config(server)
"""

from __future__ import annotations

import dataclasses
from typing import Any

from titanaudit.config import Config, load_config
from titanaudit.simulator.server import SimulatorServer

__all__ = ["simulator_config", "simulator_env"]


def simulator_env(server: SimulatorServer) -> dict[str, str]:
    """The ``ST_*`` variables that let a client into ``server``'s tenant."""
    state = server.state
    return {
        "ST_CLIENT_ID": state.client_id,
        "ST_CLIENT_SECRET": state.client_secret,
        "ST_APP_KEY": state.app_key,
        "ST_TENANT_ID": str(state.tenant.tenant_id),
    }


def simulator_config(server: SimulatorServer, **fetch: Any) -> Config:
    """A :class:`Config` pointing at ``server``, with fast backoff unless ``fetch`` says otherwise."""
    config = load_config(api_url=server.url, auth_url=server.url, env=simulator_env(server))
    settings = {"backoff_base": 0.02, "backoff_cap": 0.2, **fetch}
    return dataclasses.replace(config, fetch=dataclasses.replace(config.fetch, **settings))
