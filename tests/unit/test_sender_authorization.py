"""SenderAuthorization: the SES identity policy that lets the given roles (of another
account) send as the sender identity, and no one else."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pytest

from athenz_ses.sender_authorization import SenderAuthorization, SenderAuthorizationArgs

from .unit_mocks import as_list, statement

POLICY = "aws:sesv2/emailIdentityPolicy:EmailIdentityPolicy"
IDENTITY_ARN = "arn:aws:ses:us-east-1:222222222222:identity/zms@example.com"
ROLES = [
    "arn:aws:iam::111111111111:role/sender-mailer-reports-role-abc1234",
    "arn:aws:iam::111111111111:role/sender-billing-invoices-role-def5678",
]


def build(principal_arns) -> None:
    @pulumi.runtime.test
    def run():
        identity = aws.sesv2.EmailIdentity("sender", email_identity="zms@example.com")
        SenderAuthorization(
            "sender-authorization",
            SenderAuthorizationArgs(
                identity=identity,
                identity_arn=IDENTITY_ARN,
                principal_arns=principal_arns,
                from_addresses=["zms@example.com"],
            ),
        )

    run()


def test_identity_policy_admits_exactly_the_given_roles(mocks):
    build([pulumi.Output.from_input(ROLES[0]), ROLES[1]])  # role ARNs are usually Outputs
    st = statement(mocks.one(POLICY).inputs["policy"])
    assert st["Effect"] == "Allow"
    assert set(st["Principal"]) == {"AWS"}
    assert sorted(as_list(st["Principal"]["AWS"])) == sorted(ROLES)
    assert set(st) <= {"Sid", "Effect", "Action", "Resource", "Principal", "Condition"}
    assert st["Condition"] == {"StringEquals": {"ses:FromAddress": ["zms@example.com"]}}


def test_one_role_is_admitted_alone(mocks):
    build([ROLES[0]])
    assert as_list(statement(mocks.one(POLICY).inputs["policy"])["Principal"]["AWS"]) == [ROLES[0]]


def test_the_roles_may_send_as_the_sender_identity_only(mocks):
    build(ROLES)
    policy = mocks.one(POLICY).inputs
    st = statement(policy["policy"])
    assert sorted(as_list(st["Action"])) == ["ses:SendEmail", "ses:SendRawEmail"]
    assert as_list(st["Resource"]) == [IDENTITY_ARN]
    assert policy["emailIdentity"] == "zms@example.com"  # attached to the given identity
    assert policy["policyName"] == "athenz-ses-sending-authorization"


def test_refuses_an_empty_principal_list(mocks):
    with pytest.raises(ValueError, match="principal_arns and from_addresses: at least one each"):
        build([])
    assert mocks.of_type(POLICY) == []
