"""The package's shape, read from its code (imports inside functions included), held to what
ARCHITECTURE.md draws: each layer imports only the layers below it, no module imports another in
a circle, no module is over 600 lines, no private name crosses a module, the formatter is on
almost everywhere, and fake data stays in the simulator."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "titanaudit"

#: ARCHITECTURE.md's layers, bottom first: a part may import its own modules and those of the
#: layers below it, never those beside or above it
LAYERS = [
    ["__version__", "errors", "defaults", "display", "fields", "schema"],
    ["clock", "config", "privacy", "loopback", "runlock", "tables"],
    ["store"],
    ["frames", "servicetitan"],
    ["export", "progress", "decisions", "delivery"],
    ["dedupe", "review"],
    ["rules", "simulator", "preimport"],
    ["audit_result", "testing"],
    ["reports"],
    ["audit"],
    ["monthly", "demo"],
    ["cli", "__init__"],
    ["__main__"],
]
LAYER = {part: level for level, parts in enumerate(LAYERS) for part in parts}


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path


def _part(module: str) -> str:
    """The layer part a module belongs to: ``titanaudit.dedupe.compare`` is ``dedupe``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path: Path) -> Iterator[tuple[str, list[str], int]]:
    """(module, names, line) of every import of titanaudit in ``path``, lazy ones too."""
    for node in ast.walk(ast.parse(path.read_text())):
        if (
            isinstance(node, ast.ImportFrom)
            and node.module
            and node.module.startswith("titanaudit")
        ):
            names = [a.name for a in node.names]
            if node.module == "titanaudit":  # `from titanaudit import x` names a part
                for name in names:
                    yield f"titanaudit.{name}", [], node.lineno
            else:
                yield node.module, names, node.lineno
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("titanaudit"):
                    yield alias.name, [], node.lineno


def test_every_part_has_a_layer() -> None:
    parts = {_part(module) for module, _ in _modules()}
    assert parts == set(LAYER), parts ^ set(LAYER)


def test_each_layer_imports_only_the_layers_below_it() -> None:
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {target}"
        for module, path in _modules()
        for target, _, line in _imports(path)
        if _part(target) != _part(module) and LAYER[_part(target)] >= LAYER[_part(module)]
    ]
    assert not wrong, "\n".join(wrong)


def test_no_module_imports_another_in_a_circle() -> None:
    known = dict(_modules())
    graph = {
        module: {t for t, _, _ in _imports(path) if t in known and t != module}
        for module, path in known.items()
    }
    state: dict[str, int] = {}  # 1: on the path being walked, 2: done

    def walk(module: str, trail: list[str]) -> list[str] | None:
        state[module] = 1
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                return [*trail, module, target]
            if target not in state and (circle := walk(target, [*trail, module])):
                return circle
        state[module] = 2
        return None

    for module in sorted(graph):
        if module not in state:
            circle = walk(module, [])
            assert circle is None, " -> ".join(circle or [])


def test_no_module_is_over_600_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): lines
        for _, path in _modules()
        if (lines := len(path.read_text().splitlines())) > 600
    }
    assert not long, long


def test_no_private_name_is_imported_across_modules() -> None:
    private = [
        f"{path.relative_to(ROOT)}:{line} imports {name} from {target}"
        for _, path in _modules()
        for target, names, line in _imports(path)
        for name in names
        if name.startswith("_") and not name.startswith("__")
    ]
    assert not private, "\n".join(private)


def test_the_formatter_is_on_almost_everywhere() -> None:
    sources = [
        *PACKAGE.rglob("*.py"),
        *(ROOT / "tests").rglob("*.py"),
        *(ROOT / "benchmarks").rglob("*.py"),
    ]
    marked = sum(path.read_text().count("# fmt: " + "skip") for path in sources)
    assert marked <= 20, f"{marked} formatter markers; keep them for tables whose alignment matters"


def test_fake_data_stays_in_the_simulator() -> None:
    fakers = ("faker", "mimesis")
    outside = [
        f"{path.relative_to(ROOT)}"
        for path in [*PACKAGE.rglob("*.py"), *(ROOT / "tests").rglob("*.py")]
        if "simulator" not in path.parts
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Import | ast.ImportFrom)
        and any(
            (getattr(node, "module", None) or alias.name).split(".")[0] in fakers
            for alias in node.names
        )
    ]
    assert not outside, outside
