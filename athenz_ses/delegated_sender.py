"""A workload other than ZMS that sends as the sender identity (the second article's
setup): its own role, assumable only for its own ServiceAccount (one role per
ServiceAccount, so no workload holds another's credentials), and the ServiceAccount in
the workload's namespace (which must exist). The role is an IRSA role (give the OIDC
provider and issuer; the ServiceAccount is annotated with it) or an EKS Pod Identity
role (give the cluster; an association binds it, and with `target_provider` the
sending permission lives in a target role of the SES account).

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
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from athenz_ses.irsa_role import IrsaRole, IrsaRoleArgs
from athenz_ses.patterns import SERVICE_ACCOUNT
from athenz_ses.pod_identity import PodIdentityRole, PodIdentityRoleArgs
from athenz_ses.policies import SEND_ACTIONS, send_as
from athenz_ses.zms_wiring import LABELS, ROLE_ARN_ANNOTATION


@dataclass
class DelegatedSenderArgs:
    namespace: str
    service_account: str
    send_arns: pulumi.Input[Sequence[pulumi.Input[str]]]
    """The SES identity ARNs it may send as."""
    from_addresses: Sequence[str]
    """The From addresses it may send as (ses:FromAddress); at least one."""
    oidc_provider_arn: pulumi.Input[str] | None = None
    """IRSA: the IAM OIDC provider of the cluster's issuer."""
    issuer_url: pulumi.Input[str] | None = None
    """IRSA: the cluster's OIDC issuer, with or without https://."""
    eks_cluster_name: pulumi.Input[str] | None = None
    """EKS Pod Identity (instead of IRSA): the cluster whose pods get the role."""
    eks_cluster_arn: pulumi.Input[str] | None = None
    """EKS Pod Identity: that cluster's ARN."""
    target_provider: aws.Provider | None = None
    """EKS Pod Identity across accounts: the SES account's provider (its target role)."""
    labels: Mapping[str, str] = dataclasses.field(default_factory=lambda: dict(LABELS))
    """Labels of the ServiceAccount (the stack's `app.kubernetes.io/instance` among them)."""
    tags: Mapping[str, str] | None = None
    """Tags of its role(s) and Pod Identity association."""
    permissions_boundary: pulumi.Input[str] | None = None
    """The IAM policy ARN set as its role's permissions boundary (the association role's
    with EKS Pod Identity)."""
    target_permissions_boundary: pulumi.Input[str] | None = None
    """EKS Pod Identity across accounts: the target role's; default permissions_boundary."""
    iam_path: str | None = None
    """The IAM path of its role(s); default `/`."""


class DelegatedSender(pulumi.ComponentResource):
    """Pass the role account's AWS provider in `opts.providers`; Kubernetes objects use
    the default (or passed) Kubernetes provider."""

    role_arn: pulumi.Output[str]
    """The role its pods' credentials belong to."""
    send_policy: pulumi.Output[str]
    service_account: k8s.core.v1.ServiceAccount
    pod_identity: aws.eks.PodIdentityAssociation | None
    """Its Pod Identity association (EKS Pod Identity), else None."""

    def __init__(self, name: str, args: DelegatedSenderArgs, opts: pulumi.ResourceOptions | None = None):
        service_account = f"{args.namespace}/{args.service_account}"
        problems = []
        if not SERVICE_ACCOUNT.fullmatch(service_account):
            problems.append(f"{service_account!r} is not namespace/name")
        irsa = args.oidc_provider_arn is not None and args.issuer_url is not None
        pod_identity = args.eks_cluster_name is not None and args.eks_cluster_arn is not None
        if irsa == pod_identity:
            problems.append(
                "give either oidc_provider_arn and issuer_url (IRSA) or eks_cluster_name and "
                "eks_cluster_arn (EKS Pod Identity)"
            )
        if not args.from_addresses:
            problems.append("from_addresses: at least one From address")
        if args.target_provider is not None and not pod_identity:
            problems.append("target_provider: only with EKS Pod Identity")
        if problems:
            raise ValueError("DelegatedSender: " + "; ".join(problems))
        super().__init__("athenz-ses:index:DelegatedSender", name, None, opts)
        self.send_policy = send_as(args.send_arns, SEND_ACTIONS, args.from_addresses)
        description = "Delegated sender of the athenz-ses stack: sends mail through Amazon SES"
        metadata: k8s.meta.v1.ObjectMetaArgsDict = {
            "name": args.service_account,
            "namespace": args.namespace,
            "labels": dict(args.labels),
        }
        self.pod_identity = None
        if pod_identity:
            assert args.eks_cluster_name is not None and args.eks_cluster_arn is not None
            role = PodIdentityRole(
                name,
                PodIdentityRoleArgs(
                    cluster_name=args.eks_cluster_name,
                    cluster_arn=args.eks_cluster_arn,
                    service_account=service_account,
                    inline_policies={"send": self.send_policy},
                    target_provider=args.target_provider,
                    description=description,
                    tags=args.tags,
                    permissions_boundary=args.permissions_boundary,
                    target_permissions_boundary=args.target_permissions_boundary,
                    iam_path=args.iam_path,
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.role_arn = role.role_arn
            self.pod_identity = role.association
        else:
            assert args.oidc_provider_arn is not None and args.issuer_url is not None
            irsa_role = IrsaRole(
                name,
                IrsaRoleArgs(
                    oidc_provider_arn=args.oidc_provider_arn,
                    issuer_url=args.issuer_url,
                    service_accounts=[service_account],
                    inline_policies={"send": self.send_policy},
                    description=description,
                    tags=args.tags,
                    permissions_boundary=args.permissions_boundary,
                    iam_path=args.iam_path,
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.role_arn = irsa_role.role_arn
            metadata["annotations"] = {ROLE_ARN_ANNOTATION: irsa_role.role_arn}
        self.service_account = k8s.core.v1.ServiceAccount(
            f"{name}-service-account",
            metadata=metadata,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"roleArn": self.role_arn})
