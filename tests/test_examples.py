"""The package as other programs use it: installed with pip, and served to other languages.

- the wheel: every module, py.typed and the data files, and a dependency declared for
  every distribution the package imports.
- examples/eks-python: a program outside the package, run against a wheel of this
  project installed into a folder of its own (not the checkout), under the offline
  plan's mock engine, in a fresh interpreter whose working directory is not the project.
- examples/testing: a user's program and its tests under athenz_ses.testing, run with
  pytest from a copy outside the checkout, in a virtualenv that holds the wheel and the
  distributions it declares (and pytest), nothing else: the package alone is enough.
- provider/ and examples/yaml: the schema that Pulumi's component provider host (the
  SDK's analyzer, not ours) derives from AthenzSesNotifications, and the YAML program
  checked against it.
"""

from __future__ import annotations

import ast
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from email.parser import HeaderParser
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from pulumi.provider.experimental.component import ComponentProvider

from athenz_ses import AthenzSesNotifications, __version__
from athenz_ses.notifications import PACKAGE, AthenzSesNotificationsArgs
from athenz_ses.testing import STOCK_FILES
from offline_plan.engine import PROJECT_DIR

EXAMPLE = PROJECT_DIR / "examples" / "eks-python"
TOKEN = f"{PACKAGE}:index:AthenzSesNotifications"

# Runs in the fresh interpreter: plans the example's main() and prints what the test checks.
PLAN_EXAMPLE = """
import json, sys
import athenz_ses, zms_mail
from offline_plan.engine import reveal, run_program
config = {"aws:region": "eu-west-1", "zms-mail-on-eks:clusterName": "platform",
          "zms-mail-on-eks:senderEmail": "zms@example.com", "zms-mail-on-eks:emailDomainTo": "example.com",
          "zms-mail-on-eks:recipientEmails": '["alice@example.com"]'}
plan = run_program("dev", config, program=zms_mail.main, project="zms-mail-on-eks")
if plan.error:
    raise plan.error
print(json.dumps({
    "package": athenz_ses.__file__,
    "resources": [{"type": r.type, "name": r.name, "provider": r.provider, "inputs": reveal(r.inputs)}
                  for r in plan.resources],
    "outputs": reveal(plan.outputs),
}))
"""


PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel of this project, built by pip."""
    scratch = tmp_path_factory.mktemp("wheel")
    # Built from a copy: setuptools writes build/ and *.egg-info next to the sources.
    source = scratch / "source"
    shutil.copytree(PROJECT_DIR / "athenz_ses", source / "athenz_ses", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(PROJECT_DIR / name, source / name)
    subprocess.run(
        [*PIP, "wheel", "--no-deps", "-w", str(scratch / "dist"), str(source)], check=True, capture_output=True
    )
    (built,) = (scratch / "dist").glob("athenz_ses-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """The wheel installed (without dependencies: the test's interpreter has the pinned
    ones) into a folder of its own."""
    site = tmp_path_factory.mktemp("site")
    subprocess.run([*PIP, "install", "--no-deps", "--target", str(site), str(wheel)], check=True, capture_output=True)
    return site


def wheel_metadata(wheel: Path):
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return HeaderParser().parsestr(archive.read(name).decode())


def wheel_requires(wheel: Path) -> list[str]:
    """The wheel's Requires-Dist: what pip installs with it."""
    return wheel_metadata(wheel).get_all("Requires-Dist") or []


def test_the_wheel_has_every_module_py_typed_and_the_data_files(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    modules = {f"athenz_ses/{path.name}" for path in (PROJECT_DIR / "athenz_ses").glob("*.py")}
    assert "athenz_ses/testing.py" in modules and modules <= names, modules - names
    assert "athenz_ses/py.typed" in names
    assert {f"athenz_ses/stock/{file}" for file in STOCK_FILES.values()} <= names  # what athenz_ses.testing reads
    assert {"athenz_ses/sender/ZmsNotificationSmoke.class", "athenz_ses/sender/ZmsNotificationSmoke.java"} <= names


def test_the_wheel_has_the_project_version(wheel):
    version = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())["project"]["version"]
    assert wheel.name == f"athenz_ses-{version}-py3-none-any.whl"
    assert wheel_metadata(wheel)["Version"] == version == __version__


def imported_distributions() -> dict[str, set[str]]:
    """distribution -> the package's modules that import it (top-level imports of other
    distributions than the standard library's and the package's own)."""
    owners = importlib.metadata.packages_distributions()
    found: dict[str, set[str]] = {}
    for path in (PROJECT_DIR / "athenz_ses").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top in ("__future__", "athenz_ses"):
                    continue
                assert top in owners, f"{path.name} imports {top}, which no installed distribution provides"
                for distribution in owners[top]:
                    found.setdefault(str(canonicalize_name(distribution)), set()).add(path.name)
    return found


def test_the_wheel_declares_every_distribution_the_package_imports(wheel):
    """A program that installs the package gets what it imports (not through another
    distribution's dependencies, which may drop it)."""
    declared = {str(canonicalize_name(Requirement(r).name)) for r in wheel_requires(wheel)}
    imported = imported_distributions()
    assert {"pulumi", "pulumi-aws", "pulumi-kubernetes"} <= set(imported)  # the search is not vacuous
    assert {d: sorted(m) for d, m in imported.items() if d not in declared} == {}


