"""The web app is a shell over the core's public face: it imports only what `screening` exports."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import screening

ROOT = Path(__file__).resolve().parent.parent
SHELL = sorted([ROOT / "app.py", *(ROOT / "app_pages").rglob("*.py")])


def core_imports(path: Path) -> list[str]:
    """Each import of the core in a file, as `module: name`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("screening"):
            found += [f"{node.module}: {alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [f"{a.name}: *" for a in node.names if a.name.startswith("screening")]
    return found


class TestTheAppImportsOnlyThePublicCore:
    """Every name the app takes from the core is one `screening/__init__.py` exports."""

    @pytest.mark.parametrize("path", SHELL, ids=lambda p: p.relative_to(ROOT).as_posix())
    def test_each_import_of_the_core_is_from_the_package_and_exported(self, path: Path) -> None:
        imports = core_imports(path)
        assert [i for i in imports if i != "screening: *" and not i.startswith("screening: ")] == []
        assert [i for i in imports if i.split(": ")[1] not in {*screening.__all__, "*"}] == []

    def test_every_exported_name_can_be_read(self) -> None:
        assert [n for n in screening.__all__ if not hasattr(screening, n)] == []

    def test_importing_the_core_leaves_pandas_and_the_pdf_library_unloaded(self) -> None:
        """The command line starts without them; they load when a table or PDF is first made."""
        code = "import sys, screening; print(sorted({'pandas', 'fpdf'} & set(sys.modules)))"
        run = [sys.executable, "-c", code]
        out = subprocess.run(run, check=False, capture_output=True, text=True, cwd=ROOT)
        assert out.stdout.strip() == "[]", out.stderr
