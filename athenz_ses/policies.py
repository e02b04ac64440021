"""The IAM, SES and SNS policy documents of the package, as the exact JSON AWS receives.

Each document is a plain dict (Version 2012-10-17, a Statement list) turned into a string
with `pulumi.Output.json_dumps`: the string a resource's policy input carries is the one
AWS gets, and the one the offline plan, the policy pack and the access proof read; no
provider function renders it. Every action, resource, principal and condition value is
written as a list, also where AWS would take a single string.

Every statement the package grants is written here, so a reviewer reads all the access
it grants in one file. None uses a `*` action, resource or principal.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi

SEND_ACTIONS = ["ses:SendEmail", "ses:SendRawEmail"]
SMTP_ACTIONS = ["ses:SendRawEmail"]  # an SMTP send is authorized as SendRawEmail
STS_AUDIENCE = "sts.amazonaws.com"
VERSION = "2012-10-17"  # the IAM policy language version of every document


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


def _document(*statements: dict[str, Any]) -> dict[str, Any]:
    """A policy document of these statements."""
    return {"Version": VERSION, "Statement": list(statements)}


def web_identity_trust(
    provider_arn: pulumi.Input[str], host: pulumi.Input[str], subjects: Sequence[str]
) -> pulumi.Output[str]:
    """The IRSA trust policy: these service accounts of one cluster, audience STS."""

    def document(values: list[str]) -> dict[str, Any]:
        provider, issuer = values
        return _document(
            {
                "Effect": "Allow",
                "Action": ["sts:AssumeRoleWithWebIdentity"],
                "Principal": {"Federated": [provider]},
                "Condition": {
                    "StringEquals": {f"{issuer}:sub": list(subjects), f"{issuer}:aud": [STS_AUDIENCE]},
                },
            }
        )

    return pulumi.Output.json_dumps(pulumi.Output.all(provider_arn, host).apply(document))


# EKS Pod Identity: the session tags EKS sets when it assumes a role for a pod.
POD_IDENTITY_SERVICE = "pods.eks.amazonaws.com"
POD_IDENTITY_ACTIONS = ["sts:AssumeRole", "sts:TagSession"]
CLUSTER_TAG = "aws:RequestTag/eks-cluster-arn"
NAMESPACE_TAG = "aws:RequestTag/kubernetes-namespace"
SERVICE_ACCOUNT_TAG = "aws:RequestTag/kubernetes-service-account"


def _pod_tags(cluster_arn: str, service_account: str) -> dict[str, list[str]]:
    """The StringEquals block on the session tags of this cluster and ServiceAccount."""
    namespace, name = service_account.split("/")
    return {CLUSTER_TAG: [cluster_arn], NAMESPACE_TAG: [namespace], SERVICE_ACCOUNT_TAG: [name]}


def pod_identity_trust(cluster_arn: pulumi.Input[str], service_account: str) -> pulumi.Output[str]:
    """The Pod Identity trust policy: EKS (pods.eks.amazonaws.com) may assume the role, and
    tag the session, only for this ServiceAccount (`namespace/name`) of this cluster."""
    return pulumi.Output.json_dumps(
        pulumi.Output.from_input(cluster_arn).apply(
            lambda arn: _document(
                {
                    "Effect": "Allow",
                    "Action": list(POD_IDENTITY_ACTIONS),
                    "Principal": {"Service": [POD_IDENTITY_SERVICE]},
                    "Condition": {"StringEquals": _pod_tags(arn, service_account)},
                }
            )
        )
    )


def target_role_trust(
    association_role_arn: pulumi.Input[str], cluster_arn: pulumi.Input[str], service_account: str
) -> pulumi.Output[str]:
    """The trust policy of a Pod Identity target role (AWS EKS user guide, "Access AWS
    Resources using EKS Pod Identity Target IAM Roles"): the association role's account,
    only as that role (aws:PrincipalARN), with the session tags EKS sets for this cluster
    and ServiceAccount."""

    def document(values: list[str]) -> dict[str, Any]:
        role_arn, arn = values
        partition, account = role_arn.split(":")[1], role_arn.split(":")[4]
        return _document(
            {
                "Effect": "Allow",
                "Action": list(POD_IDENTITY_ACTIONS),
                "Principal": {"AWS": [f"arn:{partition}:iam::{account}:root"]},
                "Condition": {
                    "StringEquals": _pod_tags(arn, service_account),
                    "ArnEquals": {"aws:PrincipalARN": [role_arn]},
                },
            }
        )

    return pulumi.Output.json_dumps(pulumi.Output.all(association_role_arn, cluster_arn).apply(document))


def assume_target_role(target_role_arn: pulumi.Input[str]) -> pulumi.Output[str]:
    """The association role's only permission across accounts: chain into the target role."""
    return pulumi.Output.json_dumps(
        _document({"Effect": "Allow", "Action": list(POD_IDENTITY_ACTIONS), "Resource": [target_role_arn]})
    )


FROM_ADDRESS = "ses:FromAddress"  # the From address of the message; compared case-sensitively


def send_as(
    identity_arns: pulumi.Input[Sequence[pulumi.Input[str]]],
    actions: Sequence[str],
    from_addresses: Sequence[str],
    principal_arns: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None,
) -> pulumi.Output[str]:
    """Allow `actions` on exactly these SES resources (identities, and the configuration set
    their sends go through; for `principal_arns`, in an identity policy), and only for mail
    whose From is one of `from_addresses` (`ses:FromAddress`, StringEquals): an identity of
    a domain covers every address of it, and the grant must not."""
    if not from_addresses:
        raise ValueError("send_as: from_addresses must name at least one address")

    def document(values: list) -> dict[str, Any]:
        resources, principals = values
        statement: dict[str, Any] = {"Effect": "Allow", "Action": list(actions), "Resource": list(resources)}
        if principals is not None:
            statement["Principal"] = {"AWS": list(principals)}
        statement["Condition"] = {"StringEquals": {FROM_ADDRESS: list(from_addresses)}}
        return _document(statement)

    return pulumi.Output.json_dumps(pulumi.Output.all(identity_arns, principal_arns).apply(document))


# SES event publishing to SNS: the topic's access policy (SES developer guide, "Set up an
# Amazon SNS event destination for event publishing").
SES_SERVICE = "ses.amazonaws.com"
SNS_PUBLISH = "SNS:Publish"
SOURCE_ACCOUNT = "AWS:SourceAccount"
SOURCE_ARN = "AWS:SourceArn"


def ses_events_topic_policy(
    topic_arn: pulumi.Input[str], configuration_set_arn: pulumi.Input[str]
) -> pulumi.Output[str]:
    """The access policy of the SNS topic SES publishes a configuration set's events to:
    only SES (ses.amazonaws.com) may publish to it, for the configuration set's own
    account (AWS:SourceAccount, taken from the set's ARN) and for that configuration set
    alone (AWS:SourceArn), both StringEquals as the SES developer guide writes them."""

    def document(values: list[str]) -> dict[str, Any]:
        topic, configuration_set = values
        account = configuration_set.split(":")[4]
        return _document(
            {
                "Effect": "Allow",
                "Action": [SNS_PUBLISH],
                "Resource": [topic],
                "Principal": {"Service": [SES_SERVICE]},
                "Condition": {"StringEquals": {SOURCE_ACCOUNT: [account], SOURCE_ARN: [configuration_set]}},
            }
        )

    return pulumi.Output.json_dumps(pulumi.Output.all(topic_arn, configuration_set_arn).apply(document))
