"""SES identities: the sender (its address, or its domain with Easy DKIM and a custom MAIL
FROM domain), plus every recipient while the account is in the sandbox."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from athenz_ses.policies import configuration_set_arn, identity_arn
from athenz_ses.sender_domain import DnsRecord, sender_domain_records
from athenz_ses.ses_endpoints import dkim_problem

MAIL_FROM_SUBDOMAIN = "bounce"  # the default MAIL FROM domain is bounce.<domain>


@dataclass
class SesIdentitiesArgs:
    sender: str
    """The From address."""
    region: str
    """The SES Region (the provider passed in opts must be in it); with `domain`, one whose
    Easy DKIM domain is known (athenz_ses.ses_endpoints)."""
    account_id: pulumi.Input[str]
    """The account that owns the identities (the provider passed in opts must be in it)."""
    recipients: Sequence[str] = field(default_factory=tuple)
    """Recipients to verify (only while in the sandbox; pass none otherwise)."""
    retain_on_delete: bool = False
    domain: str | None = None
    """Send as this domain: one domain identity with Easy DKIM (2048-bit keys) and a custom
    MAIL FROM domain, instead of an identity of the sender's address (which must be of this
    domain). Recipients of the domain need no identity of their own."""
    mail_from_subdomain: str = MAIL_FROM_SUBDOMAIN
    """With `domain`: the MAIL FROM domain is <mail_from_subdomain>.<domain>, a name used for
    nothing else (its MX would take the mail of any host of that name)."""
    configuration_set_name: pulumi.Input[str] | None = None
    """The sender identity's default configuration set: SES applies it to every send that
    names none (ZMS's notifier names none)."""
    existing: Sequence[str] = field(default_factory=tuple)
    """Identities (addresses or the domain) that exist already, verified by hand as the
    two articles do: adopted (`import_`) instead of created, and kept on destroy. An
    import succeeds only when the live identity matches what the stack would create."""
    tags: Mapping[str, str] | None = None
    """Tags of the identities created; an adopted one keeps its own (the import must
    match the live identity)."""


class SesIdentities(pulumi.ComponentResource):
    """Creates the identities. Their ARNs are computed from Region, account and partition,
    so IAM policies that name them are fully known at `pulumi preview`."""

    sender_identity: aws.sesv2.EmailIdentity
    sender_arn: pulumi.Output[str]
    recipient_arns: pulumi.Output[list[str]]
    configuration_set_arn: pulumi.Output[str | None]
    """The sender identity's default configuration set, if any."""
    send_arns: pulumi.Output[list[str]]
    """The ARNs a sender must be allowed on: the sender, every verified recipient, and the
    default configuration set (SES authorizes a send on the set it applies too)."""
    dns_records: list[DnsRecord]
    """With `domain`: the DKIM, MAIL FROM MX and SPF records SES needs (else empty)."""

    def __init__(self, name: str, args: SesIdentitiesArgs, opts: pulumi.ResourceOptions | None = None):
        if args.domain is not None and args.domain.lower() != args.sender.rpartition("@")[2].lower():
            raise ValueError(f"SesIdentities {name}: sender {args.sender!r} is not an address of {args.domain!r}")
        if args.domain is not None and dkim_problem(args.region):
            raise ValueError(f"SesIdentities {name}: region: {dkim_problem(args.region)}")
        super().__init__("athenz-ses:index:SesIdentities", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, retain_on_delete=args.retain_on_delete)
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self)).partition

        existing = {e.lower() for e in args.existing}

        def identity(logical: str, email: str, **extra) -> aws.sesv2.EmailIdentity:
            adopt = email.lower() in existing
            # An adopted identity is the user's: it is imported, and destroy leaves it.
            opts = pulumi.ResourceOptions.merge(
                child, pulumi.ResourceOptions(import_=email, retain_on_delete=True) if adopt else None
            )
            tags = dict(args.tags) if args.tags and not adopt else None
            return aws.sesv2.EmailIdentity(logical, email_identity=email, tags=tags, opts=opts, **extra)

        # The logical name carries the address, so reordering recipients replaces nothing
        # (a replaced identity would need a new verification click).
        self.dns_records = []
        if args.domain is None:
            self.sender_identity = identity(
                f"{name}-sender", args.sender, configuration_set_name=args.configuration_set_name
            )
            sender = args.sender
            covered = {args.sender.lower()}
        else:
            # An identity of the sender's address would win over the domain's (SES uses the
            # most specific identity), with its own settings: so there is none.
            self.sender_identity = identity(
                f"{name}-sender-domain",
                args.domain,
                configuration_set_name=args.configuration_set_name,
                dkim_signing_attributes=aws.sesv2.EmailIdentityDkimSigningAttributesArgs(
                    next_signing_key_length="RSA_2048_BIT"
                ),
            )
            mail_from = f"{args.mail_from_subdomain}.{args.domain}"
            adopted = args.domain.lower() in existing
            aws.sesv2.EmailIdentityMailFromAttributes(
                f"{name}-sender-mail-from",
                email_identity=self.sender_identity.email_identity,
                mail_from_domain=mail_from,
                # Until its MX record resolves, SES sends from amazonses.com: mail still goes.
                behavior_on_mx_failure="USE_DEFAULT_VALUE",
                # An adopted domain is the user's: destroy leaves its MAIL FROM setting too.
                opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(retain_on_delete=True))
                if adopted
                else child,
            )
            self.dns_records = sender_domain_records(
                args.domain,
                mail_from,
                args.region,
                self.sender_identity.dkim_signing_attributes.apply(lambda dkim: (dkim.tokens if dkim else None) or []),
            )
            sender = args.domain
            covered = {args.domain.lower()}
        # One identity per address (SES keeps one per address, case-insensitively): the
        # sender among the recipients, a recipient listed twice, or one of the sender's
        # domain, adds nothing.
        recipients = []
        for email in args.recipients:
            if email.lower() not in covered and email.rpartition("@")[2].lower() not in covered:
                covered.add(email.lower())
                recipients.append(email)
        for email in recipients:
            identity(f"{name}-recipient-{email}", email)
        self.sender_arn = identity_arn(partition, args.region, args.account_id, sender)
        self.recipient_arns = pulumi.Output.all(
            *[identity_arn(partition, args.region, args.account_id, email) for email in recipients]
        )
        self.configuration_set_arn = (
            configuration_set_arn(partition, args.region, args.account_id, args.configuration_set_name)
            if args.configuration_set_name is not None
            else pulumi.Output.from_input(None)
        )
        self.send_arns = pulumi.Output.all(self.sender_arn, self.recipient_arns, self.configuration_set_arn).apply(
            lambda v: [v[0], *v[1], *([v[2]] if v[2] else [])]
        )
        self.register_outputs({"senderArn": self.sender_arn, "recipientArns": self.recipient_arns})
