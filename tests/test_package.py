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


# --- the lock files ---------------------------------------------------------------------------

LOCKS = {
    "requirements-dev.lock": ("requirements-dev.txt", "requirements-docs.txt"),
    "requirements-proof.lock": ("requirements-proof.txt", "requirements-docs.txt"),
}
PIN = re.compile(r"^(?P<name>[A-Za-z0-9_.\[\]-]+)==(?P<version>[^\s;#\\]+)", re.M)


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name.split("[")[0]).lower()


def pins(path: Path) -> dict[str, str]:
    """name -> version of a requirements file, following its `-r` includes."""
    found: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if line.startswith("-r "):
            found.update(pins(path.parent / line.split()[1]))
    found.update({_canonical(m["name"]): m["version"] for m in PIN.finditer(path.read_text())})
    return found


def test_every_pin_is_in_its_lock_at_the_same_version_and_every_locked_package_has_hashes():
    for lock, sources in LOCKS.items():
        text = (PROJECT_DIR / lock).read_text()
        locked = {_canonical(m["name"]): m["version"] for m in PIN.finditer(text)}
        wanted = {name: version for source in sources for name, version in pins(PROJECT_DIR / source).items()}
        assert {n: v for n, v in wanted.items() if locked.get(n) != v} == {}, f"{lock}: write it again"
        # pip --require-hashes installs a package only with a hash: every entry has one.
        entries = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
        assert all("--hash=sha256:" in entry for entry in entries if "==" in entry), lock
        assert "protobuf" in locked and "grpcio" in locked  # the transitive tree, not only the pins


def test_every_install_reads_a_lock_with_hashes():
    for path in (".ci/run", "notifier_proof/run.sh", "e2e/run.sh", "README.md"):
        text = (PROJECT_DIR / path).read_text()
        installs = [line for line in text.splitlines() if "pip install" in line and " -r " in line]
        assert installs, path
        assert all("--require-hashes -r requirements-" in line and ".lock" in line for line in installs), path
