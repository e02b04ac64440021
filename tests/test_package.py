"""The package as others import it: every component exported, one version everywhere.

The wheel itself (its files, its dependencies, the package alone running a user's tests
outside the checkout) is tested in tests/test_examples.py, which builds it.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import pkgutil
import re
import subprocess
import tomllib
from pathlib import Path
from types import ModuleType

import pulumi

import athenz_ses
from athenz_ses.notifications import PACKAGE

PROJECT_DIR = Path(__file__).resolve().parent.parent


def pyproject_version() -> str:
    return tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())["project"]["version"]


def package_modules() -> list[ModuleType]:
    """Every module of the package, from its files (a new module is found without a list)."""
    return [importlib.import_module(f"athenz_ses.{m.name}") for m in pkgutil.iter_modules(athenz_ses.__path__)]


def components() -> dict[str, tuple[ModuleType, type]]:
    """name -> (module, class) of every ComponentResource the package defines."""
    return {
        name: (module, value)
        for module in package_modules()
        for name, value in vars(module).items()
        if inspect.isclass(value)
        and issubclass(value, pulumi.ComponentResource)
        and value.__module__ == module.__name__
    }


def test_the_modules_are_the_package_files():
    files = {path.stem for path in (PROJECT_DIR / "athenz_ses").glob("*.py")} - {"__init__"}
    assert {module.__name__.removeprefix("athenz_ses.") for module in package_modules()} == files


def test_the_components_are_found():
    """The search below is not vacuous: it finds the ones a user reported missing too."""
    assert {"AthenzSesNotifications", "PodIdentityRole", "BounceHandling", "SenderDomainDns"} <= set(components())


def test_every_component_and_its_args_are_exported():
    for name, (module, component) in components().items():
        args = getattr(module, f"{name}Args", None)
        assert inspect.isclass(args), f"{module.__name__}.{name} has no {name}Args"
        for exported, value in ((name, component), (f"{name}Args", args)):
            assert exported in athenz_ses.__all__, f"{exported} ({module.__name__}) is not in athenz_ses.__all__"
            assert getattr(athenz_ses, exported) is value, exported


def test_every_name_in_all_exists():
    assert len(set(athenz_ses.__all__)) == len(athenz_ses.__all__)
    assert [name for name in athenz_ses.__all__ if not hasattr(athenz_ses, name)] == []


def test_the_package_ships_its_type_information():
    """PEP 561: a type checker reads the annotations of an installed package only with py.typed
    (that the wheel carries it: tests/test_examples.py)."""
    assert (PROJECT_DIR / "athenz_ses" / "py.typed").is_file()
    package_data = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "py.typed" in package_data["athenz_ses"]


# --- one version ------------------------------------------------------------------------------


def test_the_package_states_the_version_of_pyproject():
    assert athenz_ses.__version__ == pyproject_version()


def test_the_component_provider_serves_the_package_version(monkeypatch):
    """provider/__main__.py's main() (what the Pulumi CLI runs), with the SDK's host
    replaced by a recorder: the schema's version is the package's (the host's default is 0.0.0)."""
    spec = importlib.util.spec_from_file_location("athenz_ses_provider", PROJECT_DIR / "provider" / "__main__.py")
    assert spec is not None and spec.loader is not None
    entry_point = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(entry_point)
    served: list[dict] = []
    monkeypatch.setattr(
        entry_point,
        "component_provider_host",
        lambda components, **kwargs: served.append(dict(kwargs, components=components)),
    )
    entry_point.main()
    assert served == [
        {"components": [athenz_ses.AthenzSesNotifications], "name": PACKAGE, "version": pyproject_version()}
    ]


INSTALL_LINE = re.compile(r"athenz-ses @ git\+[^\n]*?@(v?\d+\.\d+\.\d+)\b")
"""A pip requirement of the package from git at a version tag."""


def test_every_install_line_names_the_tag_of_this_version():
    """The docs and examples install the package at a tag; the tag is the version's
    (`v<version>`, which the maintainers create on main when they release it)."""
    tracked = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT_DIR,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\0")
    found = {
        (path, match.group(1))
        for path in tracked
        if path.endswith((".md", ".txt", ".toml", ".yaml", ".yml", ".py")) and (PROJECT_DIR / path).is_file()
        for match in INSTALL_LINE.finditer((PROJECT_DIR / path).read_text(errors="replace"))
    }
    assert {path for path, _ in found} >= {"examples/eks-python/requirements.txt", "examples/testing/README.md"}
    assert {(path, tag) for path, tag in found if tag != f"v{pyproject_version()}"} == set()
