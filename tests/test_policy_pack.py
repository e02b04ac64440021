"""The policy pack's rules: the program's own resources pass, a weakened one is caught;
and the pack runs from a copy of its folder alone, with nothing of the program."""

from __future__ import annotations

import ast
import copy
import importlib.metadata
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

# policy_pack/ is on the path (pyproject.toml), as when the CLI runs the pack.
import pack
import pytest
import rules
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from pulumi_policy import PolicyCustomTimeouts, PolicyResourceOptions, ResourceValidationArgs, ResourceValidationPolicy
from pulumi_policy import Secret as PolicySecret
from pulumi_policy.deserialize import SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY, deserialize_properties
from pulumi_policy.secret import secrets_preserving_proxy

from athenz_ses.zms_wiring import BASE_ENV, LAYOUTS
from offline_plan.engine import PROJECT_DIR, Plan, PlannedResource, Secret, reveal

ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
USER_POLICY = "aws:iam/userPolicy:UserPolicy"
IDENTITY_POLICY = "aws:sesv2/emailIdentityPolicy:EmailIdentityPolicy"


def as_policy_values(value: Any) -> Any:
    """The offline plan's values as the Pulumi CLI hands them to the pack: each of the
    plan's `Secret` wrappers becomes a `pulumi_policy.Secret`, the only one the rules know."""
    if isinstance(value, Secret):
        return PolicySecret(as_policy_values(value.value))
    if isinstance(value, dict):
        return {k: as_policy_values(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_policy_values(v) for v in value]
    return value


def policy_inputs(resource: PlannedResource) -> dict[str, Any]:
    return as_policy_values(resource.inputs)


def test_every_resource_of_every_plan_passes_every_rule(every_plan):
    for name, plan in every_plan.items():
        for r in plan.resources:
            assert rules.check(r.type, policy_inputs(r)) == [], f"{name} {r.name}"


def test_the_rules_are_not_vacuous(plans):
    """Each rule has something to check in the scenarios (else passing proves nothing)."""
    checked = [r for plan in plans.values() for r in plan.resources]
    types = {r.type for r in checked}
    assert {
        rules.ROLE,
        ROLE_POLICY,
        USER_POLICY,
        IDENTITY_POLICY,
        rules.DEPLOYMENT_PATCH,
        rules.K8S_SECRET,
        rules.TOPIC_POLICY,
    } <= types
    assert any(dict(rules.policy_documents(r.type, policy_inputs(r))) for r in checked if r.type == rules.ROLE)


def test_the_patch_rule_uses_the_programs_base_env():
    """The pack keeps its own copy (it imports nothing of the program): the names of
    every layout, and nothing else."""
    assert set(rules.BASE_ENV) == {name for layout in LAYOUTS.values() for name in layout.base_env}
    assert set(BASE_ENV) < set(rules.BASE_ENV)


# --- mutations -------------------------------------------------------------------------


def _edit_document(resource: PlannedResource, field: str, edit: Callable[[dict], None]) -> dict[str, Any]:
    inputs = copy.deepcopy(policy_inputs(resource))
    document = json.loads(inputs[field])
    edit(document["Statement"][0])
    inputs[field] = json.dumps(document)
    return inputs


def _oidc_keys(statement: dict) -> tuple[str, str]:
    keys = sorted(statement["Condition"]["StringEquals"])
    return next(k for k in keys if k.endswith(":sub")), next(k for k in keys if k.endswith(":aud"))


def _widen_sub(statement: dict) -> None:
    sub, _ = _oidc_keys(statement)
    statement["Condition"]["StringLike"] = {sub: "system:serviceaccount:athenz:*"}


def _second_sa(statement: dict) -> None:
    sub, _ = _oidc_keys(statement)
    statement["Condition"]["StringEquals"][sub] = [
        "system:serviceaccount:athenz:athenz-zms-ses",
        "system:serviceaccount:athenz:other",
    ]


def _drop_aud(statement: dict) -> None:
    del statement["Condition"]["StringEquals"][_oidc_keys(statement)[1]]


def _send_to_configuration_set(statement: dict) -> None:
    statement["Resource"] = "arn:aws:ses:eu-west-1:111111111111:configuration-set/zms"


DOCUMENT_MUTATIONS = {
    "wildcard action": (
        ROLE_POLICY,
        "policy",
        lambda s: s.update(Action=["ses:SendEmail", "ses:*"]),
        rules.no_wildcards,
        "wildcard action",
    ),
    "prefix wildcard action": (
        USER_POLICY,
        "policy",
        lambda s: s.update(Action="ses:Send*"),
        rules.no_wildcards,
        "wildcard action",
    ),
    "wildcard resource": (
        ROLE_POLICY,
        "policy",
        lambda s: s.update(Resource="*"),
        rules.no_wildcards,
        "wildcard resource",
    ),
    "identity wildcard resource": (
        USER_POLICY,
        "policy",
        lambda s: s.update(Resource="arn:aws:ses:eu-west-1:111111111111:identity/*"),
        rules.no_wildcards,
        "wildcard resource",
    ),
    "wildcard principal": (
        IDENTITY_POLICY,
        "policy",
        lambda s: s.update(Principal={"AWS": "*"}),
        rules.no_wildcards,
        "wildcard principal",
    ),
    "bare wildcard principal": (
        IDENTITY_POLICY,
        "policy",
        lambda s: s.update(Principal="*"),
        rules.no_wildcards,
        "wildcard principal",
    ),
    "NotAction": (
        ROLE_POLICY,
        "policy",
        lambda s: s.update(NotAction=s.pop("Action")),
        rules.no_wildcards,
        "NotAction",
    ),
    "trust wildcard principal": (
        rules.ROLE,
        "assumeRolePolicy",
        lambda s: s.update(Principal={"Federated": "*"}),
        rules.no_wildcards,
        "wildcard principal",
    ),
    "aud dropped": (
        rules.ROLE,
        "assumeRolePolicy",
        _drop_aud,
        rules.oidc_trust_is_one_service_account,
        ":aud = sts.amazonaws.com",
    ),
    "sub widened with StringLike": (
        rules.ROLE,
        "assumeRolePolicy",
        _widen_sub,
        rules.oidc_trust_is_one_service_account,
        "with StringLike",
    ),
    "a second service account": (
        rules.ROLE,
        "assumeRolePolicy",
        _second_sa,
        rules.oidc_trust_is_one_service_account,
        "one system:serviceaccount",
    ),
    "pod identity for any ServiceAccount": (
        rules.ROLE,
        "assumeRolePolicy",
        lambda s: s["Condition"]["StringEquals"].pop("aws:RequestTag/kubernetes-service-account"),
        rules.pod_identity_trust_is_one_service_account,
        "kubernetes-service-account = one value",
    ),
    "pod identity namespace widened with StringLike": (
        rules.ROLE,
        "assumeRolePolicy",
        lambda s: s["Condition"].update(
            StringLike={
                "aws:RequestTag/kubernetes-namespace": s["Condition"]["StringEquals"].pop(
                    "aws:RequestTag/kubernetes-namespace"
                )
            }
        ),
        rules.pod_identity_trust_is_one_service_account,
        "with StringLike",
    ),
    "target role open to the whole cluster account": (
        rules.ROLE,
        "assumeRolePolicy",
        lambda s: s["Condition"].pop("ArnEquals"),
        rules.pod_identity_trust_is_one_service_account,
        "aws:PrincipalARN",
    ),
    # A configuration set is a resource of a send (SES authorizes the set it applies), but
    # only next to the identity the send goes out as.
    "send on a configuration set alone": (
        ROLE_POLICY,
        "policy",
        _send_to_configuration_set,
        rules.ses_send_only_on_identities,
        "without naming an SES identity",
    ),
    "send on a template": (
        ROLE_POLICY,
        "policy",
        lambda s: s.update(Resource=[*s["Resource"], "arn:aws:ses:eu-west-1:111111111111:template/welcome"]),
        rules.ses_send_only_on_identities,
        "not an SES identity or configuration set ARN",
    ),
    "topic open to SES of any account": (
        rules.TOPIC_POLICY,
        "policy",
        lambda s: s["Condition"]["StringEquals"].pop("AWS:SourceAccount"),
        rules.service_principals_are_pinned,
        "AWS:SourceAccount",
    ),
    "topic open to any configuration set": (
        rules.TOPIC_POLICY,
        "policy",
        lambda s: s["Condition"]["StringEquals"].update({"AWS:SourceArn": ["arn:aws:ses:eu-west-1:222222222222:*"]}),
        rules.service_principals_are_pinned,
        "AWS:SourceArn = one ARN",
    ),
    "send on an S3 bucket": (
        IDENTITY_POLICY,
        "policy",
        lambda s: s.update(Resource=["arn:aws:s3:::mail"]),
        rules.ses_send_only_on_identities,
        "not an SES identity or configuration set ARN",
    ),
}


# The Pod Identity mutations edit the target role of ZMS (its trust has all three kinds).
POD_IDENTITY_MUTATIONS = {m for m in DOCUMENT_MUTATIONS if "pod identity" in m or "target role" in m}


@pytest.mark.parametrize("mutation", DOCUMENT_MUTATIONS)
def test_a_weakened_policy_document_is_reported(plans, mutation):
    type_, field, edit, rule, expected = DOCUMENT_MUTATIONS[mutation]
    if mutation in POD_IDENTITY_MUTATIONS:
        resource = next(
            r for r in plans["cross-pod-identity"].of_type(type_) if r.name == "athenz-ses-zms-pod-identity-ses"
        )
    else:
        resource = plans["cross-sending-authorization"].of_type(type_)[0]
    assert rule(type_, policy_inputs(resource)) == []
    found = rule(type_, _edit_document(resource, field, edit))
    assert any(expected in message for message in found), found
    assert rules.check(type_, _edit_document(resource, field, edit))


def _patch(plan: Plan) -> dict[str, Any]:
    return reveal(plan.one(rules.DEPLOYMENT_PATCH).inputs)


@pytest.mark.parametrize("name", rules.BASE_ENV)
def test_a_patch_that_sets_a_base_env_var_is_reported(plans, name):
    inputs = _patch(plans["same-account-irsa"])
    inputs["spec"]["template"]["spec"]["containers"][0]["env"].append({"name": name, "value": "-Dx=y"})
    assert rules.patch_leaves_base_alone(rules.DEPLOYMENT_PATCH, inputs) == [
        f"the patch sets {name} in containers 'athenz-zms-server'; the base Deployment owns it"
    ]


def test_a_dns_record_that_overwrites_is_reported(stack_plans):
    record = stack_plans["prod"].of_type(rules.DNS_RECORD)[0]
    assert rules.dns_records_never_overwrite(record.type, policy_inputs(record)) == []
    found = rules.dns_records_never_overwrite(record.type, {**policy_inputs(record), "allowOverwrite": True})
    assert found and "allowOverwrite" in found[0]


@pytest.mark.parametrize("value", ["true", "True"])
def test_a_patch_that_forces_ownership_is_reported(plans, value):
    inputs = _patch(plans["kind-smtp"])
    inputs["metadata"]["annotations"][rules.PATCH_FORCE] = value
    assert rules.patch_leaves_base_alone(rules.DEPLOYMENT_PATCH, inputs) == [
        "the patch sets pulumi.com/patchForce: true, taking fields over from the base Deployment"
    ]


def test_a_secret_built_from_plain_values_is_reported(plans):
    secret = plans["kind-smtp"].one(rules.K8S_SECRET)
    assert isinstance(secret.inputs["stringData"], Secret)
    assert rules.secret_data_is_secret(rules.K8S_SECRET, policy_inputs(secret)) == []
    plain = reveal(secret.inputs)
    assert rules.secret_data_is_secret(rules.K8S_SECRET, plain) == [
        "Secret stringData is not a Pulumi secret; build it with pulumi.Output.secret"
    ]
    plain["data"] = PolicySecret({"k": "dg=="})
    assert len(rules.check(rules.K8S_SECRET, plain)) == 1


def test_unknown_policy_fields_are_skipped():
    """In a preview a policy document may be unknown: nothing to judge yet."""
    for value in (None, "04da6b54-80e4-46f7-96ec-b56ff0331ba9", {"Statement": []}):
        assert rules.check(rules.ROLE, {"assumeRolePolicy": value}) == []


# --- the pulumi_policy wrappers ---------------------------------------------------------


def _args(resource_type: str, props: Any) -> ResourceValidationArgs:
    options = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
    return ResourceValidationArgs(resource_type, props, "urn:test", "test", options, None, None, {})


def test_the_pack_declares_every_rule():
    names = [policy.name for policy in pack.policies()]
    assert names == [*rules.RULES, pack.SECRET_POLICY]


def test_a_validation_policy_reports_what_its_rule_finds(plans):
    inputs = _patch(plans["kind-smtp"])
    inputs["metadata"]["annotations"][rules.PATCH_FORCE] = "true"
    reported: list[str] = []

    def report(message: str, urn: str | None = None) -> None:
        reported.append(message)

    patch_policy = next(p for p in pack.policies() if p.name == "zms-patch-leaves-base-alone")
    assert isinstance(patch_policy, ResourceValidationPolicy)
    patch_policy.validate(_args(rules.DEPLOYMENT_PATCH, inputs), report)
    assert reported == rules.patch_leaves_base_alone(rules.DEPLOYMENT_PATCH, inputs) != []


def test_validations_cannot_see_secrets_so_a_remediation_enforces_them():
    """pulumi_policy unwraps secrets for validations; remediations keep the marker."""
    wire = {"stringData": {SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG, "value": {"password": "p"}}}
    assert deserialize_properties(wire) == {"stringData": {"password": "p"}}

    kept = secrets_preserving_proxy(deserialize_properties(wire, True))
    assert pack.make_data_secret(_args(rules.K8S_SECRET, kept)) is None

    plain = secrets_preserving_proxy(deserialize_properties({"stringData": {"password": "p"}, "type": "Opaque"}, True))
    fixed = pack.make_data_secret(_args(rules.K8S_SECRET, plain))
    assert fixed is not None
    assert isinstance(fixed["stringData"], PolicySecret) and fixed["stringData"].value == {"password": "p"}
    assert fixed["type"] == "Opaque"
    assert pack.make_data_secret(_args(rules.DEPLOYMENT_PATCH, plain)) is None


# --- the pack stands alone ----------------------------------------------------------------

PACK_DIR = PROJECT_DIR / "policy_pack"

# Run in a fresh interpreter with `-I`: no PYTHONPATH, no user site, and neither the
# working directory nor the script's folder on sys.path, so only the copy of the pack
# and the venv's packages can be imported.
STANDALONE = r"""
import importlib.util, json, runpy, sys

copy, project = sys.argv[1], sys.argv[2]
for name in ("athenz_ses", "offline_plan", "tests", "policy_pack"):
    spec = importlib.util.find_spec(name)
    where = [] if spec is None else list(spec.submodule_search_locations or [spec.origin])
    assert not any(str(w).startswith(project) for w in where), f"{name} of the project is importable: {where}"

before = list(sys.path)
sys.path.insert(0, copy)
import pack, rules
assert [pack.__file__, rules.__file__] == [copy + "/pack.py", copy + "/rules.py"]
assert sys.path == [copy, *before], "importing the pack changed sys.path"
policies = [p.name for p in pack.policies()]
sys.path.remove(copy)
del sys.modules["pack"], sys.modules["rules"]

# As the CLI starts it: `python -m pulumi.policy <engine> <pack folder>`, with the pack
# folder as working directory, runs the folder with runpy.run_path. PolicyPack would
# serve the policies over gRPC and block: record what it is given instead.
import pulumi_policy

started = []

class RecordingPolicyPack:
    def __init__(self, name, policies, **kwargs):
        started.append({"name": name, "policies": [p.name for p in policies], "sys.path": list(sys.path)})

pulumi_policy.PolicyPack = RecordingPolicyPack
runpy.run_path(copy, run_name="__main__")
assert len(started) == 1, started
assert started[0].pop("sys.path") == [copy, *before], "__main__.py changed sys.path"
print(json.dumps({"policies": policies, "started": started[0]}))
"""


def test_the_pack_runs_from_a_copy_of_its_folder_alone(tmp_path):
    """The pack needs nothing of the program: a copy of policy_pack/ alone, outside the
    project, imports and starts with the project's root not importable."""
    copy = tmp_path / "policy_pack"
    shutil.copytree(PACK_DIR, copy, ignore=shutil.ignore_patterns("venv", "__pycache__"))
    run = subprocess.run(
        [sys.executable, "-I", "-c", STANDALONE, str(copy), str(PROJECT_DIR)],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    expected = [*rules.RULES, pack.SECRET_POLICY]
    assert json.loads(run.stdout) == {"policies": expected, "started": {"name": pack.NAME, "policies": expected}}


def _pins(path: Path) -> dict[str, str]:
    """name -> version of each `name==version` line (comments and `-r` includes aside)."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return {
        canonicalize_name(name): version
        for name, version in (line.split("==", 1) for line in lines if line and not line.startswith("-"))
    }


def _imported_distributions(folder: Path) -> set[str]:
    """The top-level modules the pack's files import, but the standard library and its own."""
    own = {path.stem for path in folder.glob("*.py")}
    names = set()
    for path in folder.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - own - set(sys.stdlib_module_names) - {"__future__"}


def test_the_packs_requirements_pin_what_it_needs_at_the_projects_versions():
    """policy_pack/requirements.txt is the pack's venv: pulumi-policy (all the pack
    imports) and pulumi (which the CLI runs it with), pinned as the project pins them."""
    assert _imported_distributions(PACK_DIR) == {"pulumi_policy"}
    text = (PACK_DIR / "requirements.txt").read_text()
    assert not [line for line in text.splitlines() if line.startswith("-")], "no includes: the pack has its own pins"
    pins = _pins(PACK_DIR / "requirements.txt")
    assert sorted(pins) == ["pulumi", "pulumi-policy"]
    project = {**_pins(PROJECT_DIR / "requirements.txt"), **_pins(PROJECT_DIR / "requirements-dev.txt")}
    assert pins == {name: project[name] for name in pins}
    wants = [Requirement(r) for r in importlib.metadata.requires("pulumi-policy") or []]
    (pulumi,) = [r for r in wants if r.name == "pulumi"]
    assert pulumi.specifier.contains(pins["pulumi"]), f"pulumi-policy wants pulumi{pulumi.specifier}"
