"""The IAM and SES policy documents of the stack, built with aws.iam.get_policy_document.

Every statement of the stack is written here, so a reviewer reads all the access it
grants in one file. None uses a `*` action, resource or principal.
"""

from __future__ import annotations

from typing import Optional, Sequence

import pulumi
import pulumi_aws as aws

SEND_ACTIONS = ["ses:SendEmail", "ses:SendRawEmail"]
SMTP_ACTIONS = ["ses:SendRawEmail"]  # an SMTP send is authorized as SendRawEmail
STS_AUDIENCE = "sts.amazonaws.com"


def identity_arn(partition: pulumi.Input[str], region: str, account_id: str, identity: str) -> pulumi.Output[str]:
    """arn:<partition>:ses:<region>:<account>:identity/<email-or-domain>"""
    return pulumi.Output.concat("arn:", partition, f":ses:{region}:{account_id}:identity/{identity}")


def service_account_subject(namespace: str, service_account: str) -> str:
    return f"system:serviceaccount:{namespace}:{service_account}"


def _document(statement: aws.iam.GetPolicyDocumentStatementArgs, parent: pulumi.Resource) -> pulumi.Output[str]:
    opts = pulumi.InvokeOutputOptions(parent=parent)
    return aws.iam.get_policy_document_output(statements=[statement], opts=opts).json


def web_identity_trust(
    provider_arn: pulumi.Input[str], issuer_host: str, subject: str, parent: pulumi.Resource
) -> pulumi.Output[str]:
    """The IRSA trust policy: one service account of one cluster, audience STS."""
    return _document(
        aws.iam.GetPolicyDocumentStatementArgs(
            effect="Allow",
            actions=["sts:AssumeRoleWithWebIdentity"],
            principals=[aws.iam.GetPolicyDocumentStatementPrincipalArgs(type="Federated", identifiers=[provider_arn])],
            conditions=[
                aws.iam.GetPolicyDocumentStatementConditionArgs(test="StringEquals", variable=f"{issuer_host}:sub", values=[subject]),
                aws.iam.GetPolicyDocumentStatementConditionArgs(test="StringEquals", variable=f"{issuer_host}:aud", values=[STS_AUDIENCE]),
            ],
        ),
        parent,
    )


def send_as(
    identity_arns: pulumi.Input[Sequence[str]],
    actions: Sequence[str],
    parent: pulumi.Resource,
    principal_arns: Optional[Sequence[pulumi.Input[str]]] = None,
) -> pulumi.Output[str]:
    """Allow `actions` on exactly these SES identities (for `principal_arns`, in an identity policy)."""
    principals = None
    if principal_arns is not None:
        principals = [aws.iam.GetPolicyDocumentStatementPrincipalArgs(type="AWS", identifiers=list(principal_arns))]
    return _document(
        aws.iam.GetPolicyDocumentStatementArgs(
            effect="Allow", actions=list(actions), resources=identity_arns, principals=principals
        ),
        parent,
    )
