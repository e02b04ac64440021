"""SesIdentities: one SES email identity per address, and ARNs known before they exist;
with a domain, one domain identity (Easy DKIM, custom MAIL FROM) and the DNS records it
needs; the default configuration set on the sender identity only.

Not tested here: `retain_on_delete`. It is a resource option, and the SDK's Mocks API
(MockResourceArgs) does not carry resource options, so a unit test cannot observe it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pytest

from athenz_ses.ses_identities import SesIdentities, SesIdentitiesArgs
from offline_plan.mocks import Location, plausible_outputs

from .unit_mocks import ACCOUNT, REGION

IDENTITY = "aws:sesv2/emailIdentity:EmailIdentity"
MAIL_FROM = "aws:sesv2/emailIdentityMailFromAttributes:EmailIdentityMailFromAttributes"
PARTITION = "aws:index/getPartition:getPartition"
SENDER = "zms@example.com"
DOMAIN = "example.com"
SET_NAME = "athenz-zms"


def arn(email: str, region: str = "us-east-1", account: str = ACCOUNT, partition: str = "aws") -> str:
    return f"arn:{partition}:ses:{region}:{account}:identity/{email}"


def build(
    recipients: Sequence[str],
    account: pulumi.Input[str] = ACCOUNT,
    region: str = "us-east-1",
    **kwargs: Any,
) -> dict[str, Any]:
    """Build the component (kwargs go to SesIdentitiesArgs, `sender` included); returns its
    resolved outputs, `dns_records` as (key, name, type, value) tuples."""
    out: dict[str, Any] = {}
    args = {"sender": SENDER, **kwargs}

    @pulumi.runtime.test
    def run():
        ses = SesIdentities("ses", SesIdentitiesArgs(region=region, account_id=account, recipients=recipients, **args))
        records = pulumi.Output.all(
            *(pulumi.Output.all(r.key, r.name, r.type, r.value).apply(lambda v: tuple(v)) for r in ses.dns_records)
        )
        return pulumi.Output.all(ses.sender_arn, ses.recipient_arns, ses.send_arns, records).apply(
            lambda v: out.update(sender_arn=v[0], recipient_arns=v[1], send_arns=v[2], dns_records=v[3])
        )

    run()
    return out


def refusal(**kwargs: Any) -> str:
    """The message of the ValueError the component raises for these args (under the mock
    engine, so that a registration made before the refusal would be recorded)."""

    @pulumi.runtime.test
    def run():
        SesIdentities("ses", SesIdentitiesArgs(**{"region": "us-east-1", "account_id": ACCOUNT, **kwargs}))

    with pytest.raises(ValueError) as raised:
        run()
    return str(raised.value)


def dkim_tokens(domain: str) -> list[str]:
    """The Easy DKIM tokens the mock answers for a domain identity."""
    _, outputs = plausible_outputs(IDENTITY, "any", {"emailIdentity": domain}, Location(ACCOUNT, REGION))
    tokens = outputs["dkimSigningAttributes"]["tokens"]
    assert len(set(tokens)) == 3  # three distinct tokens, or the records below prove less
    return tokens


def identities(mocks) -> dict[str, str]:
    """logical name -> address of every EmailIdentity registered."""
    return {r.name: r.inputs["emailIdentity"] for r in mocks.of_type(IDENTITY)}


def test_one_identity_per_address(mocks):
    build(["alice@example.com", "bob@example.com"])
    assert sorted(identities(mocks).values()) == ["alice@example.com", "bob@example.com", SENDER]
    assert mocks.types() == {IDENTITY}


def test_only_the_sender_without_recipients(mocks):
    out = build([])
    assert list(identities(mocks).values()) == [SENDER]
    assert out["recipient_arns"] == []
    assert out["send_arns"] == [arn(SENDER)]


def test_logical_names_carry_the_address(mocks):
    build(["alice@example.com", "bob@example.com"])
    assert identities(mocks) == {
        "ses-sender": SENDER,
        "ses-recipient-alice@example.com": "alice@example.com",
        "ses-recipient-bob@example.com": "bob@example.com",
    }


def test_reordering_recipients_keeps_every_logical_name(mocks):
    build(["alice@example.com", "bob@example.com"])
    before = identities(mocks)
    mocks.resources.clear()
    build(["bob@example.com", "alice@example.com"])
    # Same logical name for the same address: `pulumi up` replaces (re-verifies) nothing.
    assert identities(mocks) == before


def test_send_arns_are_the_sender_then_the_recipients(mocks):
    out = build(["bob@example.com", "alice@example.com"])
    assert out["sender_arn"] == arn(SENDER)
    assert out["recipient_arns"] == [arn("bob@example.com"), arn("alice@example.com")]
    assert out["send_arns"] == [arn(SENDER), arn("bob@example.com"), arn("alice@example.com")]


def test_arns_are_built_from_partition_region_and_account(mocks):
    mocks.partition = "aws-cn"
    out = build(["alice@example.com"], account="333333333333", region="cn-north-1")
    assert out["send_arns"] == [
        arn(SENDER, "cn-north-1", "333333333333", "aws-cn"),
        arn("alice@example.com", "cn-north-1", "333333333333", "aws-cn"),
    ]
    assert len(mocks.calls_of(PARTITION)) == 1  # the partition is asked for, not assumed


def test_the_account_may_be_an_output(mocks):
    # The Region is a plain value: it decides the DKIM domain of a domain sender's records.
    out = build(
        ["alice@example.com"],
        account=pulumi.Output.from_input("333333333333"),
        region="us-west-2",
    )
    assert out["send_arns"] == [
        arn(SENDER, "us-west-2", "333333333333"),
        arn("alice@example.com", "us-west-2", "333333333333"),
    ]


def test_an_address_is_never_two_identities(mocks):
    try:
        build([SENDER, "alice@example.com"])
    except ValueError:
        return  # refusing it is as good as verifying it once
    addresses = list(identities(mocks).values())
    assert sorted(addresses) == sorted(set(addresses))


def test_an_address_differing_only_in_case_is_one_identity(mocks):
    """SES keeps one identity per address whatever its case."""
    build([SENDER.upper(), "Alice@Example.com", "alice@example.com"])
    assert sorted(a.lower() for a in identities(mocks).values()) == sorted([SENDER.lower(), "alice@example.com"])


# --- domain mode ------------------------------------------------------------------------------


def test_domain_mode_makes_one_domain_identity_with_2048_bit_easy_dkim(mocks):
    build([], domain=DOMAIN)
    identity = mocks.one(IDENTITY)
    assert identity.name == "ses-sender-domain"
    # Easy DKIM (no BYODKIM key or selector), 2048-bit keys, and no configuration set.
    assert identity.inputs == {
        "emailIdentity": DOMAIN,
        "dkimSigningAttributes": {"nextSigningKeyLength": "RSA_2048_BIT"},
    }


def test_domain_mode_makes_no_identity_of_the_sender_address(mocks):
    build([], domain=DOMAIN)
    # An identity of the address would win over the domain's, with its own settings.
    assert identities(mocks) == {"ses-sender-domain": DOMAIN}
    assert mocks.types() == {IDENTITY, MAIL_FROM}


def test_domain_mode_sets_a_mail_from_domain_that_falls_back_on_mx_failure(mocks):
    build([], domain=DOMAIN)
    mail_from = mocks.one(MAIL_FROM)
    assert mail_from.name == "ses-sender-mail-from"
    assert mail_from.inputs == {
        "emailIdentity": DOMAIN,
        "mailFromDomain": f"bounce.{DOMAIN}",
        "behaviorOnMxFailure": "USE_DEFAULT_VALUE",
    }


def test_the_mail_from_subdomain_names_the_mail_from_domain_and_its_records(mocks):
    out = build([], domain=DOMAIN, mail_from_subdomain="ses-feedback")
    assert mocks.one(MAIL_FROM).inputs["mailFromDomain"] == f"ses-feedback.{DOMAIN}"
    assert [(key, name) for key, name, _, _ in out["dns_records"][3:]] == [
        ("mail-from-mx", f"ses-feedback.{DOMAIN}"),
        ("mail-from-spf", f"ses-feedback.{DOMAIN}"),
    ]


def test_address_mode_has_no_mail_from_and_no_records(mocks):
    out = build(["alice@example.com"])
    assert mocks.of_type(MAIL_FROM) == []
    assert out["dns_records"] == []


def test_domain_mode_arns_name_the_domain_identity(mocks):
    out = build(["carol@other.org"], domain=DOMAIN)
    assert out["sender_arn"] == arn(DOMAIN)
    assert out["recipient_arns"] == [arn("carol@other.org")]
    assert out["send_arns"] == [arn(DOMAIN), arn("carol@other.org")]
    assert arn(SENDER) not in out["send_arns"]


def test_domain_mode_arns_follow_partition_region_and_account(mocks):
    mocks.partition = "aws-us-gov"
    out = build([], account="333333333333", region="us-gov-east-1", domain=DOMAIN)
    assert out["send_arns"] == [arn(DOMAIN, "us-gov-east-1", "333333333333", "aws-us-gov")]


def test_recipients_of_the_domain_get_no_identity_whatever_their_case(mocks):
    out = build(
        [
            "alice@example.com",
            "Bob@EXAMPLE.COM",
            SENDER,
            "carol@other.org",
            "Carol@Other.org",
            # Look-alikes of the domain are other domains: verified one by one.
            "dave@notexample.com",
            "erin@example.com.evil.org",
        ],
        domain="Example.com",
        sender="zms@EXAMPLE.com",
    )
    assert identities(mocks) == {
        "ses-sender-domain": "Example.com",
        "ses-recipient-carol@other.org": "carol@other.org",
        "ses-recipient-dave@notexample.com": "dave@notexample.com",
        "ses-recipient-erin@example.com.evil.org": "erin@example.com.evil.org",
    }
    assert out["recipient_arns"] == [
        arn("carol@other.org"),
        arn("dave@notexample.com"),
        arn("erin@example.com.evil.org"),
    ]


def test_domain_mode_lists_the_dkim_mx_and_spf_records_ses_needs(mocks):
    tokens = dkim_tokens(DOMAIN)
    out = build([], region="eu-central-1", domain=DOMAIN)
    assert out["dns_records"] == [
        ("dkim-1", f"{tokens[0]}._domainkey.{DOMAIN}", "CNAME", f"{tokens[0]}.dkim.amazonses.com"),
        ("dkim-2", f"{tokens[1]}._domainkey.{DOMAIN}", "CNAME", f"{tokens[1]}.dkim.amazonses.com"),
        ("dkim-3", f"{tokens[2]}._domainkey.{DOMAIN}", "CNAME", f"{tokens[2]}.dkim.amazonses.com"),
        ("mail-from-mx", f"bounce.{DOMAIN}", "MX", "10 feedback-smtp.eu-central-1.amazonses.com"),
        ("mail-from-spf", f"bounce.{DOMAIN}", "TXT", "v=spf1 include:amazonses.com ~all"),
    ]


def test_a_domain_in_a_region_without_a_known_dkim_domain_is_refused_before_anything_is_registered(mocks):
    message = refusal(sender=SENDER, domain=DOMAIN, region="ap-east-2")
    assert message.startswith("SesIdentities ses: region: ap-east-2 has no Easy DKIM domain")
    assert mocks.resources == [] and mocks.calls == []


@pytest.mark.parametrize(
    "sender",
    ["zms@other.org", "zms@notexample.com", "zms@example.com.evil.org", "zms@mail.example.com", "example.org"],
)
def test_a_sender_not_of_the_domain_is_refused_before_anything_is_registered(mocks, sender):
    message = refusal(sender=sender, domain=DOMAIN, recipients=["alice@other.org"])
    assert message.startswith("SesIdentities ses: ")
    assert repr(sender) in message and repr(DOMAIN) in message
    assert mocks.resources == []  # not even the component
    assert mocks.calls == []  # nor the partition


def test_a_sender_of_the_domain_in_another_case_is_taken(mocks):
    out = build([], domain=DOMAIN, sender="ZMS@Example.COM")
    assert out["sender_arn"] == arn(DOMAIN)


# --- the default configuration set --------------------------------------------------------------


def test_without_a_configuration_set_no_identity_names_one(mocks):
    build(["alice@example.com"])
    assert {r.name: r.inputs for r in mocks.of_type(IDENTITY)} == {
        "ses-sender": {"emailIdentity": SENDER},
        "ses-recipient-alice@example.com": {"emailIdentity": "alice@example.com"},
    }


def test_the_configuration_set_is_the_sender_address_identitys_only(mocks):
    build(["alice@example.com", "bob@other.org"], configuration_set_name=SET_NAME)
    assert {r.name: r.inputs for r in mocks.of_type(IDENTITY)} == {
        "ses-sender": {"emailIdentity": SENDER, "configurationSetName": SET_NAME},
        "ses-recipient-alice@example.com": {"emailIdentity": "alice@example.com"},
        "ses-recipient-bob@other.org": {"emailIdentity": "bob@other.org"},
    }


def test_the_configuration_set_is_the_sender_domain_identitys_only(mocks):
    build(["bob@other.org"], domain=DOMAIN, configuration_set_name=pulumi.Output.from_input(SET_NAME))
    assert {r.name: r.inputs for r in mocks.of_type(IDENTITY)} == {
        "ses-sender-domain": {
            "emailIdentity": DOMAIN,
            "configurationSetName": SET_NAME,
            "dkimSigningAttributes": {"nextSigningKeyLength": "RSA_2048_BIT"},
        },
        "ses-recipient-bob@other.org": {"emailIdentity": "bob@other.org"},
    }
    assert "configurationSetName" not in mocks.one(MAIL_FROM).inputs


def test_send_arns_name_the_default_configuration_set_after_the_identities(mocks):
    """SES authorizes a send on the configuration set it applies (the identity's default)
    as well: whoever may send as the identities must be allowed on the set too."""
    out = build(["alice@example.org"], configuration_set_name="athenz-zms")
    assert out["send_arns"] == [
        arn(SENDER),
        arn("alice@example.org"),
        f"arn:aws:ses:us-east-1:{ACCOUNT}:configuration-set/athenz-zms",
    ]
    mocks.resources.clear()
    assert build(["alice@example.org"])["send_arns"] == [arn(SENDER), arn("alice@example.org")]


def test_existing_identities_are_imported_whatever_their_case_and_the_others_created(mocks):
    """The SDK's Mocks API does not show resource options (unit_mocks): that an adopted
    identity is imported and retained is checked on the plan (tests/test_stack.py); here,
    that the import reaches the engine as a look-up-free registration of the same identity."""
    build(["alice@example.com", "bob@example.com"], existing=["ZMS@example.com", "alice@example.com"])
    assert identities(mocks) == {
        "ses-sender": SENDER,
        "ses-recipient-alice@example.com": "alice@example.com",
        "ses-recipient-bob@example.com": "bob@example.com",
    }
    assert mocks.reads == []
