"""The house's one-way structure, read from the imports of its modules (lazy imports inside functions included).

Doors (api/, open311/) parse, call services/ and render: they open no connection and know no SQL, so rights
decided in the services one day cannot be walked around. The rules of workorders/ are plain Python.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

# package → the top-level packages its modules must never import
FORBIDDEN = {
    "api": ("geo", "sqlalchemy", "psycopg2", "redis", "events"),
    "open311": ("geo", "sqlalchemy", "psycopg2", "redis", "events", "api"),
    "workorders": ("geo", "services", "api", "open311", "callbacks", "screens", "events", "etl", "flask", "dash",
                   "sqlalchemy"),
}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every absolute import in the file, wherever it stands."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def crossings(package: str) -> list[str]:
    forbidden = FORBIDDEN[package]
    return [f"{path.relative_to(ROOT)}:{line} imports {module}"
            for path in sorted((ROOT / package).rglob("*.py"))
            for line, module in imported_modules(path)
            if module.split(".")[0] in forbidden]


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_package_imports_what_its_rules_forbid(package):
    assert crossings(package) == []


def test_the_walk_sees_lazy_imports(tmp_path):
    module = tmp_path / "door.py"
    module.write_text("import json\n\ndef view():\n    from geo.db import get_engine\n    import geo.tickets\n")
    assert imported_modules(module) == [(1, "json"), (4, "geo.db"), (5, "geo.tickets")]
