"""`pip install .` gives a working `screening` from any folder, holding only what it runs.

The installed tests build the package into a fresh virtual environment (tests/install_helpers.py,
offline: the dependencies come from the test environment), then run it from a temporary
folder with a clean environment, as a site would. The declaration tests hold pyproject.toml,
requirements.txt and what `screening/` imports in step.
"""

from __future__ import annotations

import ast
import sys
import tomllib
from collections.abc import Iterable
from importlib.metadata import PackageNotFoundError, packages_distributions, requires
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import screening
from tests.conftest import screening as checkout_screening
from tests.conftest import write_answers
from tests.install_helpers import REPOSITORY, run

PYPROJECT = tomllib.loads((REPOSITORY / "pyproject.toml").read_text(encoding="utf-8"))
OWN_MODULES = {"screening", "app_pages"}
DASK = {"dask", "distributed"}
"""What only `--engine dask` imports, from the `dask` extra."""
APP_ONLY = {"streamlit"}
"""What requirements.txt holds for the Streamlit app alone (make run), not for the package."""
DEV_TOOLS = {"pytest", "pytest-xdist", "hypothesis", "mypy", "ruff", "playwright", "mutmut"}


def requirement_lines(path: Path) -> dict[str, Requirement]:
    """A requirements file's requirements by normalised name (comments and -r lines left out)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found = [Requirement(line) for line in lines if line.strip() and line[0] not in "#-"]
    return {canonicalize_name(r.name): r for r in found}


def declared(*extras: str) -> dict[str, Requirement]:
    """pyproject.toml's dependencies, or those of the extras named (all of them when none
    is), by normalised name."""
    project = PYPROJECT["project"]
    optional = project["optional-dependencies"]
    chosen = [optional[extra] for extra in extras] or [project["dependencies"], *optional.values()]
    lines = [line for group in chosen for line in group]
    return {canonicalize_name(Requirement(line).name): Requirement(line) for line in lines}


def base() -> list[Requirement]:
    return [Requirement(line) for line in PYPROJECT["project"]["dependencies"]]


def installed_with(requirements: Iterable[Requirement]) -> set[str]:
    """Every distribution these requirements bring, theirs included (extras and markers
    followed as pip would here), by normalised name."""
    seen: set[tuple[str, frozenset[str]]] = set()
    waiting = list(requirements)
    while waiting:
        requirement = waiting.pop()
        name = canonicalize_name(requirement.name)
        key = (name, frozenset(requirement.extras))
        if key in seen:
            continue
        seen.add(key)
        try:
            lines = requires(name) or []
        except PackageNotFoundError:  # not for this platform or Python: nothing it brings
            continue
        for line in lines:
            needed = Requirement(line)
            extras = requirement.extras or {""}
            if needed.marker is None or any(needed.marker.evaluate({"extra": e}) for e in extras):
                waiting.append(needed)
    return {name for name, _ in seen}


def imported_libraries(*paths: Path) -> dict[str, set[str]]:
    """Each top-level module the Python files under `paths` import from outside the standard
    library and this repository, with the files importing it (deferred imports included)."""
    found: dict[str, set[str]] = {}
    files = [file for path in paths for file in ([path] if path.is_file() else path.rglob("*.py"))]
    for path in sorted(files):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in OWN_MODULES and top not in sys.stdlib_module_names:
                    found.setdefault(top, set()).add(str(path.relative_to(REPOSITORY)))
    return found


def not_brought(modules: dict[str, set[str]], brought: set[str]) -> dict[str, list[str]]:
    """The modules no distribution in `brought` provides, with the files importing them."""
    distributions = packages_distributions()
    return {
        module: sorted(files)
        for module, files in modules.items()
        if not {canonicalize_name(d) for d in distributions.get(module, [module])} & brought
    }


class TestDeclaredDependencies:
    """The package declares what it imports, and the site's install holds no development tool."""

    def test_every_library_the_package_imports_comes_with_its_dependencies(self) -> None:
        imports = imported_libraries(REPOSITORY / "screening")
        core = {module: files for module, files in imports.items() if module not in DASK}
        assert not_brought(core, installed_with(base())) == {}, (
            "add these to pyproject.toml [project] dependencies"
        )

    def test_dask_comes_with_the_dask_extra(self) -> None:
        imports = imported_libraries(REPOSITORY / "screening")
        dask = {module: files for module, files in imports.items() if module in DASK}
        assert set(dask) == DASK
        brought = installed_with([*base(), *declared("dask").values()])
        assert not_brought(dask, brought) == {}

    def test_every_library_the_app_imports_comes_with_make_run(self) -> None:
        runtime = requirement_lines(REPOSITORY / "requirements.txt").values()
        app = imported_libraries(REPOSITORY / "app.py", REPOSITORY / "app_pages")
        assert not_brought(app, installed_with(runtime)) == {}, (
            "the app needs these, and make run installs only requirements.txt: add them there"
        )

    def test_requirements_txt_is_the_package_dependencies_and_the_app_own(self) -> None:
        runtime = requirement_lines(REPOSITORY / "requirements.txt")
        package = declared()
        assert {n: str(r) for n, r in runtime.items() if n not in APP_ONLY} == {
            n: str(r) for n, r in package.items()
        }, "requirements.txt and pyproject.toml must name the same libraries and versions"

    def test_the_development_tools_are_only_in_requirements_dev(self) -> None:
        runtime = requirement_lines(REPOSITORY / "requirements.txt")
        development = requirement_lines(REPOSITORY / "requirements-dev.txt")
        assert set(development) >= DEV_TOOLS
        assert set(runtime) & DEV_TOOLS == set()
        assert set(declared()) & DEV_TOOLS == set()
        assert "-r requirements.txt" in (REPOSITORY / "requirements-dev.txt").read_text()

    def test_the_version_is_written_once_in_the_package(self) -> None:
        assert PYPROJECT["project"]["dynamic"] == ["version"]
        assert PYPROJECT["tool"]["hatch"]["version"]["path"] == "screening/version.py"
        assert "version" not in PYPROJECT["project"]


