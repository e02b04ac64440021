"""Bounce handling: an SES configuration set whose bounces, complaints, deliveries and
rejects SES publishes to an SNS topic, optionally mailed on to people, and the
account-level suppression list on for bounces and complaints.

    BounceHandling("zms-mail", BounceHandlingArgs(
        configuration_set_name="athenz-zms",
        notify_emails=["mail-admins@example.com"],
    ), opts=pulumi.ResourceOptions(provider=ses_provider))

Pass the SES account's AWS provider, in the SES Region, in `opts`: every resource goes
there (the component creates no provider). SES only publishes events of mail sent with
the configuration set: the sender names it, or the sending identity has it as its default
(aws.sesv2.EmailIdentity `configuration_set_name`; a set named in the request wins).

What it creates:

* the configuration set, named as given (SES: letters, digits, '_' and '-', at most 64);
* a standard SNS topic (SES does not publish to FIFO topics) and its access policy: only
  the service principal ses.amazonaws.com may SNS:Publish to it, with StringEquals on
  AWS:SourceAccount (the set's account) and AWS:SourceArn (the set's ARN), the
  condition keys and operator of the SES developer guide ("Set up an Amazon SNS event
  destination for event publishing"). The policy replaces SNS's default topic policy;
  principals of the topic's own account keep what their IAM policies give them;
* the set's event destination to the topic for BOUNCE, COMPLAINT, DELIVERY and REJECT,
  enabled, created after the topic policy so SES may publish from its first event on;
* one email subscription per address of `notify_emails`, filtered to bounces, complaints
  and rejects (the `eventType` of the event JSON; a delivery mails nobody);
* with `account_suppression` (the default), the account's suppression attributes.

Email subscriptions stay "pending confirmation" until their recipient follows the link
in the mail SNS sends; nothing is delivered to them before. pulumi-aws (TopicSubscription,
after the terraform provider) says AWS refuses to unsubscribe a subscription pending
confirmation: `pulumi destroy`, or dropping an address from `notify_emails`, then only
removes it from the stack's state and it remains in SNS. Deleting a topic deletes all of
its subscriptions, so destroying this whole component leaves none behind; dropping one
address while it is pending leaves that one in SNS. A confirmed one is unsubscribed.

Account suppression is one setting per account and Region (SES API v2
PutAccountSuppressionAttributes), not a resource of its own: creating it overwrites
whatever the account had, and in the terraform provider
(internal/service/sesv2/account_suppression_attributes.go) its Delete does nothing
(framework.WithNoOpDelete). `pulumi destroy` therefore leaves the account suppressing
BOUNCE and COMPLAINT; it does not restore the earlier setting (accounts that started
using SES after 25 November 2019 suppress both by default, says the SES developer guide).
Let only one stack per account and Region set it: pass `account_suppression=False`
everywhere else.

The configuration set carries no suppression_options of its own: mail sent with it follows
the account-level suppression, so one setting (above) decides for all of the account's
mail. Options on the set would override the account's for this mail alone, silently, and
with `account_suppression=False` they would re-decide what the caller left to the account.

The topic is not encrypted by default. SES cannot publish to a topic encrypted with the AWS
managed key alias/aws/sns: SES needs kms:GenerateDataKey* and kms:Decrypt in the key's
policy, and an AWS managed key's policy cannot be changed (SNS developer guide, "Enable
compatibility between event sources from AWS services and encrypted topics": first, use a
customer managed key). A key made here would need a key policy naming the resource `*`,
which this package never writes. Pass `kms_master_key_id` for a customer managed key
whose policy already lets ses.amazonaws.com use it; alias/aws/sns is refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from athenz_ses.names import AUTONAME_SUFFIX
from athenz_ses.patterns import EMAIL
from athenz_ses.policies import ses_events_topic_policy

EVENT_TYPES = ["BOUNCE", "COMPLAINT", "DELIVERY", "REJECT"]
"""The SES events published to the topic."""
NOTIFIED_EVENTS = ["Bounce", "Complaint", "Reject"]
"""The events mailed to `notify_emails`: the `eventType` of SES's event JSON, which SNS
filters on (a filter policy on the message body); deliveries only reach the topic."""
SUPPRESSED_REASONS = ["BOUNCE", "COMPLAINT"]
"""What puts an address on the account-level suppression list."""
EVENT_DESTINATION_NAME = "sns-feedback"
MAX_CONFIGURATION_SET_NAME = 64
# SES's rule for a configuration set name (SES API ConfigurationSet.Name): ASCII letters,
# digits, '_' and '-', 64 characters or fewer.
_SET_NAME_CHARACTER = re.compile(r"[A-Za-z0-9_-]")
TOPIC_SUFFIX = "-events"
SNS_TOPIC_NAME_LIMIT = 256  # SNS: ASCII letters, digits, '_' and '-', 1 to 256
# The longest component name whose auto-named topic ('<name>-events' + suffix) still fits.
MAX_COMPONENT_NAME = SNS_TOPIC_NAME_LIMIT - AUTONAME_SUFFIX - len(TOPIC_SUFFIX)
_TOPIC_NAME = re.compile(r"[A-Za-z0-9_-]+")
AWS_MANAGED_SNS_KEY = "alias/aws/sns"


@dataclass
class BounceHandlingArgs:
    configuration_set_name: str
    """The configuration set's name (letters, digits, '_' and '-', at most 64): senders name it."""
    notify_emails: Sequence[str] = field(default_factory=tuple)
    """Addresses mailed every event (each must confirm its subscription first)."""
    account_suppression: bool = True
    """Set the account-level suppression list to BOUNCE and COMPLAINT (an account-wide
    setting that `pulumi destroy` leaves in place; see the module docstring)."""
    kms_master_key_id: pulumi.Input[str] | None = None
    """A customer managed KMS key for the topic, whose key policy lets ses.amazonaws.com
    kms:GenerateDataKey* and kms:Decrypt (never alias/aws/sns: SES cannot use it)."""
    retain_configuration_set: bool = False
    """Keep the configuration set on `pulumi destroy` (pass it when identities that have
    the set as their default are retained: they would name a set that is gone)."""
    tags: Mapping[str, str] | None = None
    """Tags of the configuration set and the topic."""


