"""What `pip install .` ships: every folder of Tact's packages as a package and every file its
code reads at run time (profiles, templates, registered documents, the Casbin policy), as
pyproject.toml's discovery and package data select them.

Checked against the tree with setuptools' own matching rules (fnmatch on dotted names, globs
per package folder) rather than by building a wheel: a build needs setuptools from the
network, and takes seconds. Building one into a throwaway venv showed these rules ship
exactly the tree's files.
"""

from __future__ import annotations

import tomllib
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TOP_LEVEL = ("api", "schema", "authz", "admin", "retention", "records", "casework")


def setuptools_config() -> dict[str, Any]:
    with (ROOT / "pyproject.toml").open("rb") as file:
        config: dict[str, Any] = tomllib.load(file)["tool"]["setuptools"]
    return config


def found(package: str, find: dict[str, list[str]]) -> bool:
    """Whether packages.find selects this dotted name (its include, then its exclude)."""
    included = any(fnmatchcase(package, pattern) for pattern in find["include"])
    return included and not any(fnmatchcase(package, pattern) for pattern in find["exclude"])


def shipped_files() -> list[Path]:
    return [
        path
        for top in TOP_LEVEL
        for path in sorted((ROOT / top).rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    ]


def test_every_folder_of_the_packages_is_found_and_nothing_else() -> None:
    find = setuptools_config()["packages"]["find"]
    for path in shipped_files():
        package = ".".join(path.parent.relative_to(ROOT).parts)
        assert found(package, find), f"{package} would not be installed"
    for outside in ("tests", "tests.api", "bench", "api.__pycache__", "docs"):
        assert not found(outside, find), outside


def test_every_data_file_is_package_data_of_its_folder() -> None:
    data: dict[str, list[str]] = setuptools_config()["package-data"]
    files = [path for path in shipped_files() if path.suffix not in {".py", ".pyc"}]
    expected = {
        "casework/profiles/default.toml",
        "admin/templates/sqladmin/login.html",
        "schema/documents/RestrictionStatus.graphql",
    }
    assert expected <= {path.relative_to(ROOT).as_posix() for path in files}
    for path in files:
        package = ".".join(path.parent.relative_to(ROOT).parts)
        patterns = data.get(package, [])
        assert any(fnmatchcase(path.name, pattern) for pattern in patterns), (
            f"{path.relative_to(ROOT)} is not in [tool.setuptools.package-data] {package!r}"
        )
