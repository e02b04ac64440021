"""BounceHandling: the configuration set, its SNS topic that only SES may publish to,
the event destination, the email subscriptions and the account's suppression reasons.

Not tested here: that the event destination depends on the topic policy. `depends_on` is
a resource option, and the SDK's Mocks API (MockResourceArgs) does not carry resource
options, so a unit test cannot observe it.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from athenz_ses.bounce_handling import BounceHandling, BounceHandlingArgs
from offline_plan.mocks import autoname

from .unit_mocks import ACCOUNT, statement

SET = "aws:sesv2/configurationSet:ConfigurationSet"
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
DESTINATION = "aws:sesv2/configurationSetEventDestination:ConfigurationSetEventDestination"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
SUPPRESSION = "aws:sesv2/accountSuppressionAttributes:AccountSuppressionAttributes"
PROVIDER = "pulumi:providers:aws"

SET_NAME = "athenz-zms"
SES_REGION = "us-east-1"  # the Region of the test's provider, which creates every child
SET_ARN = f"arn:aws:ses:{SES_REGION}:{ACCOUNT}:configuration-set/{SET_NAME}"
TOPIC_ARN = f"arn:aws:sns:{SES_REGION}:{ACCOUNT}:{autoname('bounces-events')}"


def build(**kwargs: Any) -> dict[str, Any]:
    """Build the component with an explicit AWS provider; returns its resolved outputs and
    the provider's reference (`<urn>::<id>`, as children receive it)."""
    out: dict[str, Any] = {}

    @pulumi.runtime.test
    def run():
        provider = aws.Provider("ses", region=SES_REGION)
        component = BounceHandling(
            "bounces",
            BounceHandlingArgs(**{"configuration_set_name": SET_NAME, **kwargs}),
            opts=pulumi.ResourceOptions(provider=provider),
        )
        out["event_types"] = component.event_types
        return pulumi.Output.all(
            component.configuration_set_name,
            component.configuration_set_arn,
            component.topic_arn,
            provider.urn,
            provider.id,
        ).apply(
            lambda v: out.update(
                configuration_set_name=v[0], configuration_set_arn=v[1], topic_arn=v[2], provider=f"{v[3]}::{v[4]}"
            )
        )

    run()
    return out


def refusal(**kwargs: Any) -> str:
    """The message of the ValueError the component raises for these args (under the mock
    engine, so that a registration made before the refusal would be recorded)."""

    @pulumi.runtime.test
    def run():
        BounceHandling("bounces", BounceHandlingArgs(**{"configuration_set_name": SET_NAME, **kwargs}))

    with pytest.raises(ValueError) as raised:
        run()
    return str(raised.value)


# --- what it creates ------------------------------------------------------------------------


def test_outputs_name_the_set_and_the_topic(mocks):
    out = build()
    assert out["configuration_set_name"] == SET_NAME
    assert out["configuration_set_arn"] == SET_ARN
    assert out["topic_arn"] == TOPIC_ARN
    assert out["event_types"] == ["BOUNCE", "COMPLAINT", "DELIVERY", "REJECT"]


def test_the_set_is_named_as_given_and_follows_the_account_suppression(mocks):
    build()
    # No suppression_options: mail sent with the set follows the account-level setting.
    assert mocks.one(SET).inputs == {"configurationSetName": SET_NAME}


def test_only_ses_may_publish_to_the_topic_for_this_account_and_set(mocks):
    build()
    policy = mocks.one(TOPIC_POLICY).inputs
    assert policy["arn"] == TOPIC_ARN
    # statement() also asserts that the document has this one statement and no other.
    assert statement(policy["policy"]) == {
        "Effect": "Allow",
        "Principal": {"Service": ["ses.amazonaws.com"]},
        "Action": ["SNS:Publish"],
        "Resource": [TOPIC_ARN],
        "Condition": {"StringEquals": {"AWS:SourceAccount": [ACCOUNT], "AWS:SourceArn": [SET_ARN]}},
    }


def test_the_destination_sends_exactly_these_events_of_this_set_to_this_topic(mocks):
    build()
    destination = mocks.one(DESTINATION).inputs
    assert destination["configurationSetName"] == SET_NAME
    assert destination["eventDestination"] == {
        "matchingEventTypes": ["BOUNCE", "COMPLAINT", "DELIVERY", "REJECT"],
        "enabled": True,
        "snsDestination": {"topicArn": TOPIC_ARN},
    }


def test_the_topic_is_standard_and_unencrypted_unless_a_key_is_given(mocks):
    build()
    assert mocks.one(TOPIC).inputs == {}  # auto-named, standard (no FIFO), no key
    mocks.resources.clear()
    key = "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    build(kms_master_key_id=key)
    assert mocks.one(TOPIC).inputs["kmsMasterKeyId"] == key


