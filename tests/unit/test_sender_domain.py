"""The DNS records of a domain sender (sender_domain_records, as_output) and SenderDomainDns,
which creates them in a Route 53 hosted zone through the provider it is given.

These are "our own mock" tests (see unit_mocks.py), the weakest kind of proof: they show
which records the code asks for, never whether Route 53 takes them or SES finds them.

Not tested here: `retain_on_delete`. It is a resource option, and the SDK's Mocks API
(MockResourceArgs) does not carry resource options, so a unit test cannot observe it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from athenz_ses.sender_domain import (
    DnsRecord,
    SenderDomainDns,
    SenderDomainDnsArgs,
    as_output,
    sender_domain_records,
)
from offline_plan.sdk_gap import collect_failed_registrations

RECORD = "aws:route53/record:Record"
PROVIDER = "pulumi:providers:aws"
COMPONENT = "athenz-ses:index:SenderDomainDns"

DOMAIN = "example.com"
MAIL_FROM = "mail.example.com"
TOKENS = ["tokenone", "tokentwo", "tokenthree"]
ZONE = "Z0123456789EXAMPLEZONE"

EXPECTED = [
    ("dkim-1", "tokenone._domainkey.example.com", "CNAME", "tokenone.dkim.amazonses.com"),
    ("dkim-2", "tokentwo._domainkey.example.com", "CNAME", "tokentwo.dkim.amazonses.com"),
    ("dkim-3", "tokenthree._domainkey.example.com", "CNAME", "tokenthree.dkim.amazonses.com"),
    ("mail-from-mx", MAIL_FROM, "MX", "10 feedback-smtp.us-west-2.amazonses.com"),
    ("mail-from-spf", MAIL_FROM, "TXT", "v=spf1 include:amazonses.com ~all"),
]


def resolved(records: Sequence[DnsRecord]) -> pulumi.Output[list]:
    """The records as (key, name, type, value) tuples, once every part is known."""
    return pulumi.Output.all(
        *(pulumi.Output.all(r.key, r.name, r.type, r.value).apply(lambda v: tuple(v)) for r in records)
    )


def records_of(region: str, tokens: pulumi.Input[Sequence[str]]) -> list[tuple]:
    out: dict[str, Any] = {}

    @pulumi.runtime.test
    def run():
        return resolved(sender_domain_records(DOMAIN, MAIL_FROM, region, tokens)).apply(lambda v: out.update(records=v))

    run()
    return out["records"]


def build(
    records: Sequence[DnsRecord] | None = None, zone_id: pulumi.Input[str] = ZONE, **kwargs: Any
) -> dict[str, Any]:
    """SenderDomainDns with an explicit AWS provider (the zone account's); returns its fqdns
    and the provider's reference (`<urn>::<id>`, as children receive it). Records default to
    sender_domain_records' for TOKENS in us-west-2."""
    out: dict[str, Any] = {}

    @pulumi.runtime.test
    def run():
        provider = aws.Provider("zone", region="us-east-1")
        given = sender_domain_records(DOMAIN, MAIL_FROM, "us-west-2", TOKENS) if records is None else records
        dns = SenderDomainDns(
            "dns",
            SenderDomainDnsArgs(zone_id=zone_id, domain=DOMAIN, records=given, **kwargs),
            opts=pulumi.ResourceOptions(provider=provider),
        )
        return pulumi.Output.all(dns.fqdns, provider.urn, provider.id).apply(
            lambda v: out.update(fqdns=v[0], provider=f"{v[1]}::{v[2]}")
        )

    run()
    return out


def refusal(records: Sequence[DnsRecord]) -> str:
    """The message of the ValueError SenderDomainDns raises (under the mock engine, so that
    a registration made before the refusal would be recorded)."""

    @pulumi.runtime.test
    def run():
        SenderDomainDns("dns", SenderDomainDnsArgs(zone_id=ZONE, domain=DOMAIN, records=records))

    with pytest.raises(ValueError) as raised:
        run()
    return str(raised.value)


# --- sender_domain_records and as_output -------------------------------------------------------


def test_the_records_are_three_dkim_cnames_then_the_mail_from_mx_and_spf(mocks):
    assert records_of("us-west-2", TOKENS) == EXPECTED


def test_tokens_may_be_outputs(mocks):
    # As SesIdentities gives them: the tokens are the domain identity's output.
    assert records_of("us-west-2", pulumi.Output.from_input(TOKENS)) == EXPECTED


def test_a_region_with_its_own_dkim_domain_gets_cnames_to_it(mocks):
    """af-south-1 publishes its DKIM keys under dkim.af-south-1.amazonses.com (SES guide)."""
    records = records_of("af-south-1", TOKENS)
    assert [value for _, _, kind, value in records if kind == "CNAME"] == [
        "tokenone.dkim.af-south-1.amazonses.com",
        "tokentwo.dkim.af-south-1.amazonses.com",
        "tokenthree.dkim.af-south-1.amazonses.com",
    ]
    assert ("mail-from-mx", MAIL_FROM, "MX", "10 feedback-smtp.af-south-1.amazonses.com") in records


def test_a_region_without_a_known_dkim_domain_is_refused(mocks):
    with pytest.raises(ValueError, match="ap-east-2 has no Easy DKIM domain"):
        sender_domain_records(DOMAIN, MAIL_FROM, "ap-east-2", TOKENS)


def test_the_keys_do_not_carry_the_tokens(mocks):
    """A key names a Route 53 resource: a token rotation must not rename (replace) it."""
    keys = [key for key, *_ in records_of("us-west-2", TOKENS)]
    other = [key for key, *_ in records_of("us-west-2", ["a", "b", "c"])]
    assert keys == other == ["dkim-1", "dkim-2", "dkim-3", "mail-from-mx", "mail-from-spf"]


def test_as_output_gives_name_type_and_value_of_each_record_in_order(mocks):
    out: dict[str, Any] = {}

    @pulumi.runtime.test
    def run():
        records = sender_domain_records(DOMAIN, MAIL_FROM, "us-west-2", pulumi.Output.from_input(TOKENS))
        return as_output(records).apply(lambda v: out.update(records=v))

    run()
    assert out["records"] == [{"name": name, "type": kind, "value": value} for _, name, kind, value in EXPECTED]


def test_as_output_of_no_records_is_an_empty_list(mocks):
    out: dict[str, Any] = {}

    @pulumi.runtime.test
    def run():
        return as_output([]).apply(lambda v: out.update(records=v))

    run()
    assert out["records"] == []


# --- SenderDomainDns ---------------------------------------------------------------------------


def test_one_route53_record_per_record_in_the_given_zone(mocks):
    build()
    assert {r.name: r.inputs for r in mocks.of_type(RECORD)} == {
        f"dns-{key}": {"zoneId": ZONE, "name": name, "type": kind, "ttl": 1800, "records": [value]}
        for key, name, kind, value in EXPECTED
    }
    assert mocks.types() == {RECORD, PROVIDER}
    assert len(mocks.of_type(COMPONENT)) == 1


def test_every_record_goes_through_the_given_provider_and_none_is_created(mocks):
    out = build()
    assert len(mocks.of_type(PROVIDER)) == 1  # the test's own
    records = mocks.of_type(RECORD)
    assert len(records) == 5
    assert {r.name: r.provider for r in records} == {r.name: out["provider"] for r in records}


def test_the_zone_id_may_be_an_output(mocks):
    build(zone_id=pulumi.Output.from_input("ZOTHERZONE"))
    assert {r.inputs["zoneId"] for r in mocks.of_type(RECORD)} == {"ZOTHERZONE"}


def test_fqdns_are_the_records_names_in_order(mocks):
    out = build()
    # The mock answers each record's name as its fqdn (Route 53 would too, without the final dot).
    assert out["fqdns"] == [name for _, name, _, _ in EXPECTED]


def test_any_records_are_taken_as_given(mocks):
    records = [DnsRecord(key="spf", name="mx.example.org", type="TXT", value="v=spf1 -all")]
    out = build(records, retain_on_delete=True)
    assert [(r.name, r.inputs) for r in mocks.of_type(RECORD)] == [
        ("dns-spf", {"zoneId": ZONE, "name": "mx.example.org", "type": "TXT", "ttl": 1800, "records": ["v=spf1 -all"]})
    ]
    assert out["fqdns"] == ["mx.example.org"]


def test_no_records_are_refused_before_anything_is_registered(mocks):
    message = refusal([])
    assert message.startswith("SenderDomainDns dns: records must be given")
    assert mocks.resources == []


def test_a_key_given_twice_is_refused_before_anything_is_registered(mocks):
    records = [
        DnsRecord(key="dkim-1", name="a._domainkey.example.com", type="CNAME", value="a.dkim.amazonses.com"),
        DnsRecord(key="dkim-2", name="b._domainkey.example.com", type="CNAME", value="b.dkim.amazonses.com"),
        DnsRecord(key="dkim-1", name="c._domainkey.example.com", type="CNAME", value="c.dkim.amazonses.com"),
    ]
    message = refusal(records)
    assert message.startswith("SenderDomainDns dns: ")
    assert "each key once" in message and "['dkim-1', 'dkim-2', 'dkim-1']" in message
    assert mocks.resources == []  # not even the component, nor the first two records


@pytest.mark.parametrize("zone_name", ["example.com.", "example.com", "EXAMPLE.com."])
def test_the_domains_own_zone_is_looked_up_through_the_zone_provider_and_accepted(mocks, zone_name):
    mocks.zone_name = zone_name
    out = build()
    (lookup,) = mocks.calls_of("aws:route53/getZone:getZone")
    assert lookup["zoneId"] == ZONE
    assert len(out["fqdns"]) == 5


def test_a_parent_zone_of_the_domain_is_accepted(mocks):
    mocks.zone_name = "com."
    assert len(build()["fqdns"]) == 5


@pytest.mark.parametrize("zone_name", ["example.org.", "mail.example.com.", "ample.com."])
def test_a_zone_that_does_not_hold_the_domain_stops_the_records(mocks, zone_name):
    """Route 53 would take them: the provider appends the zone's name to a record name
    outside it, so the records would land where no one looks and the domain never verify."""
    mocks.zone_name = zone_name
    with pytest.raises(
        Exception, match=f"hosted zone {ZONE}: the hosted zone is {zone_name.rstrip('.')}, which does not hold"
    ):
        build()

    # The records' futures still hold that error (offline_plan/sdk_gap.py, the fourth gap),
    # and pulumi.runtime.test keeps a run's outputs until its next run: run an empty one,
    # then collect them, so asyncio does not log them in the middle of later tests.
    @pulumi.runtime.test
    def nothing() -> None:
        pass

    nothing()
    collect_failed_registrations()
