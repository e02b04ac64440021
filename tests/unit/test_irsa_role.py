"""IrsaRole: an IAM role only the given ServiceAccounts assume (IRSA), holding exactly
the inline policies its caller passes."""

from __future__ import annotations

import json
import re

import pulumi
import pytest

from athenz_ses.irsa_role import IrsaRole, IrsaRoleArgs
from athenz_ses.names import MAX_ROLE_COMPONENT_NAME
from offline_plan.mocks import autoname

from .unit_mocks import ACCOUNT, ISSUER, ISSUER_HOST, OIDC_ARN, as_list, statement

SEND = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "ses:SendEmail",
                "Resource": "arn:aws:ses:eu-west-1:123456789012:identity/a@example.com",
            }
        ],
    }
)
READ = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/key"}],
    }
)


def args(**overrides) -> IrsaRoleArgs:
    values = dict(
        oidc_provider_arn=pulumi.Output.from_input(OIDC_ARN),
        issuer_url=ISSUER,
        service_accounts=["mailer/reports"],
        inline_policies={"send": SEND},
    )
    return IrsaRoleArgs(**{**values, **overrides})


@pytest.mark.parametrize("issuer", [ISSUER, ISSUER_HOST, ISSUER + "/"], ids=["https", "bare-host", "trailing-slash"])
def test_trust_admits_exactly_the_given_service_accounts_under_the_issuer_host(mocks, issuer):
    exposed: list[str] = []

    @pulumi.runtime.test
    def build():
        role = IrsaRole("reports", args(issuer_url=issuer, service_accounts=["mailer/reports", "billing/invoices"]))
        return role.trust_policy.apply(exposed.append)

    build()
    trust = mocks.one("aws:iam/role:Role").inputs["assumeRolePolicy"]
    assert exposed == [trust]  # the trust_policy output is what the role was given
    st = statement(trust)
    assert st["Effect"] == "Allow"
    assert as_list(st["Action"]) == ["sts:AssumeRoleWithWebIdentity"]
    assert st["Principal"] == {"Federated": [OIDC_ARN]}
    assert set(st["Condition"]) == {"StringEquals"}
    condition = st["Condition"]["StringEquals"]
    assert set(condition) == {f"{ISSUER_HOST}:sub", f"{ISSUER_HOST}:aud"}
    assert sorted(as_list(condition[f"{ISSUER_HOST}:sub"])) == [
        "system:serviceaccount:billing:invoices",
        "system:serviceaccount:mailer:reports",
    ]
    assert as_list(condition[f"{ISSUER_HOST}:aud"]) == ["sts.amazonaws.com"]


@pulumi.runtime.test
def test_subjects_are_the_service_account_subs_in_order(mocks):
    role = IrsaRole("reports", args(service_accounts=["mailer/reports", "billing/invoices"]))
    assert role.subjects == ["system:serviceaccount:mailer:reports", "system:serviceaccount:billing:invoices"]


@pulumi.runtime.test
def test_role_arn_and_name_are_the_roles(mocks):
    role = IrsaRole("reports", args())

    def check(values: list) -> None:
        arn, name = values
        assert name.startswith("reports-role-")
        assert arn == f"arn:aws:iam::{ACCOUNT}:role/{name}"

    return pulumi.Output.all(role.role_arn, role.role_name).apply(check)


def test_each_inline_policy_is_one_role_policy_with_exactly_that_document(mocks):
    @pulumi.runtime.test
    def build():
        IrsaRole("reports", args(inline_policies={"send": SEND, "read": pulumi.Output.from_input(READ)}))

    build()
    policies = {r.name: r.inputs for r in mocks.of_type("aws:iam/rolePolicy:RolePolicy")}
    assert policies == {
        "reports-send": {"role": autoname("reports-role"), "policy": SEND},
        "reports-read": {"role": autoname("reports-role"), "policy": READ},
    }


def test_the_role_grants_nothing_but_the_inline_policies(mocks):
    @pulumi.runtime.test
    def build():
        IrsaRole("reports", args())

    build()
    assert mocks.types() == {"aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy"}
    role = mocks.one("aws:iam/role:Role")
    # No managed policy, no inline policy on the role itself, no permissions boundary to widen.
    assert set(role.inputs) == {"assumeRolePolicy", "description"}


@pytest.mark.parametrize(
    "overrides, message",
    [
        (dict(name="r" * (MAX_ROLE_COMPONENT_NAME + 1)), f"at most {MAX_ROLE_COMPONENT_NAME} characters"),
        (dict(service_accounts=[]), "service_accounts: at least one namespace/name"),
        (dict(service_accounts=["reports"]), "'reports' is not namespace/name"),
        (dict(service_accounts=["Mailer/reports"]), "'Mailer/reports' is not namespace/name"),
        (dict(service_accounts=["mailer/reports/x"]), "'mailer/reports/x' is not namespace/name"),
        (dict(inline_policies={"send mail": SEND}), "'send mail' is not an IAM policy name"),
    ],
    ids=["name-too-long", "no-service-account", "no-namespace", "upper-case", "two-slashes", "bad-policy-name"],
)
def test_refuses_bad_args_naming_the_problem(mocks, overrides, message):
    name = overrides.pop("name", "reports")

    @pulumi.runtime.test
    def build():
        IrsaRole(name, args(**overrides))

    with pytest.raises(ValueError, match=re.escape(message)):
        build()
    assert mocks.resources == []  # refused before anything is registered


def test_the_longest_allowed_name_is_accepted(mocks):
    @pulumi.runtime.test
    def build():
        IrsaRole("r" * MAX_ROLE_COMPONENT_NAME, args())

    build()
    # The auto-named role (logical name + '-' + 7 characters) fits IAM's 64.
    assert len(autoname(mocks.one("aws:iam/role:Role").name)) <= 64


def test_every_problem_is_reported_at_once(mocks):
    @pulumi.runtime.test
    def build():
        IrsaRole("r" * 60, args(service_accounts=["reports"], inline_policies={"a b": SEND}))

    with pytest.raises(ValueError) as error:
        build()
    assert f"at most {MAX_ROLE_COMPONENT_NAME} characters" in str(error.value)
    assert "'reports' is not namespace/name" in str(error.value)
    assert "'a b' is not an IAM policy name" in str(error.value)
