"""No module imports another module's private names (``_name``): what is shared is public."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "plugins", "tenants", "bench", "tests")


def _private_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] not in ("core", "plugins", "tenants", "tests", "bench"):
                continue
            parts = node.module.split(".")
            for alias in node.names:
                name = alias.name
                if (name.startswith("_") and not name.startswith("__")) or any(
                    p.startswith("_") and not p.startswith("__") for p in parts
                ):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: from {node.module} import {name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] in PACKAGES and any(p.startswith("_") and not p.startswith("__") for p in parts):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: import {alias.name}")
    return found


def test_no_module_imports_a_private_name_of_another():
    files = [
        path for package in PACKAGES for path in (ROOT / package).rglob("*.py") if ".venv" not in path.parts
    ]
    assert len(files) > 100  # the walk found the project
    offenders = [line for path in files for line in _private_imports(path)]
    assert offenders == []


def test_the_check_sees_a_private_import(tmp_path):
    planted = ROOT / "core" / "_planted_for_test.py"
    planted.write_text("from core.store.cases import _private\nimport core._hidden\n", encoding="utf-8")
    try:
        assert len(_private_imports(planted)) == 2
    finally:
        planted.unlink()
