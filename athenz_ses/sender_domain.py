"""The DNS records of a domain sender (Easy DKIM and a custom MAIL FROM domain), and
SenderDomainDns, which creates them in a Route 53 hosted zone.

The records, as the SES developer guide gives them:
- Easy DKIM: three CNAMEs, `<token>._domainkey.<domain>` -> `<token>.<the Region's DKIM
  domain>` (SES publishes the domain's keys there; the records also verify the domain);
  most Regions use `dkim.amazonses.com`, some their own (athenz_ses.ses_endpoints);
- MAIL FROM: an MX `<mail from domain>` -> `10 feedback-smtp.<region>.amazonses.com` and an
  SPF TXT `v=spf1 include:amazonses.com ~all` on the same name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from athenz_ses.ses_endpoints import dkim_domain, dkim_problem, mail_from_mx

DKIM_TOKENS = 3  # Easy DKIM always gives three tokens (three CNAMEs)
SPF = "v=spf1 include:amazonses.com ~all"
TTL = 1800  # seconds, as the SES console's records


@dataclass(frozen=True)
class DnsRecord:
    """One record: `key` names its Route 53 resource (stable across token rotations)."""

    key: str
    name: pulumi.Input[str]
    type: str
    value: pulumi.Input[str]


def sender_domain_records(
    domain: str, mail_from_domain: str, region: str, dkim_tokens: pulumi.Input[Sequence[str]]
) -> list[DnsRecord]:
    """The five records SES needs for `domain` in `region`: three DKIM CNAMEs and the MAIL
    FROM MX and SPF. Raises ValueError in a Region whose DKIM domain is not known."""
    target = dkim_domain(region)
    if target is None:
        raise ValueError(f"sender domain {domain}: {dkim_problem(region)}")
    tokens = pulumi.Output.from_input(dkim_tokens)

    def token(index: int) -> pulumi.Output[str]:
        return tokens.apply(lambda values: values[index])

    return [
        *(
            DnsRecord(
                key=f"dkim-{index + 1}",
                name=pulumi.Output.concat(token(index), "._domainkey.", domain),
                type="CNAME",
                value=pulumi.Output.concat(token(index), ".", target),
            )
            for index in range(DKIM_TOKENS)
        ),
        DnsRecord(
            key="mail-from-mx",
            name=mail_from_domain,
            type="MX",
            value=mail_from_mx(region),
        ),
        DnsRecord(key="mail-from-spf", name=mail_from_domain, type="TXT", value=SPF),
    ]


def as_output(records: Sequence[DnsRecord]) -> pulumi.Output[list[dict[str, str]]]:
    """The records as a stack output: [{name, type, value}], for a DNS outside Route 53."""
    return pulumi.Output.all(
        *(
            pulumi.Output.all(record.name, record.value).apply(
                lambda parts, kind=record.type: {"name": parts[0], "type": kind, "value": parts[1]}
            )
            for record in records
        )
    )


@dataclass
class SenderDomainDnsArgs:
    zone_id: pulumi.Input[str]
    """The Route 53 hosted zone of the domain (the provider passed in opts must reach its account)."""
    domain: str
    """The sender domain: the zone must be it or one of its parents."""
    records: Sequence[DnsRecord]
    """What sender_domain_records gives."""
    retain_on_delete: bool = False
    """Keep the records on `pulumi destroy` (with a retained domain identity: SES keeps
    checking its DKIM records, and the domain would fall back to unverified without them)."""


def zone_problem(zone_name: str, domain: str) -> str | None:
    """Why records of `domain` cannot live in the zone `zone_name` (None: they can)."""
    zone, domain = zone_name.rstrip(".").lower(), domain.rstrip(".").lower()
    if domain == zone or domain.endswith(f".{zone}"):
        return None
    # The provider appends the zone's name to a record name outside it (expandRecordName):
    # the records would be created, at names nobody looks up, and the domain never verified.
    return f"the hosted zone is {zone}, which does not hold {domain}"


class SenderDomainDns(pulumi.ComponentResource):
    """Creates the records in a hosted zone. It never overwrites a record that exists
    (Route 53 refuses the create, and `pulumi up` stops), and `pulumi destroy` deletes
    only the records it created. It looks the zone up first (route53:GetHostedZone, which
    the provider needs for every record anyway) and stops the preview when the zone is
    not the domain's: Route 53 would take the records, at names under the wrong zone."""

    fqdns: pulumi.Output[list[str]]

    def __init__(self, name: str, args: SenderDomainDnsArgs, opts: pulumi.ResourceOptions | None = None):
        keys = [record.key for record in args.records]
        if not args.records or len(set(keys)) != len(keys):
            raise ValueError(f"SenderDomainDns {name}: records must be given, each key once (got {keys})")
        super().__init__("athenz-ses:index:SenderDomainDns", name, None, opts)
        zone = aws.route53.get_zone_output(zone_id=args.zone_id, opts=pulumi.InvokeOutputOptions(parent=self))

        def checked(values: list) -> str:
            zone_name, zone_id = values
            problem = zone_problem(zone_name, args.domain)
            if problem:
                raise ValueError(f"SenderDomainDns {name}: hosted zone {zone_id}: {problem}")
            return zone_id

        zone_id = pulumi.Output.all(zone.name, args.zone_id).apply(checked)
        created = [
            aws.route53.Record(
                f"{name}-{record.key}",
                zone_id=zone_id,
                name=record.name,
                type=record.type,
                ttl=TTL,
                records=[record.value],
                opts=pulumi.ResourceOptions(parent=self, retain_on_delete=args.retain_on_delete),
            )
            for record in args.records
        ]
        self.fqdns = pulumi.Output.all(*(record.fqdn for record in created))
        self.register_outputs({"fqdns": self.fqdns})
