"""PodIdentityRole: EKS Pod Identity for one ServiceAccount of one cluster; across
accounts, a target role that trusts only the association role (our own mock; the
evaluator's proof of the same documents is tests/test_access.py)."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pytest

from athenz_ses.names import MAX_ROLE_COMPONENT_NAME
from athenz_ses.pod_identity import PodIdentityRole, PodIdentityRoleArgs
from offline_plan.mocks import autoname

from .unit_mocks import ACCOUNT, statement

CLUSTER_ARN = f"arn:aws:eks:eu-west-1:{ACCOUNT}:cluster/prod"
SES_ACCOUNT = "222222222222"  # the target provider's (allowed_account_ids)
SEND = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "ses:SendEmail",
                "Resource": "arn:aws:ses:eu-west-1:222222222222:identity/a@example.com",
            }
        ],
    }
)
ROLE, POLICY = "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy"
ASSOCIATION = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
TAGS = {
    "aws:RequestTag/eks-cluster-arn": [CLUSTER_ARN],
    "aws:RequestTag/kubernetes-namespace": ["athenz"],
    "aws:RequestTag/kubernetes-service-account": ["zms"],
}


def build(target: bool = False, **overrides) -> None:
    @pulumi.runtime.test
    def run():
        provider = aws.Provider("ses", region="eu-west-1", allowed_account_ids=[SES_ACCOUNT]) if target else None
        values = dict(
            cluster_name="prod",
            cluster_arn=pulumi.Output.from_input(CLUSTER_ARN),
            service_account="athenz/zms",
            inline_policies={"send": SEND},
            target_provider=provider,
        )
        role = PodIdentityRole("zms", PodIdentityRoleArgs(**{**values, **overrides}))
        return role.role_arn

    run()


def role_named(mocks, name: str):
    (found,) = [r for r in mocks.of_type(ROLE) if r.name == name]
    return found


def test_one_account_the_role_trusts_eks_for_this_service_account_and_holds_the_policies(mocks):
    build()
    role = mocks.one(ROLE)
    assert role.name == "zms-role"
    assert statement(role.inputs["assumeRolePolicy"]) == {
        "Effect": "Allow",
        "Action": ["sts:AssumeRole", "sts:TagSession"],
        "Principal": {"Service": ["pods.eks.amazonaws.com"]},
        "Condition": {"StringEquals": TAGS},
    }
    (policy,) = mocks.of_type(POLICY)
    assert (policy.name, policy.inputs["role"], policy.inputs["policy"]) == ("zms-send", autoname(role.name), SEND)
    association = mocks.one(ASSOCIATION).inputs
    assert association == {
        "clusterName": "prod",
        "namespace": "athenz",
        "serviceAccount": "zms",
        "roleArn": f"arn:aws:iam::{ACCOUNT}:role/{autoname(role.name)}",
        "disableSessionTags": False,
    }


def test_across_accounts_the_target_role_holds_the_policies_and_trusts_only_the_association_role(mocks):
    build(target=True)
    role, target = role_named(mocks, "zms-role"), role_named(mocks, "zms-ses")
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/{autoname(role.name)}"
    assert statement(target.inputs["assumeRolePolicy"]) == {
        "Effect": "Allow",
        "Action": ["sts:AssumeRole", "sts:TagSession"],
        "Principal": {"AWS": [f"arn:aws:iam::{ACCOUNT}:root"]},
        "Condition": {"StringEquals": TAGS, "ArnEquals": {"aws:PrincipalARN": [role_arn]}},
    }
    # Only the target role is created through the other account's provider.
    assert target.provider is not None and "ses" in target.provider
    assert role.provider is None or "ses" not in role.provider
    policies = {p.name: p for p in mocks.of_type(POLICY)}
    assert set(policies) == {"zms-chain", "zms-send"}
    assert policies["zms-send"].inputs["role"] == autoname(target.name)
    assert "ses" in (policies["zms-send"].provider or "")
    target_arn = f"arn:aws:iam::{SES_ACCOUNT}:role/{autoname(target.name)}"  # in the target provider's account
    assert policies["zms-chain"].inputs["role"] == autoname(role.name)
    assert statement(policies["zms-chain"].inputs["policy"]) == {
        "Effect": "Allow",
        "Action": ["sts:AssumeRole", "sts:TagSession"],
        "Resource": [target_arn],
    }
    association = mocks.one(ASSOCIATION).inputs
    assert (association["roleArn"], association["targetRoleArn"]) == (role_arn, target_arn)
    assert association["disableSessionTags"] is False


def test_without_a_target_there_is_no_chain_grant(mocks):
    build()
    assert [p.name for p in mocks.of_type(POLICY)] == ["zms-send"]
    assert "targetRoleArn" not in mocks.one(ASSOCIATION).inputs


def test_bad_args_are_all_refused_before_anything_is_registered(mocks):
    with pytest.raises(ValueError) as raised:

        @pulumi.runtime.test
        def run():
            PodIdentityRole(
                "x" * (MAX_ROLE_COMPONENT_NAME + 1),
                PodIdentityRoleArgs(cluster_name="prod", cluster_arn=CLUSTER_ARN, service_account="Athenz/zms"),
            )

        run()
    message = str(raised.value)
    assert f"at most {MAX_ROLE_COMPONENT_NAME} characters" in message
    assert "'Athenz/zms' is not namespace/name" in message
    assert mocks.resources == []
