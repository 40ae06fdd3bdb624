"""The shape of the code, checked: the dependency rule, no reach into another package's private
modules, and modules small enough to read in one sitting."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = sorted(
    p.name
    for p in ROOT.iterdir()
    if (p / "__init__.py").is_file() and p.name not in {"tests", ".venv", ".ci-venv"}
)
MAX_LINES = 400
# Migrations are a history of the schema: each revision stays as it was written.
UNBOUNDED = {"migrations", "tests"}


def _modules() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def _imported(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def test_the_package_list_is_the_one_the_contracts_name() -> None:
    assert {"access", "api", "community", "council", "db", "ledger", "rewards"} <= set(PACKAGES)


def test_no_module_imports_another_packages_private_module() -> None:
    crossings = []
    for path in _modules():
        own = path.relative_to(ROOT).parts[0]
        for name in _imported(path):
            parts = name.split(".")
            if parts[0] in PACKAGES and parts[0] != own:
                # "_" is the catalogue's marker (from i18n import _), no private module
                private = [p for p in parts[1:] if p.startswith("_") and p != "_"]
                if private:
                    crossings.append(f"{path.relative_to(ROOT)} imports {name}")
    assert crossings == []


def test_no_module_outside_migrations_is_longer_than_the_limit() -> None:
    long = [
        f"{path.relative_to(ROOT)}: {n} lines"
        for path in _modules()
        if path.relative_to(ROOT).parts[0] not in UNBOUNDED
        and (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    ]
    assert long == []


def test_no_use_case_hides_in_a_route_handler() -> None:
    closures = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in (ROOT / "api").rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.AsyncFunctionDef) and node.name == "use_case"
    ]
    assert closures == []


def test_no_file_refers_outside_the_project() -> None:
    outside = "../" + "shared"
    found = [
        str(path.relative_to(ROOT))
        for path in [ROOT / "README.md", *ROOT.glob("docs/**/*.md"), *_modules()]
        if outside in path.read_text(encoding="utf-8")
    ]
    assert found == []


def test_the_import_contracts_hold() -> None:
    # import-linter is a test extra; look beside this interpreter first (a venv not activated)
    beside = Path(sys.executable).parent / "lint-imports"
    command = str(beside) if beside.exists() else shutil.which("lint-imports") or "lint-imports"
    result = subprocess.run(  # noqa: S603 - our own tool, our own config
        [command, "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
