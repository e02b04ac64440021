"""SES sending authorization: the SES account lets one role of another account send as
the sender identity (the seed's cross-account setup)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws

from components.policies import SEND_ACTIONS, send_as


@dataclass
class SenderAuthorizationArgs:
    identity: aws.sesv2.EmailIdentity
    """The sender identity, in the SES account (the provider passed in opts)."""
    identity_arn: pulumi.Input[str]
    principal_arn: pulumi.Input[str]
    """The only principal allowed: the IRSA role in the cluster account."""


class SenderAuthorization(pulumi.ComponentResource):
    def __init__(self, name: str, args: SenderAuthorizationArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("athenz-ses:index:SenderAuthorization", name, None, opts)
        self.policy = aws.sesv2.EmailIdentityPolicy(
            f"{name}-policy",
            email_identity=args.identity.email_identity,
            policy_name="athenz-zms-sending-authorization",
            policy=send_as([args.identity_arn], SEND_ACTIONS, self, principal_arn=args.principal_arn),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"policyName": self.policy.policy_name})