@pytest.fixture(scope="module")
def example_plan(installed, tmp_path_factory) -> dict:
    # The installed package first; the checkout only for offline_plan (the mock engine).
    path = os.pathsep.join([str(installed), str(EXAMPLE), str(PROJECT_DIR)])
    run = subprocess.run(
        [sys.executable, "-c", PLAN_EXAMPLE],
        cwd=tmp_path_factory.mktemp("cwd"),
        env={**os.environ, "PYTHONPATH": path},
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout)


def test_the_example_uses_the_installed_package_not_the_checkout(example_plan, installed):
    assert Path(example_plan["package"]).is_relative_to(installed)


def test_the_example_trusts_the_issuer_its_cluster_lookup_returns(example_plan):
    """The issuer is an Output of aws.eks.get_cluster_output (the mock answers with a
    fixed EKS issuer): ZMS's role trusts exactly ZMS's ServiceAccount under that issuer."""
    (role,) = [r for r in example_plan["resources"] if r["type"] == "aws:iam/role:Role"]
    trust = json.loads(role["inputs"]["assumeRolePolicy"])
    (statement,) = trust["Statement"]
    host = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
    assert statement["Condition"]["StringEquals"] == {
        f"{host}:sub": ["system:serviceaccount:athenz:zms-mail-dev"],  # <component name>-<stack>
        f"{host}:aud": ["sts.amazonaws.com"],
    }
    assert statement["Principal"] == {"Federated": [f"arn:aws:iam::111111111111:oidc-provider/{host}"]}


def test_the_example_sends_kubernetes_objects_through_its_own_cluster_provider(example_plan):
    kubernetes = [
        r for r in example_plan["resources"] if r["type"].startswith("kubernetes:") and "providers" not in r["type"]
    ]
    assert {r["type"] for r in kubernetes} == {
        "kubernetes:core/v1:ServiceAccount",
        "kubernetes:apps/v1:DeploymentPatch",
    }
    assert all("pulumi:providers:kubernetes::cluster::" in r["provider"] for r in kubernetes), kubernetes


def test_the_example_exports_the_component_outputs(example_plan):
    outputs = example_plan["outputs"]
    assert outputs["zmsServiceAccount"] == "athenz/zms-mail-dev"
    assert outputs["senderIdentityArn"] == "arn:aws:ses:eu-west-1:111111111111:identity/zms@example.com"
    assert outputs["zmsRoleArn"].startswith("arn:aws:iam::111111111111:role/zms-mail-zms-irsa-role-")


# --- examples/testing: the package alone runs a user's tests -------------------------------

USER_TESTS = PROJECT_DIR / "examples" / "testing"


def dependency_closure(requirements: list[str]) -> list[importlib.metadata.Distribution]:
    """The installed distributions these requirements need, their dependencies included
    (markers evaluated here, extras followed), each checked against its version range."""
    found: dict[str, importlib.metadata.Distribution] = {}
    todo = [Requirement(r) for r in requirements]
    while todo:
        requirement = todo.pop()
        key = str(canonicalize_name(requirement.name))
        if key in found:
            continue
        distribution = importlib.metadata.distribution(requirement.name)
        assert requirement.specifier.contains(distribution.version, prereleases=True), (
            requirement,
            distribution.version,
        )
        found[key] = distribution
        extras = ["", *requirement.extras]
        for line in distribution.requires or []:
            needed = Requirement(line)
            if needed.marker is None or any(needed.marker.evaluate({"extra": extra}) for extra in extras):
                todo.append(needed)
    return list(found.values())


def link_into(site: Path, distribution: importlib.metadata.Distribution) -> None:
    """Makes a distribution of this interpreter importable from `site`: a link to each
    top-level file or folder it installed (its dist-info too, so pip sees it). A folder
    that several distributions share (a namespace package such as `google`) is linked once,
    whole."""
    root = Path(str(distribution.locate_file("")))
    for top in {file.parts[0] for file in distribution.files or []}:
        if top in ("..", "__pycache__") or top.endswith(".pth") or (site / top).exists():
            continue
        (site / top).symlink_to(root / top)


