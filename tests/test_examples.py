"""The package as other programs use it: installed with pip, and served to other languages.

- examples/eks-python: a program outside the package, run against a wheel of this
  project installed into a folder of its own (not the checkout), under the offline
  plan's mock engine, in a fresh interpreter whose working directory is not the project.
- provider/ and examples/yaml: the schema that Pulumi's component provider host (the
  SDK's analyzer, not ours) derives from AthenzSesNotifications, and the YAML program
  checked against it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import built_once
from pulumi.provider.experimental.component import ComponentProvider

from athenz_ses import AthenzSesNotifications
from athenz_ses.notifications import PACKAGE, AthenzSesNotificationsArgs
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


def _build_and_install_the_wheel(scratch: Path) -> None:
    # Built from a copy: setuptools writes build/ and *.egg-info next to the sources.
    source = scratch / "source"
    shutil.copytree(PROJECT_DIR / "athenz_ses", source / "athenz_ses", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(PROJECT_DIR / name, source / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "-w", str(scratch / "dist"), str(source)], check=True, capture_output=True
    )
    (wheel,) = (scratch / "dist").glob("athenz_ses-*.whl")
    subprocess.run(
        [*pip, "install", "--no-deps", "--target", str(scratch / "site"), str(wheel)], check=True, capture_output=True
    )


@pytest.fixture(scope="session")
def installed(tmp_path_factory) -> Path:
    """A wheel of this project, built by pip and installed (without dependencies: the
    test's interpreter has the pinned ones) into a folder of its own; once a test run."""
    return built_once(tmp_path_factory, "wheel", _build_and_install_the_wheel) / "site"


@pytest.fixture(scope="session")
def example_plan(installed, tmp_path_factory) -> dict:
    def plan(out: Path) -> None:
        # The installed package first; the checkout only for offline_plan (the mock engine).
        path = os.pathsep.join([str(installed), str(EXAMPLE), str(PROJECT_DIR)])
        (out / "cwd").mkdir()
        run = subprocess.run(
            [sys.executable, "-c", PLAN_EXAMPLE],
            cwd=out / "cwd",
            env={**os.environ, "PYTHONPATH": path},
            capture_output=True,
            text=True,
        )
        assert run.returncode == 0, run.stderr[-3000:]
        (out / "plan.json").write_text(run.stdout)

    return json.loads((built_once(tmp_path_factory, "example-plan", plan) / "plan.json").read_text())


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
        f"{host}:sub": "system:serviceaccount:athenz:athenz-ses-dev",
        f"{host}:aud": "sts.amazonaws.com",
    }
    assert statement["Principal"] == {"Federated": f"arn:aws:iam::111111111111:oidc-provider/{host}"}


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
    assert outputs["zmsServiceAccount"] == "athenz/athenz-ses-dev"
    assert outputs["senderIdentityArn"] == "arn:aws:ses:eu-west-1:111111111111:identity/zms@example.com"
    assert outputs["zmsRoleArn"].startswith("arn:aws:iam::111111111111:role/zms-irsa-role-")


# --- other languages: the component provider's schema ---------------------------------


@pytest.fixture(scope="module")
def schema() -> dict:
    """The package schema `pulumi package add provider/` gets, from the SDK's analyzer."""
    provider = ComponentProvider([AthenzSesNotifications], PACKAGE, None, "0.0.0")
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
    }
    assert inputs["sesProvider"]["$ref"].endswith("#/resources/pulumi:providers:aws")


def test_the_provider_entry_point_serves_this_package():
    plugin = yaml.safe_load((PROJECT_DIR / "provider" / "PulumiPlugin.yaml").read_text())
    assert plugin["runtime"]["name"] == "python"
    source = (PROJECT_DIR / "provider" / "__main__.py").read_text()
    assert "component_provider_host([AthenzSesNotifications], name=PACKAGE)" in source


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
