"""``titanaudit simulator serve`` and ``generate``: the ServiceTitan stand-in."""

from __future__ import annotations

import contextlib
from pathlib import Path

import click

from titanaudit.cli.base import (
    main,
)
from titanaudit.simulator.faults import Faults

__all__ = ["simulator"]


@main.group()
def simulator() -> None:
    """A ServiceTitan stand-in for tests and demos (no credentials needed)."""


@simulator.command("serve", epilog="\b\nFault keys (--faults KEY=VALUE,...):\n" + Faults.describe())
@click.option(
    "--customers",
    type=click.IntRange(min=10),
    default=1000,
    show_default=True,
    help="Size of the generated tenant.",
)
@click.option(
    "--seed", type=int, default=0, show_default=True, help="Seed of the generated tenant."
)
@click.option(
    "--tenant-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Serve this tenant (FEED.jsonl files, as `export` or `simulator generate` write) instead of generating one.",
)
@click.option(
    "--tenant-id",
    type=int,
    help="Tenant id to serve a --tenant-dir under (default: its truth.json's, else 1234567).",
)
@click.option(
    "--faults",
    default="none",
    show_default=True,
    help="all, storm (a rate-limit storm), none, or KEY=VALUE,... (see below).",
)
@click.option("--port", type=int, default=0, help="Port on 127.0.0.1 (default: any free port).")
@click.option(
    "--page-size",
    type=click.IntRange(min=1),
    default=1000,
    show_default=True,
    help="Records per export page.",
)
@click.option(
    "--visibility-delay",
    type=float,
    default=900.0,
    show_default=True,
    help="Seconds before a changed record shows in exports without includeRecentChanges.",
)
def simulator_serve(
    customers: int,
    seed: int,
    tenant_dir: Path | None,
    tenant_id: int | None,
    faults: str,
    port: int,
    page_size: int,
    visibility_delay: float,
) -> None:
    """Serve a tenant on a loopback port until Ctrl-C.

    Prints the environment variables that point `titanaudit fetch` (or your own script) at it.
    """
    from titanaudit.simulator import (
        SimulatorServer,
        SimulatorState,
        Tenant,
        TenantSpec,
        generate_tenant,
    )

    fault_spec = Faults.parse(faults)
    tenant = (
        Tenant.load(tenant_dir, tenant_id=tenant_id)
        if tenant_dir
        else generate_tenant(TenantSpec(customers=customers, seed=seed))
    )
    state = SimulatorState(
        tenant, faults=fault_spec, export_page_size=page_size, visibility_delay=visibility_delay
    )
    server = SimulatorServer(state, port=port, log_level="warning")
    click.echo(
        f"ServiceTitan simulator serving tenant {tenant.tenant_id} ({len(tenant)} records) at {server.url}"
    )
    click.echo(
        f"export ST_CLIENT_ID={state.client_id} ST_CLIENT_SECRET={state.client_secret} "
        f"ST_APP_KEY={state.app_key} ST_TENANT_ID={tenant.tenant_id}"
    )
    click.echo(
        f"titanaudit fetch --db snapshot.sqlite --api-url {server.url} --auth-url {server.url}"
    )
    click.echo("Ctrl-C stops it.")
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


@simulator.command("generate")
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for FEED.jsonl files and truth.json.",
)
@click.option(
    "--customers",
    type=click.IntRange(min=10),
    default=1000,
    show_default=True,
    help="Size of the tenant.",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Seed; the same seed gives the same tenant.",
)
def simulator_generate(out: Path, customers: int, seed: int) -> None:
    """Write a generated tenant and its truth (planted duplicates and problems) to a folder."""
    from titanaudit.simulator import TenantSpec, generate_tenant

    tenant = generate_tenant(TenantSpec(customers=customers, seed=seed))
    tenant.save(out)
    click.echo(out)
