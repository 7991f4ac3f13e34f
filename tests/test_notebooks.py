"""Every notebook in notebooks/ runs top to bottom on the demo tenant (no credentials), through a
real Jupyter kernel, as an analyst would run it; and uses only titanaudit's public API."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import titanaudit
from titanaudit.simulator import SimulatorServer, Tenant
from titanaudit.testing import simulator_env

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


def test_there_are_the_three_notebooks() -> None:
    assert [n.stem for n in NOTEBOOKS] == [
        "01_monthly_audit",
        "02_preimport_check",
        "03_tuning_matching",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_without_outputs_and_public_api_only(path: Path) -> None:
    book = json.loads(path.read_text())
    code = [c for c in book["cells"] if c["cell_type"] == "code"]
    assert all(not c["outputs"] and c["execution_count"] is None for c in code)
    source = "\n".join("".join(c["source"]) for c in code)
    assert not re.search(r"from titanaudit\.|import titanaudit\.", source)  # no private modules
    used = set(re.findall(r"titanaudit\.([A-Za-z_]+)", source))
    assert used <= set(titanaudit.__all__), used - set(titanaudit.__all__)


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_runs_top_to_bottom(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [k for k in os.environ if k.startswith("ST_")]:
        monkeypatch.delenv(name)  # the demo tenant, whatever this machine has set
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the inline backend, as in Jupyter
    book = nbformat.read(path, as_version=4)
    NotebookClient(
        book, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    outputs = [o for c in book.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert (tmp_path / "notebook-output").is_dir()
    charts = [o for o in outputs if "image/png" in o.get("data", {})]
    assert charts or path.stem == "02_preimport_check"  # the charts were drawn


@pytest.mark.slow
def test_with_credentials_it_fetches_the_tenant(
    tenant: Tenant,
    serve: Callable[..., SimulatorServer],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The credentials path, against the simulator standing in for ServiceTitan."""
    server = serve(tenant)
    for name, value in simulator_env(server).items():
        monkeypatch.setenv(name, value)
    settings = tmp_path / "servicetitan.toml"
    settings.write_text(
        f'[servicetitan]\napi_url = "{server.url}"\nauth_url = "{server.url}"\n'
        "[fetch]\nbackoff_base = 0.02\nbackoff_cap = 0.2\n"
    )
    monkeypatch.setenv("TITANAUDIT_CONFIG", str(settings))
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the inline backend, as in Jupyter
    book = nbformat.read(NOTEBOOKS[0], as_version=4)
    NotebookClient(
        book, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    assert (tmp_path / "notebook-output" / "tenant.sqlite").exists()
    assert not (tmp_path / "notebook-output" / "demo").exists()
