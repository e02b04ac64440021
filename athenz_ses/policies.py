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


def configuration_set_arn(
    partition: pulumi.Input[str], region: pulumi.Input[str], account_id: pulumi.Input[str], name: pulumi.Input[str]
) -> pulumi.Output[str]:
    """arn:<partition>:ses:<region>:<account>:configuration-set/<name>. SES authorizes a
    send on the configuration set it applies too, the identity's default included: a
    sender needs ses:SendEmail/SendRawEmail on it (SES's service authorization reference
    lists `configuration-set` as a resource of both actions)."""
    return pulumi.Output.concat("arn:", partition, ":ses:", region, ":", account_id, ":configuration-set/", name)


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


# EKS Pod Identity: the session tags EKS sets when it assumes a role for a pod.
POD_IDENTITY_SERVICE = "pods.eks.amazonaws.com"
POD_IDENTITY_ACTIONS = ["sts:AssumeRole", "sts:TagSession"]
CLUSTER_TAG = "aws:RequestTag/eks-cluster-arn"
NAMESPACE_TAG = "aws:RequestTag/kubernetes-namespace"
SERVICE_ACCOUNT_TAG = "aws:RequestTag/kubernetes-service-account"


def _pod_tags(cluster_arn: str, service_account: str) -> list[aws.iam.GetPolicyDocumentStatementConditionArgs]:
    namespace, name = service_account.split("/")
    return [
        aws.iam.GetPolicyDocumentStatementConditionArgs(test="StringEquals", variable=key, values=[value])
        for key, value in ((CLUSTER_TAG, cluster_arn), (NAMESPACE_TAG, namespace), (SERVICE_ACCOUNT_TAG, name))
    ]


def pod_identity_trust(
    cluster_arn: pulumi.Input[str], service_account: str, parent: pulumi.Resource
) -> pulumi.Output[str]:
    """The Pod Identity trust policy: EKS (pods.eks.amazonaws.com) may assume the role, and
    tag the session, only for this ServiceAccount (`namespace/name`) of this cluster."""
    return _document(
        pulumi.Output.from_input(cluster_arn).apply(
            lambda arn: aws.iam.GetPolicyDocumentStatementArgs(
                effect="Allow",
                actions=POD_IDENTITY_ACTIONS,
                principals=[
                    aws.iam.GetPolicyDocumentStatementPrincipalArgs(type="Service", identifiers=[POD_IDENTITY_SERVICE])
                ],
                conditions=_pod_tags(arn, service_account),
            )
        ),
        parent,
    )


def target_role_trust(
    association_role_arn: pulumi.Input[str],
    cluster_arn: pulumi.Input[str],
    service_account: str,
    parent: pulumi.Resource,
) -> pulumi.Output[str]:
    """The trust policy of a Pod Identity target role (AWS EKS user guide, "Access AWS
    Resources using EKS Pod Identity Target IAM Roles"): the association role's account,
    only as that role (aws:PrincipalARN), with the session tags EKS sets for this cluster
    and ServiceAccount."""

    def statement(values: list[str]) -> aws.iam.GetPolicyDocumentStatementArgs:
        role_arn, arn = values
        partition, account = role_arn.split(":")[1], role_arn.split(":")[4]
        return aws.iam.GetPolicyDocumentStatementArgs(
            effect="Allow",
            actions=POD_IDENTITY_ACTIONS,
            principals=[
                aws.iam.GetPolicyDocumentStatementPrincipalArgs(
                    type="AWS", identifiers=[f"arn:{partition}:iam::{account}:root"]
                )
            ],
            conditions=[
                *_pod_tags(arn, service_account),
                aws.iam.GetPolicyDocumentStatementConditionArgs(
                    test="ArnEquals", variable="aws:PrincipalARN", values=[role_arn]
                ),
            ],
        )

    return _document(pulumi.Output.all(association_role_arn, cluster_arn).apply(statement), parent)


def assume_target_role(target_role_arn: pulumi.Input[str], parent: pulumi.Resource) -> pulumi.Output[str]:
    """The association role's only permission across accounts: chain into the target role."""
    return _document(
        pulumi.Output.from_input(target_role_arn).apply(
            lambda arn: aws.iam.GetPolicyDocumentStatementArgs(
                effect="Allow", actions=POD_IDENTITY_ACTIONS, resources=[arn]
            )
        ),
        parent,
    )


FROM_ADDRESS = "ses:FromAddress"  # the From address of the message; compared case-sensitively


def send_as(
    identity_arns: pulumi.Input[Sequence[pulumi.Input[str]]],
    actions: Sequence[str],
    parent: pulumi.Resource,
    from_addresses: Sequence[str],
    principal_arns: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None,
) -> pulumi.Output[str]:
    """Allow `actions` on exactly these SES resources (identities, and the configuration set
    their sends go through; for `principal_arns`, in an identity policy), and only for mail
    whose From is one of `from_addresses` (`ses:FromAddress`, StringEquals): an identity of
    a domain covers every address of it, and the grant must not."""
    if not from_addresses:
        raise ValueError("send_as: from_addresses must name at least one address")

    def statement(values: list) -> aws.iam.GetPolicyDocumentStatementArgs:
        resources, principals = values
        return aws.iam.GetPolicyDocumentStatementArgs(
            effect="Allow",
            actions=list(actions),
            resources=list(resources),
            principals=None
            if principals is None
            else [aws.iam.GetPolicyDocumentStatementPrincipalArgs(type="AWS", identifiers=list(principals))],
            conditions=[
                aws.iam.GetPolicyDocumentStatementConditionArgs(
                    test="StringEquals", variable=FROM_ADDRESS, values=list(from_addresses)
                )
            ],
        )

    return _document(pulumi.Output.all(identity_arns, principal_arns).apply(statement), parent)


# SES event publishing to SNS: the topic's access policy (SES developer guide, "Set up an
# Amazon SNS event destination for event publishing").
SES_SERVICE = "ses.amazonaws.com"
SNS_PUBLISH = "SNS:Publish"
SOURCE_ACCOUNT = "AWS:SourceAccount"
SOURCE_ARN = "AWS:SourceArn"


def ses_events_topic_policy(
    topic_arn: pulumi.Input[str], configuration_set_arn: pulumi.Input[str], parent: pulumi.Resource
) -> pulumi.Output[str]:
    """The access policy of the SNS topic SES publishes a configuration set's events to:
    only SES (ses.amazonaws.com) may publish to it, for the configuration set's own
    account (AWS:SourceAccount, taken from the set's ARN) and for that configuration set
    alone (AWS:SourceArn), both StringEquals as the SES developer guide writes them."""

    def statement(values: list[str]) -> aws.iam.GetPolicyDocumentStatementArgs:
        topic, configuration_set = values
        account = configuration_set.split(":")[4]
        return aws.iam.GetPolicyDocumentStatementArgs(
            effect="Allow",
            actions=[SNS_PUBLISH],
            resources=[topic],
            principals=[aws.iam.GetPolicyDocumentStatementPrincipalArgs(type="Service", identifiers=[SES_SERVICE])],
            conditions=[
                aws.iam.GetPolicyDocumentStatementConditionArgs(
                    test="StringEquals", variable=SOURCE_ACCOUNT, values=[account]
                ),
                aws.iam.GetPolicyDocumentStatementConditionArgs(
                    test="StringEquals", variable=SOURCE_ARN, values=[configuration_set]
                ),
            ],
        )

    return _document(pulumi.Output.all(topic_arn, configuration_set_arn).apply(statement), parent)
