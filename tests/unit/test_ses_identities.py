"""SesIdentities: one SES email identity per address, and ARNs known before they exist.

Not tested here: `retain_on_delete`. It is a resource option, and the SDK's Mocks API
(MockResourceArgs) does not carry resource options, so a unit test cannot observe it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi

from athenz_ses.ses_identities import SesIdentities, SesIdentitiesArgs

from .unit_mocks import ACCOUNT

IDENTITY = "aws:sesv2/emailIdentity:EmailIdentity"
PARTITION = "aws:index/getPartition:getPartition"
SENDER = "zms@example.com"


def arn(email: str, region: str = "us-east-1", account: str = ACCOUNT, partition: str = "aws") -> str:
    return f"arn:{partition}:ses:{region}:{account}:identity/{email}"


def build(
    recipients: Sequence[str], account: pulumi.Input[str] = ACCOUNT, region: pulumi.Input[str] = "us-east-1"
) -> dict[str, Any]:
    """Build the component; returns its resolved outputs."""
    out: dict[str, Any] = {}

    @pulumi.runtime.test
    def run():
        ses = SesIdentities(
            "ses", SesIdentitiesArgs(sender=SENDER, region=region, account_id=account, recipients=recipients)
        )
        return pulumi.Output.all(ses.sender_arn, ses.recipient_arns, ses.send_arns).apply(
            lambda v: out.update(sender_arn=v[0], recipient_arns=v[1], send_arns=v[2])
        )

    run()
    return out


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


def test_account_and_region_may_be_outputs(mocks):
    out = build(
        ["alice@example.com"],
        account=pulumi.Output.from_input("333333333333"),
        region=pulumi.Output.from_input("us-west-2"),
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