@pytest.fixture(scope="module")
def user_venv(wheel, tmp_path_factory) -> tuple[Path, Path]:
    """A virtualenv outside the checkout (no system site-packages) that holds the wheel,
    the distributions its metadata requires and pytest, all as this interpreter has them
    pinned (no download): returns its interpreter and its site-packages."""
    venv = tmp_path_factory.mktemp("user") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, capture_output=True)
    python = venv / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    subprocess.run(
        [*PIP, "install", "--no-deps", "--no-index", "--target", str(site), str(wheel)], check=True, capture_output=True
    )
    for distribution in dependency_closure([*wheel_requires(wheel), "pytest"]):
        link_into(site, distribution)
    # pip's own check, in that virtualenv: every requirement of every distribution there is met.
    check = subprocess.run([*PIP, "--python", str(python), "check"], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    return python, site


def outside_env() -> dict[str, str]:
    """The environment of a user's shell: nothing that points Python at the checkout or its venv."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")}
    return {**env, "PYTHONNOUSERSITE": "1", "PYTHONDONTWRITEBYTECODE": "1"}


def test_the_user_venv_imports_every_module_from_the_wheel_only(user_venv, tmp_path):
    python, site = user_venv
    probe = (
        "import importlib, json, pkgutil, sys; import athenz_ses; "
        "[importlib.import_module('athenz_ses.' + m.name) for m in pkgutil.iter_modules(athenz_ses.__path__)]; "
        "print(json.dumps({'package': athenz_ses.__file__, 'path': sys.path}))"
    )
    run = subprocess.run([str(python), "-c", probe], cwd=tmp_path, env=outside_env(), capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    found = json.loads(run.stdout)
    assert Path(found["package"]).is_relative_to(site)
    assert not [p for p in found["path"] if p and Path(p).resolve().is_relative_to(PROJECT_DIR)], found["path"]


def test_a_users_tests_run_with_the_package_alone(user_venv, tmp_path):
    """examples/testing (the program and its tests, nothing else of the repository), copied
    outside the checkout, and run with pytest in the user's virtualenv."""
    python, _ = user_venv
    copy = tmp_path / "zms-mail"
    shutil.copytree(USER_TESTS, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    run = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=copy,
        env=outside_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    tests = re.findall(r"^def (test_\w+)", (USER_TESTS / "test_program.py").read_text(), re.MULTILINE)
    assert len(tests) >= 4 and f"{len(tests)} passed" in run.stdout, run.stdout[-3000:]


def test_the_users_tests_import_only_pulumi_pytest_the_mock_and_their_program():
    tree = ast.parse((USER_TESTS / "test_program.py").read_text())
    imported = {
        alias.name if isinstance(node, ast.Import) else f"{node.module}.{alias.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported == {"json", "pulumi", "pytest", "zms_mail", "athenz_ses.testing.AthenzSesMocks"}


# --- other languages: the component provider's schema ---------------------------------


@pytest.fixture(scope="module")
def schema() -> dict:
    """The package schema `pulumi package add provider/` gets, from the SDK's analyzer."""
    provider = ComponentProvider([AthenzSesNotifications], PACKAGE, None, __version__)
    assert provider.schema is not None
    return json.loads(provider.schema)


def test_the_schema_has_the_component_with_its_required_inputs(schema):
    resource = schema["resources"][TOKEN]
    assert resource["isComponent"] is True
    assert sorted(resource["requiredInputs"]) == ["senderEmail", "sesAccountId", "sesRegion"]
    # Every arg of the TypedDict, camelCased; nothing else.
    expected = {
        "".join(w if i == 0 else w.title() for i, w in enumerate(k.split("_")))
        for k in AthenzSesNotificationsArgs.__annotations__
    }
    assert set(resource["inputProperties"]) == expected


def test_outputs_of_other_programs_fit_where_the_python_args_take_inputs(schema):
    """What a program usually holds as an Output is not `plain` (a YAML program may pass
    ${resource.output}); what decides which resources exist is plain."""
    inputs = schema["resources"][TOKEN]["inputProperties"]
    not_plain = {key for key, spec in inputs.items() if not spec.get("plain")}
    assert not_plain == {
        "sesAccountId",
        "oidcIssuerUrl",
        "oidcProviderArn",
        "eksClusterName",
        "zmsRoleArn",
        "sesProvider",
        "hostedZoneId",
        "dnsProvider",
        "permissionsBoundary",
    }
    assert inputs["sesProvider"]["$ref"].endswith("#/resources/pulumi:providers:aws")


def test_the_provider_entry_point_serves_this_package():
    plugin = yaml.safe_load((PROJECT_DIR / "provider" / "PulumiPlugin.yaml").read_text())
    assert plugin["runtime"]["name"] == "python"
    source = (PROJECT_DIR / "provider" / "__main__.py").read_text()
    assert "component_provider_host([AthenzSesNotifications], name=PACKAGE, version=__version__)" in source


def test_the_yaml_example_matches_the_schema(schema):
    program = yaml.safe_load((PROJECT_DIR / "examples" / "yaml" / "Pulumi.yaml").read_text())
    package_dir = (PROJECT_DIR / "examples" / "yaml" / program["packages"][PACKAGE]).resolve()
    assert package_dir == (PROJECT_DIR / "provider").resolve()
    resource = schema["resources"][TOKEN]
    (mail_name, mail) = next((n, r) for n, r in program["resources"].items() if r["type"] == TOKEN)
    given = mail["properties"]
    assert set(given) <= set(resource["inputProperties"]), set(given) - set(resource["inputProperties"])
    assert set(resource["requiredInputs"]) <= set(given)
    for key, value in given.items():  # a plain input takes no ${...} of another resource
        if resource["inputProperties"][key].get("plain") and isinstance(value, str):
            assert "${" not in value, key
    for expression in program["outputs"].values():
        name, attribute = expression.strip("${}").split(".")
        assert name == mail_name and attribute in resource["properties"], expression
