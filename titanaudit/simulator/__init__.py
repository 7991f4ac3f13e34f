"""A ServiceTitan stand-in: a synthetic tenant generator with known truth, and a real HTTP server.

>>> from titanaudit.simulator import TenantSpec, generate_tenant, SimulatorServer, SimulatorState
>>> tenant = generate_tenant(TenantSpec(customers=200, seed=1))
>>> with SimulatorServer(SimulatorState(tenant)) as server:   # doctest: +SKIP
...     print(server.url)
"""

from titanaudit.simulator.faults import Faults
from titanaudit.simulator.generate import TenantSpec, generate_tenant
from titanaudit.simulator.server import SimulatorServer, SimulatorState, create_app
from titanaudit.simulator.tenant import RECORD_FEEDS, Tenant

__all__ = [
    "RECORD_FEEDS",
    "Faults",
    "SimulatorServer",
    "SimulatorState",
    "Tenant",
    "TenantSpec",
    "create_app",
    "generate_tenant",
]
