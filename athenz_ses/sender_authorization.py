"""SES sending authorization: the SES account lets roles of another account send as the
sender identity (the second article's cross-account setup). Only clients that name the
identity ARN when they send can use it, and only once both accounts are out of the SES
sandbox; ZMS's own notifiers name none, so only delegated senders get it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from athenz_ses.policies import SEND_ACTIONS, send_as


@dataclass
class SenderAuthorizationArgs:
    identity: aws.sesv2.EmailIdentity
    """The sender identity, in the SES account (the provider passed in opts)."""
    identity_arn: pulumi.Input[str]
    principal_arns: Sequence[pulumi.Input[str]]
    """The only principals allowed: the delegated senders' roles in the cluster account."""
    from_addresses: Sequence[str]
    """The From addresses they may send as (ses:FromAddress); at least one."""


class SenderAuthorization(pulumi.ComponentResource):
    def __init__(self, name: str, args: SenderAuthorizationArgs, opts: pulumi.ResourceOptions | None = None):
        if not args.principal_arns or not args.from_addresses:
            raise ValueError("SenderAuthorizationArgs: principal_arns and from_addresses: at least one each")
        super().__init__("athenz-ses:index:SenderAuthorization", name, None, opts)
        self.policy = aws.sesv2.EmailIdentityPolicy(
            f"{name}-policy",
            email_identity=args.identity.email_identity,
            policy_name="athenz-ses-sending-authorization",
            policy=send_as([args.identity_arn], SEND_ACTIONS, args.from_addresses, principal_arns=args.principal_arns),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"policyName": self.policy.policy_name})
