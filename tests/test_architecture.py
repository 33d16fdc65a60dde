"""The layers of `pyproject.toml`'s import-linter contracts hold, and break when they should:
a copy of the code with one import that crosses a line fails `lint-imports`, naming the
contract it breaks."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(tree):
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def code_copy(tmp_path):
    for package in ("guidance", "lems_site"):
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


def add_import(module_file, line):
    module_file.write_text(module_file.read_text() + f"\n{line}\n")


def test_the_code_as_it_is_keeps_every_contract(code_copy):
    result = lint_imports(code_copy)
    assert result.returncode == 0, result.stdout
    assert "4 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("guidance/engine/dosing.py", "import django.db", "The engine knows nothing of Django"),
        (
            "guidance/content/revisions.py",
            "from guidance.encounters import workflow",
            "Each part builds only on those below it",
        ),
        (
            "guidance/encounters/workflow.py",
            "from guidance.fhir import document",
            "Each part builds only on those below it",
        ),
        (
            "guidance/encounters/workflow.py",
            "from guidance.encounters import views",
            "never import a view",
        ),
        ("guidance/engine/dosing.py", "from guidance.engine import pathway", "No import cycles"),
    ],
)
def test_an_import_across_a_line_breaks_the_contract_that_protects_it(
    code_copy, module, line, contract
):
    add_import(code_copy / module, line)

    result = lint_imports(code_copy)

    assert result.returncode != 0
    broken = result.stdout.split("Broken contracts", 1)[1]
    assert contract in broken
