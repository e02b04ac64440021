"""The package as others import it: every component exported, with its type information."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import tomllib
from pathlib import Path
from types import ModuleType

import pulumi

import athenz_ses

PROJECT_DIR = Path(__file__).resolve().parent.parent


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
    """PEP 561: a type checker reads the annotations of an installed package only with py.typed."""
    assert (PROJECT_DIR / "athenz_ses" / "py.typed").is_file()
    package_data = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "py.typed" in package_data["athenz_ses"]
