"""IRSA: an IAM role that only the given Kubernetes ServiceAccounts can assume, through
the cluster's IAM OIDC provider with audience STS, holding the inline policies its
caller passes. It grants nothing of its own: what the role may do is the caller's.

    IrsaRole("reports", IrsaRoleArgs(
        oidc_provider_arn=cluster.core.oidc_provider.arn,   # any Input
        issuer_url=cluster.core.oidc_provider.url,          # with or without https://
        service_accounts=["mailer/reports"],
        inline_policies={"send": send_policy_json},
    ))

Pass the role's account's AWS provider in `opts` (or let the default provider serve).
Give each workload a role of its own: this repository's policy pack
(`oidc-trust-one-service-account`) refuses a trust policy that admits more than one
ServiceAccount, so one workload never holds another's credentials.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from athenz_ses.names import MAX_ROLE_COMPONENT_NAME, ROLE_SUFFIX
from athenz_ses.patterns import SERVICE_ACCOUNT
from athenz_ses.policies import issuer_host, service_account_subject, web_identity_trust

_POLICY_NAME = re.compile(r"[A-Za-z0-9+=,.@_-]{1,128}")


@dataclass
class IrsaRoleArgs:
    oidc_provider_arn: pulumi.Input[str]
    """The IAM OIDC provider of the cluster's issuer, in the account the role lives in."""
    issuer_url: pulumi.Input[str]
    """The cluster's OIDC issuer, with or without https:// (the condition keys' prefix)."""
    service_accounts: Sequence[str]
    """The only ServiceAccounts that may assume the role, as `namespace/name`."""
    inline_policies: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Policy documents (JSON) by name: everything the role may do."""
    description: str = "Sends mail through Amazon SES"
    tags: Mapping[str, str] | None = None
    """Tags of the role."""
    permissions_boundary: pulumi.Input[str] | None = None
    """The IAM policy ARN set as the permissions boundary of the role."""
    iam_path: str | None = None
    """The IAM path of the role; default `/`."""


class IrsaRole(pulumi.ComponentResource):
    role: aws.iam.Role
    role_arn: pulumi.Output[str]
    role_name: pulumi.Output[str]
    trust_policy: pulumi.Output[str]
    """The trust policy document (JSON): who may assume the role."""
    subjects: list[str]
    """The `:sub` values the trust policy accepts: system:serviceaccount:<namespace>:<name>."""

    def __init__(self, name: str, args: IrsaRoleArgs, opts: pulumi.ResourceOptions | None = None):
        problems = []
        if len(name) > MAX_ROLE_COMPONENT_NAME:
            problems.append(
                f"name {name!r}: at most {MAX_ROLE_COMPONENT_NAME} characters, so that the "
                "auto-named IAM role stays within IAM's 64"
            )
        if not args.service_accounts:
            problems.append("service_accounts: at least one namespace/name")
        problems += [
            f"service_accounts: {sa!r} is not namespace/name"
            for sa in args.service_accounts
            if not SERVICE_ACCOUNT.fullmatch(sa)
        ]
        problems += [
            f"inline_policies: {key!r} is not an IAM policy name"
            for key in args.inline_policies
            if not _POLICY_NAME.fullmatch(key)
        ]
        if problems:
            raise ValueError("IrsaRole: " + "; ".join(problems))
        super().__init__("athenz-ses:index:IrsaRole", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.subjects = [service_account_subject(sa) for sa in args.service_accounts]
        self.trust_policy = web_identity_trust(args.oidc_provider_arn, issuer_host(args.issuer_url), self.subjects)
        self.role = aws.iam.Role(
            f"{name}{ROLE_SUFFIX}",
            description=f"{args.description}, assumed by {', '.join(self.subjects)} via IRSA",
            assume_role_policy=self.trust_policy,
            path=args.iam_path,
            permissions_boundary=args.permissions_boundary,
            tags=dict(args.tags) if args.tags else None,
            opts=child,
        )
        for key, document in args.inline_policies.items():
            aws.iam.RolePolicy(f"{name}-{key}", role=self.role.id, policy=document, opts=child)
        self.role_arn = self.role.arn
        self.role_name = self.role.name
        self.register_outputs({"roleArn": self.role_arn, "roleName": self.role_name})
