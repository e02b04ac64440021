"""Field validators on the offline plan of every scenario and every committed stack.

- identity-based IAM documents (role inline and user policies) through parliament;
- Kubernetes objects (not the DeploymentPatch, which is a partial object) through
  kubernetes-validate in strict mode, for KUBERNETES_VERSION;
- trust policies through the checks below (parliament does not read trust policies).
"""

from __future__ import annotations

import dataclasses
import json
import re

import kubernetes_validate
import parliament
import pytest
from conftest import every_plan_name

from offline_plan.engine import Plan, reveal
from offline_plan.render import policy_documents
from policy_pack.policy_reader import as_list

KUBERNETES_VERSION = "1.33.0"
IDENTITY_POLICIES = {"aws:iam/rolePolicy:RolePolicy": "policy", "aws:iam/userPolicy:UserPolicy": "policy"}
KUBERNETES_OBJECTS = ("kubernetes:core/v1:ServiceAccount", "kubernetes:core/v1:Secret", "kubernetes:core/v1:ConfigMap")
OIDC_PROVIDER = re.compile(
    r"arn:aws:iam::(?P<account>\d{12}):oidc-provider/(?P<issuer>[A-Za-z0-9.-]+(/[A-Za-z0-9._-]+)*)"
)
SUBJECT = re.compile(r"system:serviceaccount:[a-z0-9-]+:[a-z0-9.-]+")
PLANS = every_plan_name()


@pytest.mark.parametrize("name", PLANS)
def test_identity_policies_have_no_parliament_findings(every_plan, name):
    documents = [
        (r.name, r.inputs[field])
        for r in every_plan[name].resources
        for type_, field in IDENTITY_POLICIES.items()
        if r.type == type_
    ]
    assert documents, "every configuration grants ZMS something"
    for resource, text in documents:
        findings = parliament.analyze_policy_string(text).findings
        assert findings == [], f"{resource}: {[(f.issue, f.detail) for f in findings]}"


@pytest.mark.parametrize("name", PLANS)
def test_kubernetes_objects_match_the_strict_schema(every_plan, name):
    objects = [r for r in every_plan[name].resources if r.type in KUBERNETES_OBJECTS]
    assert objects
    for r in objects:
        # The Secret's stringData is wrapped as a secret in the plan: validate the values.
        kubernetes_validate.validate(reveal(r.inputs), KUBERNETES_VERSION, strict=True)


POD_TAGS = {
    "aws:RequestTag/eks-cluster-arn",
    "aws:RequestTag/kubernetes-namespace",
    "aws:RequestTag/kubernetes-service-account",
}
CLUSTER_ARN = re.compile(r"arn:aws:eks:[a-z0-9-]+:\d{12}:cluster/[A-Za-z0-9_-]+")
ROLE_ARN = re.compile(r"arn:aws:iam::(?P<account>\d{12}):role/[A-Za-z0-9+=,.@_-]+")


def _one(value: object) -> str | None:
    """The one string of a policy value (one string, or a list of one), else None."""
    values = as_list(value)
    return values[0] if len(values) == 1 and isinstance(values[0], str) else None


def _pod_identity_problem(name: str, statement: dict, account: str) -> str | None:
    """EKS Pod Identity: pods.eks.amazonaws.com, or (a target role) one role of another
    account, may AssumeRole and TagSession only with the three session tags of one
    cluster, namespace and ServiceAccount."""
    principal = statement.get("Principal", {})
    if statement.get("Effect") != "Allow" or sorted(as_list(statement.get("Action"))) != [
        "sts:AssumeRole",
        "sts:TagSession",
    ]:
        return f"{name}: expected Allow sts:AssumeRole and sts:TagSession"
    condition = statement.get("Condition", {})
    tags = condition.get("StringEquals", {})
    if set(tags) != POD_TAGS or not all(_one(v) for v in tags.values()):
        return f"{name}: expected one value of each Pod Identity session tag, got {tags}"
    if not CLUSTER_ARN.fullmatch(str(_one(tags["aws:RequestTag/eks-cluster-arn"]))):
        return f"{name}: eks-cluster-arn is not a cluster ARN"
    if {key: as_list(ids) for key, ids in principal.items()} == {"Service": ["pods.eks.amazonaws.com"]}:
        return None if set(condition) == {"StringEquals"} else f"{name}: unexpected conditions {condition}"
    root = re.fullmatch(r"arn:aws:iam::(\d{12}):root", str(_one(principal.get("AWS"))))
    chained = ROLE_ARN.fullmatch(str(_one(condition.get("ArnEquals", {}).get("aws:PrincipalARN"))))
    if set(principal) != {"AWS"} or root is None or set(condition) != {"StringEquals", "ArnEquals"}:
        return f"{name}: expected pods.eks.amazonaws.com, or an account root with aws:PrincipalARN, got {principal}"
    if chained is None or chained["account"] != root[1] or root[1] == account:
        return f"{name}: a target role admits one role of the cluster account only, got {condition}"
    return None


