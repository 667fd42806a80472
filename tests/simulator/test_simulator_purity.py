"""The simulator is a pure library: no Django, only stdlib and PyYAML."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SIMULATOR = Path(__file__).resolve().parents[2] / "simulator"
ALLOWED_THIRD_PARTY = {"yaml"}
OTHER_OWNERS = {"ha", "api"}  # packages built on the core by other engineers


def _imported_top_levels(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_no_simulator_module_imports_django() -> None:
    offenders = [str(p.relative_to(SIMULATOR.parent)) for p in sorted(SIMULATOR.rglob("*.py"))
                 if "django" in _imported_top_levels(p)]
    assert offenders == []


def test_simulator_core_imports_only_stdlib_and_pyyaml() -> None:
    stdlib = set(sys.stdlib_module_names)
    for path in sorted(SIMULATOR.rglob("*.py")):
        if path.relative_to(SIMULATOR).parts[0] in OTHER_OWNERS:
            continue  # their own rules; the django checks still cover them
        extra = _imported_top_levels(path) - stdlib - ALLOWED_THIRD_PARTY - {"simulator"}
        assert extra == set(), f"{path}: imports {sorted(extra)}"


def test_importing_every_simulator_module_never_loads_django() -> None:
    modules = sorted(
        ".".join(p.relative_to(SIMULATOR.parent).with_suffix("").parts).removesuffix(".__init__")
        for p in SIMULATOR.rglob("*.py") if p.name != "__main__.py"
    )
    # Modules other engineers are still writing may fail to import for their own
    # reasons; that is their tests' business. Here only Django matters.
    code = ("import importlib, sys\n"
            f"for name in {modules!r}:\n"
            "    try:\n"
            "        importlib.import_module(name)\n"
            "    except Exception as exc:\n"
            "        print('FAILED', name, repr(exc), file=sys.stderr)\n"
            "print('django' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=SIMULATOR.parent, check=True)
    assert out.stdout.strip() == "False"
    assert "django" not in out.stderr.lower()