def test_one_email_subscription_per_address(mocks):
    emails = ["mail-admins@example.com", "oncall@example.com"]
    build(notify_emails=emails)
    subscriptions = mocks.of_type(SUBSCRIPTION)
    assert sorted(s.inputs["endpoint"] for s in subscriptions) == emails
    for s in subscriptions:
        assert (s.inputs["protocol"], s.inputs["topic"]) == ("email", TOPIC_ARN)
        # Only the problems are mailed: SNS filters on the eventType of SES's event JSON.
        assert s.inputs["filterPolicyScope"] == "MessageBody"
        assert json.loads(s.inputs["filterPolicy"]) == {"eventType": ["Bounce", "Complaint", "Reject"]}


def test_no_subscription_without_addresses(mocks):
    build()
    assert mocks.of_type(SUBSCRIPTION) == []


def test_reordering_addresses_keeps_every_logical_name(mocks):
    build(notify_emails=["a@example.com", "b@example.com"])
    before = {r.name for r in mocks.of_type(SUBSCRIPTION)}
    mocks.resources.clear()
    build(notify_emails=["b@example.com", "a@example.com"])
    # Same logical name for the same address: nobody has to confirm again.
    assert before == {"bounces-notify-a@example.com", "bounces-notify-b@example.com"}
    assert {r.name for r in mocks.of_type(SUBSCRIPTION)} == before


def test_the_account_suppresses_bounces_and_complaints(mocks):
    build()
    assert mocks.one(SUPPRESSION).inputs == {"suppressedReasons": ["BOUNCE", "COMPLAINT"]}


def test_the_account_setting_can_be_left_to_another_stack(mocks):
    build(account_suppression=False)
    assert mocks.of_type(SUPPRESSION) == []


def test_every_child_uses_the_callers_provider_and_none_is_created(mocks):
    out = build(notify_emails=["mail-admins@example.com"])
    assert len(mocks.of_type(PROVIDER)) == 1  # the test's own
    children = [r for r in mocks.resources if r.custom and r.typ != PROVIDER]
    assert sorted(r.typ for r in children) == sorted([SET, TOPIC, TOPIC_POLICY, DESTINATION, SUBSCRIPTION, SUPPRESSION])
    assert {r.name: r.provider for r in children} == {r.name: out["provider"] for r in children}


# --- args it refuses --------------------------------------------------------------------------


def test_a_set_name_of_64_letters_digits_underscores_and_dashes_is_taken(mocks):
    name = "Zms_mail-" + "x" * 55
    assert len(name) == 64
    assert build(configuration_set_name=name)["configuration_set_name"] == name


@pytest.mark.parametrize(
    ("set_name", "problems"),
    [
        ("", ["configuration_set_name: empty"]),
        ("x" * 65, ["65 characters, SES allows at most 64"]),
        ("zms.mail", ["not '.'"]),
        ("zms mail/é", ["not ' ', '/', 'é'"]),
        ("zms.mail-" + "x" * 60, ["69 characters, SES allows at most 64", "not '.'"]),
    ],
    ids=["empty", "too-long", "dot", "space-slash-non-ascii", "too-long-and-dot"],
)
def test_a_set_name_ses_would_refuse_is_refused_with_every_problem(mocks, set_name, problems):
    message = refusal(configuration_set_name=set_name)
    assert message.startswith("BounceHandling: ")
    for problem in problems:
        assert problem in message
    assert message.count("configuration_set_name") == len(problems)
    assert mocks.resources == []  # refused before anything is registered


def test_every_problem_is_listed_at_once(mocks):
    message = refusal(
        configuration_set_name="zms.mail",
        notify_emails=["not-an-address", "ops@example.com", "OPS@example.com"],
        kms_master_key_id="alias/aws/sns",
    )
    for problem in (
        "configuration_set_name 'zms.mail'",
        "notify_emails: 'not-an-address' is not an email address",
        "notify_emails: 'OPS@example.com' is listed twice",
        "kms_master_key_id: 'alias/aws/sns' is the AWS managed key",
    ):
        assert problem in message
    assert len(message.split("; ")) == 4


def test_the_aws_managed_sns_key_is_refused_by_arn_too(mocks):
    assert "AWS managed key" in refusal(kms_master_key_id="arn:aws:kms:eu-west-1:111111111111:alias/aws/sns")


def test_a_component_name_that_cannot_name_the_topic_is_refused(mocks):
    with pytest.raises(ValueError, match=r"name 'zms\.bounces': only letters"):
        BounceHandling("zms.bounces", BounceHandlingArgs(configuration_set_name=SET_NAME))
    with pytest.raises(ValueError, match="at most 241 characters"):
        BounceHandling("b" * 242, BounceHandlingArgs(configuration_set_name=SET_NAME))