def configuration_set_name_problems(value: str) -> list[str]:
    """What breaks SES's naming rule in `value` (nothing when it is a valid set name)."""
    problems = []
    if not value:
        problems.append("configuration_set_name: empty; SES needs 1 to 64 letters, digits, '_' or '-'")
    if len(value) > MAX_CONFIGURATION_SET_NAME:
        problems.append(
            f"configuration_set_name {value!r}: {len(value)} characters, SES allows at most "
            f"{MAX_CONFIGURATION_SET_NAME}"
        )
    bad = sorted({c for c in value if not _SET_NAME_CHARACTER.fullmatch(c)})
    if bad:
        problems.append(
            f"configuration_set_name {value!r}: SES allows only letters, digits, '_' and '-', "
            f"not {', '.join(repr(c) for c in bad)}"
        )
    return problems


def _problems(name: str, args: BounceHandlingArgs) -> list[str]:
    problems = []
    if len(name) > MAX_COMPONENT_NAME:
        problems.append(
            f"name {name!r}: at most {MAX_COMPONENT_NAME} characters, so that the auto-named "
            f"SNS topic stays within SNS's {SNS_TOPIC_NAME_LIMIT}"
        )
    if not _TOPIC_NAME.fullmatch(name):
        problems.append(f"name {name!r}: only letters, digits, '_' and '-' (it names the SNS topic)")
    problems += configuration_set_name_problems(args.configuration_set_name)
    seen: set[str] = set()
    for email in args.notify_emails:
        if not EMAIL.fullmatch(email):
            problems.append(f"notify_emails: {email!r} is not an email address")
        if email.lower() in seen:
            problems.append(f"notify_emails: {email!r} is listed twice")
        seen.add(email.lower())
    key = args.kms_master_key_id
    if isinstance(key, str) and (key == AWS_MANAGED_SNS_KEY or key.endswith(f":{AWS_MANAGED_SNS_KEY}")):
        problems.append(
            f"kms_master_key_id: {key!r} is the AWS managed key, whose policy cannot let SES "
            "publish (use a customer managed key, or none)"
        )
    return problems


