"""SES email identities: the sender, plus every recipient while the account is in the sandbox."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from athenz_ses.policies import identity_arn


@dataclass
class SesIdentitiesArgs:
    sender: str
    """The From address."""
    region: pulumi.Input[str]
    """The SES Region (the provider passed in opts must be in it)."""
    account_id: pulumi.Input[str]
    """The account that owns the identities (the provider passed in opts must be in it)."""
    recipients: Sequence[str] = field(default_factory=tuple)
    """Recipients to verify (only while in the sandbox; pass none otherwise)."""
    retain_on_delete: bool = False


class SesIdentities(pulumi.ComponentResource):
    """Creates the identities. Their ARNs are computed from Region, account and partition,
    so IAM policies that name them are fully known at `pulumi preview`."""

    sender_identity: aws.sesv2.EmailIdentity
    sender_arn: pulumi.Output[str]
    recipient_arns: pulumi.Output[list[str]]
    send_arns: pulumi.Output[list[str]]
    """The ARNs a sender must be allowed on: the sender, then every verified recipient."""

    def __init__(self, name: str, args: SesIdentitiesArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("athenz-ses:index:SesIdentities", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, retain_on_delete=args.retain_on_delete)
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self)).partition

        def identity(logical: str, email: str) -> aws.sesv2.EmailIdentity:
            return aws.sesv2.EmailIdentity(logical, email_identity=email, opts=child)

        # The logical name carries the address, so reordering recipients replaces nothing
        # (a replaced identity would need a new verification click).
        self.sender_identity = identity(f"{name}-sender", args.sender)
        # One identity per address (SES keeps one per address, case-insensitively): the
        # sender among the recipients, or a recipient listed twice, adds nothing.
        seen = {args.sender.lower()}
        recipients = []
        for email in args.recipients:
            if email.lower() not in seen:
                seen.add(email.lower())
                recipients.append(email)
        for email in recipients:
            identity(f"{name}-recipient-{email}", email)
        self.sender_arn = identity_arn(partition, args.region, args.account_id, args.sender)
        self.recipient_arns = pulumi.Output.all(
            *[identity_arn(partition, args.region, args.account_id, email) for email in recipients]
        )
        self.send_arns = pulumi.Output.all(self.sender_arn, self.recipient_arns).apply(lambda v: [v[0], *v[1]])
        self.register_outputs({"senderArn": self.sender_arn, "recipientArns": self.recipient_arns})
