"""IRSA: a role only one Kubernetes ServiceAccount can assume (through the cluster's
OIDC provider, audience STS), with an inline policy that only sends as the given SES
identities."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import pulumi
import pulumi_aws as aws

from components.names import MAX_ROLE_COMPONENT_NAME, ROLE_SUFFIX
from components.policies import SEND_ACTIONS, send_as, service_account_subject, web_identity_trust


@dataclass
class IrsaRoleArgs:
    oidc_provider_arn: pulumi.Input[str]
    """The IAM OIDC provider of the cluster's issuer, in the account the role lives in."""
    issuer_host: str
    """The issuer without https:// (the prefix of the `:sub` and `:aud` condition keys)."""
    namespace: str
    service_account: str
    send_arns: pulumi.Input[Sequence[str]]
    """SES identity ARNs the role may send as (sender, plus recipients in the sandbox)."""
    description: str = "Sends mail through Amazon SES"


class IrsaRole(pulumi.ComponentResource):
    role_arn: pulumi.Output[str]
    send_policy: pulumi.Output[str]
    """The inline policy document (JSON): what the role may do."""
    subject: str
    """The `:sub` the trust policy accepts: system:serviceaccount:<namespace>:<name>."""

    def __init__(self, name: str, args: IrsaRoleArgs, opts: Optional[pulumi.ResourceOptions] = None):
        if len(name) > MAX_ROLE_COMPONENT_NAME:
            raise ValueError(f"IrsaRole name {name!r}: at most {MAX_ROLE_COMPONENT_NAME} characters, so that "
                             "the auto-named IAM role stays within IAM's 64")
        super().__init__("athenz-ses:index:IrsaRole", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.subject = service_account_subject(args.namespace, args.service_account)
        role = aws.iam.Role(
            f"{name}{ROLE_SUFFIX}",
            description=f"{args.description}, assumed by {self.subject} via IRSA",
            assume_role_policy=web_identity_trust(args.oidc_provider_arn, args.issuer_host, self.subject, self),
            opts=child,
        )
        self.send_policy = send_as(args.send_arns, SEND_ACTIONS, self)
        aws.iam.RolePolicy(f"{name}-send", role=role.id, policy=self.send_policy, opts=child)
        self.role_arn = role.arn
        self.register_outputs({"roleArn": self.role_arn})