class BounceHandling(pulumi.ComponentResource):
    configuration_set: aws.sesv2.ConfigurationSet
    topic: aws.sns.Topic
    topic_policy: aws.sns.TopicPolicy
    event_destination: aws.sesv2.ConfigurationSetEventDestination
    subscriptions: list[aws.sns.TopicSubscription]
    account_suppression: aws.sesv2.AccountSuppressionAttributes | None
    configuration_set_name: pulumi.Output[str]
    configuration_set_arn: pulumi.Output[str]
    topic_arn: pulumi.Output[str]
    event_types: list[str]
    """The SES event types published to the topic."""

    def __init__(self, name: str, args: BounceHandlingArgs, opts: pulumi.ResourceOptions | None = None):
        problems = _problems(name, args)
        if problems:
            raise ValueError("BounceHandling: " + "; ".join(problems))
        super().__init__("athenz-ses:index:BounceHandling", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.event_types = list(EVENT_TYPES)
        tags = dict(args.tags) if args.tags else None

        self.configuration_set = aws.sesv2.ConfigurationSet(
            f"{name}-set",
            configuration_set_name=args.configuration_set_name,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=args.retain_configuration_set),
        )
        self.topic = aws.sns.Topic(
            f"{name}{TOPIC_SUFFIX}", kms_master_key_id=args.kms_master_key_id, tags=tags, opts=child
        )
        self.topic_policy = aws.sns.TopicPolicy(
            f"{name}-publish",
            arn=self.topic.arn,
            policy=ses_events_topic_policy(self.topic.arn, self.configuration_set.arn),
            opts=child,
        )
        # After the policy: SES may publish the destination's very first event.
        self.event_destination = aws.sesv2.ConfigurationSetEventDestination(
            f"{name}-destination",
            configuration_set_name=self.configuration_set.configuration_set_name,
            event_destination_name=EVENT_DESTINATION_NAME,
            event_destination=aws.sesv2.ConfigurationSetEventDestinationEventDestinationArgs(
                matching_event_types=self.event_types,
                enabled=True,
                sns_destination=aws.sesv2.ConfigurationSetEventDestinationEventDestinationSnsDestinationArgs(
                    topic_arn=self.topic.arn
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.topic_policy]),
        )
        # The logical name carries the address: reordering the list replaces nothing (a
        # replaced subscription would need a new confirmation).
        # People get the problems only: every delivered mail would be one more mail to them.
        self.subscriptions = [
            aws.sns.TopicSubscription(
                f"{name}-notify-{email}",
                topic=self.topic.arn,
                protocol="email",
                endpoint=email,
                filter_policy=json.dumps({"eventType": NOTIFIED_EVENTS}),
                filter_policy_scope="MessageBody",
                opts=child,
            )
            for email in args.notify_emails
        ]
        self.account_suppression = (
            aws.sesv2.AccountSuppressionAttributes(
                f"{name}-account-suppression", suppressed_reasons=list(SUPPRESSED_REASONS), opts=child
            )
            if args.account_suppression
            else None
        )

        self.configuration_set_name = self.configuration_set.configuration_set_name
        self.configuration_set_arn = self.configuration_set.arn
        self.topic_arn = self.topic.arn
        self.register_outputs(
            {
                "configurationSetName": self.configuration_set_name,
                "configurationSetArn": self.configuration_set_arn,
                "topicArn": self.topic_arn,
                "eventTypes": self.event_types,
            }
        )
