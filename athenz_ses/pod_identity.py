"""EKS Pod Identity: an IAM role that EKS assumes for exactly one Kubernetes
ServiceAccount of one cluster, and the association that binds them. No OIDC provider
and no ServiceAccount annotation: EKS hands the pods their credentials through the
Pod Identity Agent (the AWS SDK for Java v2 reads them from 2.21.30 on).

    PodIdentityRole("zms", PodIdentityRoleArgs(
        cluster_name="prod",
        cluster_arn=cluster.arn,                 # aws.eks.get_cluster_output(...).arn
        service_account="athenz/athenz-ses-prod",
        inline_policies={"send": send_policy_json},
    ))

Same account: the association role (trusted by `pods.eks.amazonaws.com`, for this
cluster, namespace and ServiceAccount only, through the session tags EKS sets) holds
the inline policies.

Across accounts (`target_provider` set): the association role must still live in the
cluster account (EKS passes it with iam:PassRole there). It may only chain into a
target role in `target_provider`'s account, which holds the inline policies and trusts
the association role only, with the same session tags. EKS chains into it
(`targetRoleArn`), so the pod gets credentials of the target account directly: it
sends as that account's identities, in the SES sandbox too, with no identity policy.

Roles: `<name>-role` in the cluster account, `<name>-ses` in the target account.
Pass the cluster account's AWS provider in `opts` (or let the default provider serve).
Pods pick the association up when they start: make them depend on `association`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from athenz_ses.names import MAX_ROLE_COMPONENT_NAME, ROLE_SUFFIX
from athenz_ses.patterns import SERVICE_ACCOUNT
from athenz_ses.policies import assume_target_role, pod_identity_trust, target_role_trust

TARGET_SUFFIX = "-ses"  # not longer than ROLE_SUFFIX: any name IrsaRole takes fits here too


@dataclass
class PodIdentityRoleArgs:
    cluster_name: pulumi.Input[str]
    """The EKS cluster whose pods get the role (in the cluster account's Region)."""
    cluster_arn: pulumi.Input[str]
    """That cluster's ARN: the value of the `eks-cluster-arn` session tag the trust requires."""
    service_account: str
    """The only ServiceAccount whose pods get the role, as `namespace/name`."""
    inline_policies: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Policy documents (JSON) by name: everything the pods may do."""
    target_provider: aws.Provider | None = None
    """The AWS provider of another account: the inline policies go to a target role there."""
    description: str = "Sends mail through Amazon SES"
    tags: Mapping[str, str] | None = None
    """Tags of the roles and the association."""
    permissions_boundary: pulumi.Input[str] | None = None
    """The IAM policy ARN set as the association role's permissions boundary (a policy of
    the cluster account, or an AWS managed one)."""
    target_permissions_boundary: pulumi.Input[str] | None = None
    """The target role's (a policy of target_provider's account); default permissions_boundary."""
    iam_path: str | None = None
    """The IAM path of both roles; default `/`."""


class PodIdentityRole(pulumi.ComponentResource):
    role: aws.iam.Role
    """The association role, in the cluster account."""
    target_role: aws.iam.Role | None
    """The target role in the other account (target_provider), else None."""
    association: aws.eks.PodIdentityAssociation
    role_arn: pulumi.Output[str]
    """The role the pods' credentials belong to: the target role across accounts."""
    trust_policy: pulumi.Output[str]
    """The association role's trust policy (JSON)."""
    target_trust_policy: pulumi.Output[str] | None
    """The target role's trust policy (JSON), across accounts."""

    def __init__(self, name: str, args: PodIdentityRoleArgs, opts: pulumi.ResourceOptions | None = None):
        problems = []
        if len(name) > MAX_ROLE_COMPONENT_NAME:
            problems.append(
                f"name {name!r}: at most {MAX_ROLE_COMPONENT_NAME} characters, so that the "
                "auto-named IAM roles stay within IAM's 64"
            )
        if not SERVICE_ACCOUNT.fullmatch(args.service_account):
            problems.append(f"service_account: {args.service_account!r} is not namespace/name")
        if problems:
            raise ValueError("PodIdentityRole: " + "; ".join(problems))
        super().__init__("athenz-ses:index:PodIdentityRole", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        namespace, account = args.service_account.split("/")
        tags = dict(args.tags) if args.tags else None
        self.trust_policy = pod_identity_trust(args.cluster_arn, args.service_account)
        self.role = aws.iam.Role(
            f"{name}{ROLE_SUFFIX}",
            description=f"{args.description}, for ServiceAccount {args.service_account} via EKS Pod Identity",
            assume_role_policy=self.trust_policy,
            path=args.iam_path,
            permissions_boundary=args.permissions_boundary,
            tags=tags,
            opts=child,
        )
        permissions: list[pulumi.Resource] = []
        self.target_role = None
        self.target_trust_policy = None
        if args.target_provider is not None:
            in_target = pulumi.ResourceOptions(parent=self, provider=args.target_provider)
            self.target_trust_policy = target_role_trust(self.role.arn, args.cluster_arn, args.service_account)
            self.target_role = aws.iam.Role(
                f"{name}{TARGET_SUFFIX}",
                description=f"{args.description}, for ServiceAccount {args.service_account} via EKS Pod Identity "
                "(chained into from the cluster account)",
                assume_role_policy=self.target_trust_policy,
                path=args.iam_path,
                permissions_boundary=args.target_permissions_boundary or args.permissions_boundary,
                tags=tags,
                opts=in_target,
            )
            permissions.append(
                aws.iam.RolePolicy(
                    f"{name}-chain",
                    role=self.role.id,
                    policy=assume_target_role(self.target_role.arn),
                    opts=child,
                )
            )
            holder, holder_opts = self.target_role, in_target
        else:
            holder, holder_opts = self.role, child
        for key, document in args.inline_policies.items():
            permissions.append(aws.iam.RolePolicy(f"{name}-{key}", role=holder.id, policy=document, opts=holder_opts))
        self.association = aws.eks.PodIdentityAssociation(
            f"{name}-association",
            cluster_name=args.cluster_name,
            namespace=namespace,
            service_account=account,
            role_arn=self.role.arn,
            target_role_arn=self.target_role.arn if self.target_role else None,
            # The trust policies match on the session tags EKS sets: they must stay on.
            disable_session_tags=False,
            tags=tags,
            # Pods started once this exists get credentials that can already send.
            opts=pulumi.ResourceOptions(parent=self, depends_on=permissions),
        )
        self.role_arn = holder.arn
        self.register_outputs({"roleArn": self.role_arn, "associationArn": self.association.association_arn})
