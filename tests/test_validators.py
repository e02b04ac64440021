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
from conftest import SCENARIOS

from offline_plan.engine import Plan, reveal
from offline_plan.render import policy_documents
from offline_plan.stacks import committed_stacks

KUBERNETES_VERSION = "1.33.0"
IDENTITY_POLICIES = {"aws:iam/rolePolicy:RolePolicy": "policy", "aws:iam/userPolicy:UserPolicy": "policy"}
KUBERNETES_OBJECTS = ("kubernetes:core/v1:ServiceAccount", "kubernetes:core/v1:Secret", "kubernetes:core/v1:ConfigMap")
OIDC_PROVIDER = re.compile(
    r"arn:aws:iam::(?P<account>\d{12}):oidc-provider/(?P<issuer>[A-Za-z0-9.-]+(/[A-Za-z0-9._-]+)*)"
)
SUBJECT = re.compile(r"system:serviceaccount:[a-z0-9-]+:[a-z0-9.-]+")
PLANS = [f"scenario:{s}" for s in SCENARIOS] + [f"stack:{s}" for s in committed_stacks()]


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


def _trust_problems(plan: Plan) -> list[str]:
    """Each role's trust policy: one Allow statement, AssumeRoleWithWebIdentity from the
    cluster's OIDC provider in the role's own account, StringEquals on :sub and :aud only."""
    problems = []
    for role in plan.of_type("aws:iam/role:Role"):
        document = policy_documents(role)["assumeRolePolicy"]
        statements = document["Statement"]
        if document.get("Version") != "2012-10-17" or len(statements) != 1:
            problems.append(f"{role.name}: expected Version 2012-10-17 and one statement")
            continue
        statement = statements[0]
        provider = OIDC_PROVIDER.fullmatch(str(statement.get("Principal", {}).get("Federated")))
        if set(statement) - {"Sid"} != {"Effect", "Action", "Principal", "Condition"} or set(
            statement["Principal"]
        ) != {"Federated"}:
            problems.append(
                f"{role.name}: unexpected keys {sorted(statement)} / principal {statement.get('Principal')}"
            )
        elif statement["Effect"] != "Allow" or statement["Action"] != "sts:AssumeRoleWithWebIdentity":
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
            elif not SUBJECT.fullmatch(str(condition["StringEquals"][f"{issuer}:sub"])):
                problems.append(f"{role.name}: :sub is not one service account")
            elif condition["StringEquals"][f"{issuer}:aud"] != "sts.amazonaws.com":
                problems.append(f"{role.name}: :aud is not sts.amazonaws.com")
    return problems


@pytest.mark.parametrize("name", PLANS)
def test_trust_policies_accept_one_service_account_of_one_provider(every_plan, name):
    assert _trust_problems(every_plan[name]) == []


def test_the_trust_checks_see_a_weakened_trust_policy(plans):
    plan = plans["cross-federated-irsa"]
    (role,) = [r for r in plan.of_type("aws:iam/role:Role") if r.name == "zms-irsa-role"]
    assert role.location.account == "222222222222"  # the role and its provider live in the SES account
    document = policy_documents(role)["assumeRolePolicy"]
    document["Statement"][0]["Condition"]["StringLike"] = {"x:sub": "*"}
    weakened_role = dataclasses.replace(role, inputs={**role.inputs, "assumeRolePolicy": json.dumps(document)})
    weakened = Plan(stack=plan.stack, config=plan.config, resources=[weakened_role])
    assert _trust_problems(Plan(stack=plan.stack, config=plan.config, resources=[role])) == []
    assert len(_trust_problems(weakened)) == 1


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
