"""The shape of the code, enforced: which way imports go (.importlinter), no import cycles,
and pages that stay thin. Part of the README's test command, so CI fails when a layer breaks."""
from __future__ import annotations

import ast
import configparser
import re
import shutil
import subprocess
import sys
from pathlib import Path

import grimp

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIG = PROJECT_ROOT / ".importlinter"


def lint_imports_executable() -> str:
    beside_python = Path(sys.executable).with_name("lint-imports")
    found = str(beside_python) if beside_python.exists() else shutil.which("lint-imports")
    assert found, "lint-imports is missing: pip install -r requirements-dev.txt"
    return found


def test_import_linter_contracts_are_kept():
    result = subprocess.run([lint_imports_executable(), "--config", str(CONFIG), "--no-cache"], cwd=PROJECT_ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_every_part_of_helpdesk_has_a_place_in_the_layers():
    """A new package or module must be given its layer, or the contract says nothing about it."""
    parser = configparser.ConfigParser()
    parser.read(CONFIG)
    layered = {name.strip() for line in parser["importlinter:contract:layers"]["layers"].splitlines()
               for name in line.split("|") if name.strip()}
    graph = grimp.build_graph("helpdesk")
    top_level = {module for module in graph.find_children("helpdesk")}
    assert top_level - layered == set(), "add these to the layers in .importlinter"


def test_no_import_cycles_between_modules():
    graph = grimp.build_graph("helpdesk")
    cycles = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back:
                cycles.append(" -> ".join((importer, *back)))
    assert cycles == []


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_pages_import_no_sqlalchemy():
    """Pages are scripts, not a package, so import-linter can't see them: read their imports.
    A page reads widgets, calls services inside one session_scope and renders; no SQL."""
    scripts = sorted((PROJECT_ROOT / "pages").rglob("*.py")) + [PROJECT_ROOT / "streamlit_app.py"]
    assert len(scripts) > 10
    offenders = {str(path.relative_to(PROJECT_ROOT)): sorted(m for m in _imported_modules(path)
                                                             if m.split(".")[0] == "sqlalchemy")
                 for path in scripts}
    assert {page: found for page, found in offenders.items() if found} == {}


def test_every_address_has_its_first_request_file_and_nothing_else_is_at_the_top_of_pages():
    """Screens live in pages/<audience>/. A freshly started server serves the first request from
    pages/<address>.py (helpdesk/ui/__init__.py), so each registered address has that file, and
    it holds nothing but the import that hands over to streamlit_app.py."""
    addresses = set(re.findall(r'url_path="([a-z_]+)"', (PROJECT_ROOT / "helpdesk/ui/navigation.py").read_text()))
    assert len(addresses) > 10
    top_level = {path.stem: path for path in (PROJECT_ROOT / "pages").glob("*.py")}
    assert set(top_level) == addresses
    for path in top_level.values():
        assert _imported_modules(path) == {"helpdesk.ui"}, path
        assert len(ast.parse(path.read_text()).body) == 2, path  # the docstring and the import
