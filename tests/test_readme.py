"""The README's promises: its first lines, its two make targets, and every command it shows."""

from __future__ import annotations

import csv
import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from playwright.sync_api import Browser

from tests.browser import open_page
from titanaudit.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def readme_commands() -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", README, flags=re.DOTALL)
    lines = [line.split("#")[0].strip() for block in blocks for line in block.splitlines()]
    inline = re.findall(r"`(titanaudit [^`]+)`", README)
    return [line for line in [*lines, *inline] if line.startswith("titanaudit ")]


def test_the_first_lines_give_make_demo_and_make_test() -> None:
    first = "\n".join(README.splitlines()[:6])
    assert "make demo" in first
    assert "make test" in first


@pytest.mark.parametrize("line", readme_commands())
def test_every_readme_command_exists_with_its_options(line: str) -> None:
    words = [w.strip("[]") for w in shlex.split(line)[1:]]
    path = [w for w in words[:2] if not w.startswith("-")]
    if len(path) == 2 and not isinstance(main.commands.get(path[0]), click.Group):
        path = path[:1]
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    for option in (w.split("=")[0] for w in words if w.startswith("--")):
        assert option in result.output, f"{line}: {option} is not an option of {' '.join(path)}"


def test_readme_commands_were_found() -> None:
    assert len(readme_commands()) >= 5


@pytest.mark.slow
def test_make_demo_runs(browser: Browser, tmp_path: Path) -> None:
    # in a copy of the checkout's Makefile beside its installed .venv, so a user's own
    # demo-output/ (with decisions imported into it) is never overwritten by the tests
    shutil.copy2(ROOT / "Makefile", tmp_path / "Makefile")
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    result = subprocess.run(
        ["make", "--no-print-directory", "-o", ".venv/.installed", "demo"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    printed = [line for line in result.stdout.splitlines() if line.endswith("snapshot.sqlite")]
    assert printed, result.stdout
    path = tmp_path / printed[-1]
    assert path.exists() and path.is_relative_to(tmp_path / "demo-output")
    assert "customers" in result.stderr
    assert "Pre-import check of" in result.stderr and "of the existing rows found" in result.stderr
    assert (path.parent / "import-check" / "checked.csv").exists()
    # one count of findings everywhere: the terminal, both findings files, audit.json, the page
    said = re.search(r"Data-quality findings: ([\d,]+)", result.stderr)
    assert said, result.stderr
    count = int(said.group(1).replace(",", ""))
    audit = path.parent / "audit"
    for findings in (path.parent / "findings.csv", audit / "findings.csv"):
        with findings.open(newline="", encoding="utf-8") as handle:
            assert sum(1 for _ in csv.DictReader(handle)) == count, findings
    assert json.loads((audit / "audit.json").read_text())["findings"]["total"] == count
    # the demo's review page opens in Chromium without an error and draws its clusters
    page = [line for line in result.stdout.splitlines() if line.endswith("index.html")]
    assert page, result.stdout
    report = tmp_path / page[-1]
    with open_page(browser, report) as opened:
        assert opened.tab.locator("div.cluster").count() > 0
        assert opened.tab.locator("#finding-rows tr").count() > 0
        shown = opened.tab.locator("#finding-count").inner_text()
        assert int(shown.split()[0].replace(",", "")) == count, shown


def test_the_exit_code_table_lists_every_code_the_command_line_uses() -> None:
    from titanaudit.cli.base import EXIT_CODES_HELP

    table = set(re.findall(r"^\| (\d+) \|", README, flags=re.MULTILINE))
    said = set(re.findall(r"(\d+) [A-Za-z]", EXIT_CODES_HELP.replace("\n", " ")))
    assert (
        table == said == {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "130"}
    )
