"""A workload other than ZMS that sends as the sender identity (the second article's
setup): its own IRSA role, trusted only by its own ServiceAccount (one role per
ServiceAccount, so no workload holds another's credentials), and the ServiceAccount,
annotated with that role, in the workload's namespace (which must exist).

Across accounts with sending authorization the role lives in the cluster account and
the workload must name the sender identity ARN when it sends (`--source-arn`,
`FromEmailAddressIdentityArn`); the caller adds the identity policy. With a role in
the SES account (federated-role) or in one account, it just sends as the address.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from athenz_ses.irsa_role import IrsaRole, IrsaRoleArgs
from athenz_ses.patterns import SERVICE_ACCOUNT
from athenz_ses.policies import SEND_ACTIONS, send_as
from athenz_ses.zms_wiring import LABELS, ROLE_ARN_ANNOTATION


@dataclass
class DelegatedSenderArgs:
    namespace: str
    service_account: str
    oidc_provider_arn: pulumi.Input[str]
    issuer_url: pulumi.Input[str]
    """The cluster's OIDC issuer, with or without https://."""
    send_arns: pulumi.Input[Sequence[pulumi.Input[str]]]
    """The SES identity ARNs it may send as."""
    labels: Mapping[str, str] = dataclasses.field(default_factory=lambda: dict(LABELS))
    """Labels of the ServiceAccount (the stack's `app.kubernetes.io/instance` among them)."""


class DelegatedSender(pulumi.ComponentResource):
    """Pass the role account's AWS provider in `opts.providers`; Kubernetes objects use
    the default (or passed) Kubernetes provider."""

    role_arn: pulumi.Output[str]
    send_policy: pulumi.Output[str]
    service_account: k8s.core.v1.ServiceAccount

    def __init__(self, name: str, args: DelegatedSenderArgs, opts: pulumi.ResourceOptions | None = None):
        service_account = f"{args.namespace}/{args.service_account}"
        if not SERVICE_ACCOUNT.fullmatch(service_account):
            raise ValueError(f"DelegatedSender: {service_account!r} is not namespace/name")
        super().__init__("athenz-ses:index:DelegatedSender", name, None, opts)
        self.send_policy = send_as(args.send_arns, SEND_ACTIONS, self)
        role = IrsaRole(
            name,
            IrsaRoleArgs(
                oidc_provider_arn=args.oidc_provider_arn,
                issuer_url=args.issuer_url,
                service_accounts=[f"{args.namespace}/{args.service_account}"],
                inline_policies={"send": self.send_policy},
                description="Delegated sender of the athenz-ses stack: sends mail through Amazon SES",
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.role_arn = role.role_arn
        self.service_account = k8s.core.v1.ServiceAccount(
            f"{name}-service-account",
            metadata={
                "name": args.service_account,
                "namespace": args.namespace,
                "labels": dict(args.labels),
                "annotations": {ROLE_ARN_ANNOTATION: role.role_arn},
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"roleArn": self.role_arn})
