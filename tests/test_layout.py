"""The layout of the code (docs/user_guide.rst, "Layout of the code"), read from every import statement.

Inside ``sktag``, a *unit* is a top-level module (``audio``, ``_devices``, ...) or
a subpackage with everything in it (``clips``, ``features``, ...). The rules:

1. A unit imports only units of its own layer or of the layers below it
   (:data:`LAYERS`), and the imports between units form no cycle.
2. A unit may import anything of its own, but of another unit only public names
   from public modules; the top-level infrastructure modules
   (:data:`INFRASTRUCTURE`) are the one exception: every unit may import their
   public names.
3. ``benchmarks/`` imports public names of public sktag modules only.

Imports inside functions and under ``if TYPE_CHECKING`` count like the others.
Tests may import private names of the module they test: ``tests/`` is not read.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: The units of sktag by layer, bottom first. A new module or subpackage must be placed here.
LAYERS = (
    {"_catalog", "_progress", "_ffmpeg", "_devices", "_runtime", "_deprecation", "metrics"},  # infrastructure
    {"audio", "nn", "runtime"},  # decoding; pure torch modules; the public face of _devices/_runtime
    {"weights", "datasets"},  # the checkpoint format; dataset loaders
    {"clips"},  # clips -> decoded segments -> batched network calls -> rows per clip
    {"features", "training"},  # the scikit-learn transformers; the skorch trainers
    {"extract", "hear", "bench"},  # jobs over collections, the HEAR API, the transfer benchmark
    {"cli"},  # the sktag command
    {"__main__", "__init__"},  # python -m sktag; the package's own lazy names
)
LEVEL = {unit: level for level, units in enumerate(LAYERS) for unit in units}
#: Private top-level modules that every unit may import (their public names).
INFRASTRUCTURE = frozenset({"_devices", "_runtime", "_progress", "_catalog", "_ffmpeg", "_deprecation"})


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(dotted: str) -> bool:
    """Whether ``dotted`` names a module or package of this repository (not a name defined in one)."""
    base = ROOT.joinpath(*dotted.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def imports(path: Path, source: str | None = None) -> list[tuple[int, str, str | None]]:
    """``(line, module, name)`` of every import of sktag in a file: ``name`` is ``None`` where a module is imported.

    Relative imports are resolved; ``from package import module`` imports the module.
    """
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(path.read_text() if source is None else source, filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            for alias in node.names:
                if _is_module(f"{base}.{alias.name}"):
                    found.append((node.lineno, f"{base}.{alias.name}", None))
                else:
                    found.append((node.lineno, base, alias.name))
    return [(line, target, name) for line, target, name in found if target == "sktag" or target.startswith("sktag.")]


def _unit(module: str) -> str:
    parts = module.split(".")
    return "__init__" if len(parts) == 1 else parts[1]


def violations(path: Path, source: str | None = None) -> tuple[list[str], set[tuple[str, str]]]:
    """What ``path`` (a file of sktag or benchmarks) does against the rules, and its unit-to-unit import edges."""
    relative = path.relative_to(ROOT).as_posix()
    in_package = relative.startswith("sktag/")
    unit = _unit(_module_name(path)) if in_package else None
    found, edges = [], set()
    if in_package and unit not in LEVEL:
        found.append(
            f"{relative}: unit {unit!r} has no layer; place it in LAYERS (tests/test_layout.py) and in "
            "the user guide's layout"
        )
    for line, target, name in imports(path, source):
        where = f"{relative}:{line}: imports {target}" + (f".{name}" if name else "")
        private_module = any(_is_private(part) for part in target.split(".")[1:])
        private_name = name is not None and _is_private(name)
        if not in_package:
            if private_module or private_name:
                found.append(f"{where}: benchmarks import public names of sktag only")
            continue
        other = _unit(target)
        if other == unit:
            continue
        if private_module and not (target == f"sktag.{other}" and other in INFRASTRUCTURE):
            found.append(f"{where}: a private module of another unit ({other})")
        if private_name:
            found.append(f"{where}: a private name of another unit ({other})")
        if other == "__init__" and name is not None and name.startswith("__"):
            continue  # the package's metadata (__version__)
        if other not in LEVEL:
            continue  # reported for that unit's own files
        edges.add((unit, other))
        if LEVEL[other] > LEVEL.get(unit, len(LAYERS)):
            found.append(
                f"{where}: an upward import ({unit} is in layer {LEVEL[unit]}, {other} in layer {LEVEL[other]})"
            )
    return found, edges


def cycles(edges: set[tuple[str, str]]) -> list[list[str]]:
    """The import cycles among units (each once, as a path that returns to its start)."""
    graph: dict[str, set[str]] = {}
    for source, target in edges:
        graph.setdefault(source, set()).add(target)
    found, seen = [], set()

    def visit(unit: str, path: list[str]) -> None:
        for target in sorted(graph.get(unit, ())):
            if target in path:
                cycle = path[path.index(target) :] + [target]
                key = frozenset(cycle)
                if key not in seen:
                    seen.add(key)
                    found.append(cycle)
            else:
                visit(target, path + [target])

    for unit in sorted(graph):
        visit(unit, [unit])
    return found


def test_every_module_keeps_the_layout():
    found, edges = [], set()
    for path in sorted((ROOT / "sktag").rglob("*.py")) + sorted((ROOT / "benchmarks").rglob("*.py")):
        file_found, file_edges = violations(path)
        found += file_found
        edges |= file_edges
    found += [f"import cycle between units: {' -> '.join(cycle)}" for cycle in cycles(edges)]
    assert not found, "\n".join(found)


# -- the checker itself fails where it should ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("relative", "source", "expected"),
    [
        ("sktag/nn/extra.py", "from ..features import SampleCNNFeatures\n", "upward import"),
        ("sktag/audio.py", "def f():\n    from .training import SampleCNNTagger\n", "upward import"),
        ("sktag/training/extra.py", "from ..features._base import NetworkFeatures\n", "private module of another unit"),
        (
            "sktag/hear.py",
            "from .clips.batching import map_segments as m, decode_ahead\nfrom .clips import _x\n",
            "private name of another unit",
        ),
        ("sktag/features/extra.py", "from ..weights import _private\n", "private name of another unit"),
        ("sktag/newthing.py", "import os\n", "has no layer"),
        ("benchmarks/extra.py", "from sktag._devices import autocast\n", "public names of sktag only"),
        ("benchmarks/extra.py", "from sktag.features import _logmel\n", "public names of sktag only"),
        ("benchmarks/extra.py", "import sktag._runtime\n", "public names of sktag only"),
    ],
)
def test_the_checker_finds_a_violation(relative, source, expected):
    found, _ = violations(ROOT / relative, source)
    assert any(expected in item for item in found), found


@pytest.mark.parametrize(
    ("relative", "source"),
    [
        ("sktag/features/extra.py", "from ._base import NetworkFeatures\nfrom .._devices import autocast\n"),
        ("sktag/clips/extra.py", "from .. import audio, weights\nfrom .._progress import Progress\n"),
        ("sktag/extract.py", "from . import __version__\n"),
        ("benchmarks/extra.py", "from sktag.clips import map_segments\nfrom sktag.runtime import autocast\n"),
    ],
)
def test_the_checker_passes_what_the_rules_allow(relative, source):
    assert violations(ROOT / relative, source)[0] == []


def test_the_checker_finds_a_cycle():
    assert cycles({("features", "training"), ("training", "clips"), ("clips", "features")}) == [
        ["clips", "features", "training", "clips"]
    ]
    assert cycles({("features", "clips"), ("training", "clips")}) == []