def _trust_problems(plan: Plan) -> list[str]:
    """Each role's trust policy: one Allow statement, AssumeRoleWithWebIdentity from the
    cluster's OIDC provider in the role's own account, StringEquals on :sub and :aud only;
    or EKS Pod Identity's (see _pod_identity_problem)."""
    problems = []
    for role in plan.of_type("aws:iam/role:Role"):
        document = policy_documents(role)["assumeRolePolicy"]
        statements = document["Statement"]
        if document.get("Version") != "2012-10-17" or len(statements) != 1:
            problems.append(f"{role.name}: expected Version 2012-10-17 and one statement")
            continue
        statement = statements[0]
        if "Federated" not in statement.get("Principal", {}):
            problem = _pod_identity_problem(role.name, statement, role.location.account)
            problems += [problem] if problem else []
            continue
        provider = OIDC_PROVIDER.fullmatch(str(_one(statement.get("Principal", {}).get("Federated"))))
        if set(statement) - {"Sid"} != {"Effect", "Action", "Principal", "Condition"} or set(
            statement["Principal"]
        ) != {"Federated"}:
            problems.append(
                f"{role.name}: unexpected keys {sorted(statement)} / principal {statement.get('Principal')}"
            )
        elif statement["Effect"] != "Allow" or as_list(statement["Action"]) != ["sts:AssumeRoleWithWebIdentity"]:
            problems.append(f"{role.name}: expected Allow sts:AssumeRoleWithWebIdentity")
        elif provider is None or provider["account"] != role.location.account:
            problems.append(f"{role.name}: principal is not an OIDC provider of account {role.location.account}")
        else:
            issuer = provider["issuer"]
            condition = statement["Condition"]
            if set(condition) != {"StringEquals"} or set(condition["StringEquals"]) != {
                f"{issuer}:sub",
                f"{issuer}:aud",
            }:
                problems.append(f"{role.name}: expected only StringEquals on {issuer}:sub and :aud, got {condition}")
            elif not SUBJECT.fullmatch(str(_one(condition["StringEquals"][f"{issuer}:sub"]))):
                problems.append(f"{role.name}: :sub is not one service account")
            elif _one(condition["StringEquals"][f"{issuer}:aud"]) != "sts.amazonaws.com":
                problems.append(f"{role.name}: :aud is not sts.amazonaws.com")
    return problems


@pytest.mark.parametrize("name", PLANS)
def test_trust_policies_accept_one_service_account_of_one_provider(every_plan, name):
    assert _trust_problems(every_plan[name]) == []


def test_the_trust_checks_see_a_weakened_trust_policy(plans):
    plan = plans["cross-federated-irsa"]
    (role,) = [r for r in plan.of_type("aws:iam/role:Role") if r.name == "athenz-ses-zms-irsa-role"]
    assert role.location.account == "222222222222"  # the role and its provider live in the SES account
    document = policy_documents(role)["assumeRolePolicy"]
    document["Statement"][0]["Condition"]["StringLike"] = {"x:sub": "*"}
    weakened_role = dataclasses.replace(role, inputs={**role.inputs, "assumeRolePolicy": json.dumps(document)})
    weakened = Plan(stack=plan.stack, config=plan.config, resources=[weakened_role])
    assert _trust_problems(Plan(stack=plan.stack, config=plan.config, resources=[role])) == []
    assert len(_trust_problems(weakened)) == 1


@pytest.mark.parametrize(
    ("role_name", "weaken"),
    [
        (
            "athenz-ses-zms-pod-identity-role",
            lambda st: st["Condition"]["StringEquals"].pop("aws:RequestTag/eks-cluster-arn"),
        ),
        (
            "athenz-ses-zms-pod-identity-role",
            lambda st: st.update(Action="sts:AssumeRole"),
        ),  # no TagSession: tags refused
        ("athenz-ses-zms-pod-identity-ses", lambda st: st["Condition"].pop("ArnEquals")),
        ("athenz-ses-zms-pod-identity-ses", lambda st: st.update(Principal={"AWS": "arn:aws:iam::222222222222:root"})),
    ],
)
def test_the_trust_checks_see_a_weakened_pod_identity_trust(plans, role_name, weaken):
    plan = plans["cross-pod-identity"]
    (role,) = [r for r in plan.of_type("aws:iam/role:Role") if r.name == role_name]
    document = policy_documents(role)["assumeRolePolicy"]
    weaken(document["Statement"][0])
    weakened_role = dataclasses.replace(role, inputs={**role.inputs, "assumeRolePolicy": json.dumps(document)})
    assert _trust_problems(Plan(stack=plan.stack, config=plan.config, resources=[role])) == []
    assert len(_trust_problems(Plan(stack=plan.stack, config=plan.config, resources=[weakened_role]))) == 1


def test_parliament_and_kubernetes_validate_find_real_faults():
    """The validators are not silent: a typo'd action and an unknown field are caught."""
    typo = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "ses:SendMail",
                    "Resource": "arn:aws:ses:eu-west-1:111111111111:identity/a@example.com",
                }
            ],
        }
    )
    assert parliament.analyze_policy_string(typo).findings
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(
            {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "stringdata": {}},
            KUBERNETES_VERSION,
            strict=True,
        )
