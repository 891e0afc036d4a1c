"""Every hookspec has a caller in the product, where its docstring says it is called.

A hook nothing calls is a promise to integrators that the platform does not keep: a plugin's
routing table or statistics dimensions would be declared and never used.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from core import hookspecs

ROOT = Path(__file__).resolve().parent.parent
FACADE = ROOT / "core" / "plugins.py"
NOT_THE_PRODUCT = {ROOT / "core" / "sdk" / "testing.py", ROOT / "core" / "sdk" / "samples.py", FACADE}


def _specs() -> set[str]:
    return {name for name in dir(hookspecs) if name.startswith("hy_")}


def _facade_methods() -> dict[str, str]:
    """Hookspec name -> the TenantHooks / PluginRegistry method that calls it."""
    found = {}
    for node in ast.walk(ast.parse(FACADE.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef):
            for spec in re.findall(r"\b(hy_\w+)\b", ast.unparse(node)):
                found.setdefault(spec, node.name)
    return found


def _uncalled() -> set[str]:
    product = "\n".join(
        path.read_text(encoding="utf-8")
        for path in (ROOT / "core").rglob("*.py")
        if path not in NOT_THE_PRODUCT and "migrations" not in path.parts
    )
    methods = _facade_methods()
    return {
        spec for spec in _specs() if spec not in methods or not re.search(rf"\.{methods[spec]}\(", product)
    }


def test_every_hookspec_has_a_caller_in_the_product():
    assert _specs(), "no hookspecs found"
    assert _uncalled() == set()