@pytest.mark.install
class TestInstalledPackage:
    """What a site gets from `pip install .`, run from a folder that is not the checkout."""

    def test_screening_check_validates_the_shipped_pack_from_any_folder(
        self, installed_python: Path, tmp_path: Path
    ) -> None:
        installed = run([installed_python.parent / "screening", "check"], cwd=tmp_path)
        from_checkout = checkout_screening("check")
        assert (installed.returncode, installed.stdout) == (0, from_checkout.stdout)
        assert installed.stdout.startswith("OK: ")

    def test_usage_lines_name_the_screening_command(
        self, installed_python: Path, tmp_path: Path
    ) -> None:
        shown = run([installed_python.parent / "screening", "evaluate"], cwd=tmp_path)
        assert shown.returncode == 2
        assert shown.stderr.startswith("Usage: screening evaluate [OPTIONS] ANSWERS.json")

    def test_the_package_comes_from_the_environment_with_its_version_in_the_metadata(
        self, installed_python: Path, tmp_path: Path
    ) -> None:
        code = (
            "import importlib.metadata, pathlib, screening;"
            "print(pathlib.Path(screening.__file__).is_relative_to(pathlib.Path(__import__('sys').prefix)));"
            "print(screening.__version__);"
            "print(importlib.metadata.version('ketamine-screening'))"
        )
        shown = run([installed_python, "-c", code], cwd=tmp_path)
        assert shown.stdout.split() == ["True", screening.__version__, screening.__version__]

    def test_the_installed_package_writes_a_pdf_with_its_fonts_and_verifies_it(
        self, installed_python: Path, tmp_path: Path
    ) -> None:
        command = installed_python.parent / "screening"
        answers = write_answers(
            tmp_path / "answers.json",
            {"substance_use_history": "yes", "substance_use_active": "unknown"},
            patient_reference="床 4",
        )
        made = run([command, "evaluate", answers, "--format", "pdf", "--out", "c.pdf"], tmp_path)
        assert made.returncode == 0, made.stderr
        checked = run([command, "verify", "c.pdf"], cwd=tmp_path)
        assert (checked.returncode, checked.stdout.startswith("OK")) == (0, True), checked.stderr

    def test_the_installed_package_speaks_the_pseudo_locale_from_its_catalogue(
        self, installed_python: Path, tmp_path: Path
    ) -> None:
        """The `.po` files travel in the package and are compiled when first used: a site's
        install has every language the checkout has, with no build step of its own."""
        command = installed_python.parent / "screening"
        shown = run([command, "check", "--lang", "en-XA"], cwd=tmp_path)
        assert shown.returncode == 0, shown.stderr
        assert shown.stdout.startswith("ÖÖĶ: ")
        answers = write_answers(tmp_path / "answers.json", {"substance_use_history": "yes"})
        made = run(
            [command, "evaluate", answers, "--format", "pdf", "--out", "c.pdf", "--lang", "en-XA"],
            tmp_path,
        )
        assert made.returncode == 0, made.stderr
        checked = run([command, "verify", "c.pdf"], cwd=tmp_path)
        assert (checked.returncode, checked.stdout.startswith("OK")) == (0, True), checked.stderr

    def test_the_installed_package_runs_the_shipped_vignettes(
        self, installed_python: Path, tmp_path: Path
    ) -> None:
        ran = run([installed_python.parent / "screening", "scenarios"], cwd=tmp_path)
        assert ran.returncode == 0, ran.stdout + ran.stderr
