"""The IAM and SES policy documents of the package, built with aws.iam.get_policy_document.

Every statement the package grants is written here, so a reviewer reads all the access
it grants in one file. None uses a `*` action, resource or principal.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

SEND_ACTIONS = ["ses:SendEmail", "ses:SendRawEmail"]
SMTP_ACTIONS = ["ses:SendRawEmail"]  # an SMTP send is authorized as SendRawEmail
STS_AUDIENCE = "sts.amazonaws.com"


def identity_arn(
    partition: pulumi.Input[str], region: pulumi.Input[str], account_id: pulumi.Input[str], identity: pulumi.Input[str]
) -> pulumi.Output[str]:
    """arn:<partition>:ses:<region>:<account>:identity/<email-or-domain>"""
    return pulumi.Output.concat("arn:", partition, ":ses:", region, ":", account_id, ":identity/", identity)


def service_account_subject(service_account: str) -> str:
    """`namespace/name` -> system:serviceaccount:<namespace>:<name>, the token's `sub`."""
    namespace, name = service_account.split("/")
    return f"system:serviceaccount:{namespace}:{name}"


def issuer_host(issuer_url: pulumi.Input[str]) -> pulumi.Output[str]:
    """The issuer without https:// and trailing '/': the prefix of IRSA's condition keys.

    Takes either form: an EKS cluster's issuer (https://oidc.eks...) or an IAM OIDC
    provider's url (oidc.eks..., as pulumi-eks and the AWS API give it)."""
    return pulumi.Output.from_input(issuer_url).apply(lambda url: url.removeprefix("https://").rstrip("/"))


def _document(
    statement: pulumi.Output[aws.iam.GetPolicyDocumentStatementArgs], parent: pulumi.Resource
) -> pulumi.Output[str]:
    """The policy document of one statement. The statement is an Output because its
    values are (ARNs, the issuer): the document is known once they are."""
    opts = pulumi.InvokeOutputOptions(parent=parent)
    return aws.iam.get_policy_document_output(statements=statement.apply(lambda st: [st]), opts=opts).json


def web_identity_trust(
    provider_arn: pulumi.Input[str], host: pulumi.Input[str], subjects: Sequence[str], parent: pulumi.Resource
) -> pulumi.Output[str]:
    """The IRSA trust policy: these service accounts of one cluster, audience STS."""
    return _document(
        pulumi.Output.all(provider_arn, host).apply(
            lambda values: aws.iam.GetPolicyDocumentStatementArgs(
                effect="Allow",
                actions=["sts:AssumeRoleWithWebIdentity"],
                principals=[aws.iam.GetPolicyDocumentStatementPrincipalArgs(type="Federated", identifiers=[values[0]])],
                conditions=[
                    aws.iam.GetPolicyDocumentStatementConditionArgs(
                        test="StringEquals", variable=f"{values[1]}:sub", values=list(subjects)
                    ),
                    aws.iam.GetPolicyDocumentStatementConditionArgs(
                        test="StringEquals", variable=f"{values[1]}:aud", values=[STS_AUDIENCE]
                    ),
                ],
            )
        ),
        parent,
    )


def send_as(
    identity_arns: pulumi.Input[Sequence[pulumi.Input[str]]],
    actions: Sequence[str],
    parent: pulumi.Resource,
    principal_arns: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None,
) -> pulumi.Output[str]:
    """Allow `actions` on exactly these SES identities (for `principal_arns`, in an identity policy)."""

    def statement(values: list) -> aws.iam.GetPolicyDocumentStatementArgs:
        resources, principals = values
        return aws.iam.GetPolicyDocumentStatementArgs(
            effect="Allow",
            actions=list(actions),
            resources=list(resources),
            principals=None
            if principals is None
            else [aws.iam.GetPolicyDocumentStatementPrincipalArgs(type="AWS", identifiers=list(principals))],
        )

    return _document(pulumi.Output.all(identity_arns, principal_arns).apply(statement), parent)
