"""IRSA: the cluster's OIDC provider (looked up or created), a role only one service
account can assume, and an inline policy that only sends as the given SES identities."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import pulumi
import pulumi_aws as aws

from components.policies import SEND_ACTIONS, STS_AUDIENCE, send_as, service_account_subject, web_identity_trust


@dataclass
class IrsaRoleArgs:
    issuer_url: str
    """The cluster's OIDC issuer, https://, without a trailing slash."""
    namespace: str
    service_account: str
    send_arns: pulumi.Input[Sequence[str]]
    """SES identity ARNs the role may send as (sender, plus recipients in the sandbox)."""
    create_oidc_provider: bool = False
    """Create the IAM OIDC provider instead of looking up the existing one (a looked-up
    provider is never touched, so `pulumi destroy` never deletes it)."""


class IrsaRole(pulumi.ComponentResource):
    role_arn: pulumi.Output[str]
    oidc_provider_arn: pulumi.Output[str]
    subject: str
    """The `:sub` the trust policy accepts: system:serviceaccount:<namespace>:<name>."""

    def __init__(self, name: str, args: IrsaRoleArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("athenz-ses:index:IrsaRole", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        issuer_host = args.issuer_url.removeprefix("https://")
        self.subject = service_account_subject(args.namespace, args.service_account)

        if args.create_oidc_provider:
            provider = aws.iam.OpenIdConnectProvider(
                f"{name}-oidc", url=args.issuer_url, client_id_lists=[STS_AUDIENCE], opts=child
            )
            self.oidc_provider_arn = provider.arn
        else:
            self.oidc_provider_arn = aws.iam.get_open_id_connect_provider_output(
                url=args.issuer_url, opts=pulumi.InvokeOutputOptions(parent=self)
            ).arn

        role = aws.iam.Role(
            f"{name}-role",
            description=f"Athenz ZMS notifications through SES, assumed by {self.subject} via IRSA",
            assume_role_policy=web_identity_trust(self.oidc_provider_arn, issuer_host, self.subject, self),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-send",
            role=role.id,
            policy=send_as(args.send_arns, SEND_ACTIONS, self),
            opts=child,
        )
        self.role_arn = role.arn
        self.register_outputs({"roleArn": self.role_arn, "oidcProviderArn": self.oidc_provider_arn})
