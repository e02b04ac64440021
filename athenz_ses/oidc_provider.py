"""The cluster's OIDC issuer as an IAM OIDC identity provider of one account: looked up
(the usual case in the cluster account, where EKS setups register it) or created (the
usual case in another account, which rarely has the issuer yet). IRSA roles trust it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from athenz_ses.policies import STS_AUDIENCE, issuer_host


@dataclass
class ClusterOidcProviderArgs:
    issuer_url: pulumi.Input[str]
    """The cluster's OIDC issuer, with or without https://."""
    create: bool = False
    """Create the provider; otherwise look it up (a looked-up provider is never touched,
    so `pulumi destroy` never deletes it)."""
    tags: Mapping[str, str] | None = None
    """Tags of a created provider."""


class ClusterOidcProvider(pulumi.ComponentResource):
    arn: pulumi.Output[str]
    issuer_host: pulumi.Output[str]
    """The issuer without https://: the prefix of the `:sub` and `:aud` condition keys."""

    def __init__(self, name: str, args: ClusterOidcProviderArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("athenz-ses:index:ClusterOidcProvider", name, None, opts)
        self.issuer_host = issuer_host(args.issuer_url)
        # IAM (and the AWS provider's validation) want the https:// URL; accept the bare
        # host too, as an IAM OIDC provider's `url` (pulumi-eks) gives it.
        url = self.issuer_host.apply(lambda host: f"https://{host}")
        if args.create:
            provider = aws.iam.OpenIdConnectProvider(
                name,
                url=url,
                client_id_lists=[STS_AUDIENCE],
                tags=dict(args.tags) if args.tags else None,
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.arn = provider.arn
        else:
            self.arn = aws.iam.get_open_id_connect_provider_output(
                url=url, opts=pulumi.InvokeOutputOptions(parent=self)
            ).arn
        self.register_outputs({"arn": self.arn})
