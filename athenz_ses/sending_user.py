"""An IAM user of the SES account that may only send as the given identities, and its
access key. ZMS uses it where it has no IRSA:

- `smtp=False` (built-in notifier, `credentials: access-key`): the access key itself,
  read by the AWS SDK's default chain from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY;
  the user may call ses:SendEmail and ses:SendRawEmail.
- `smtp=True` (the plugin): the key turned into the SES SMTP password of the Region
  (SigV4-derived, valid in that Region only); the user may only call ses:SendRawEmail,
  which is what an SMTP send is authorized as.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from athenz_ses.policies import SEND_ACTIONS, SMTP_ACTIONS, send_as
from athenz_ses.ses_endpoints import smtp_host

SMTP_PORT = 587  # STARTTLS; the first article's plugin has this port built in.
DEFAULT_PATH = "/athenz-ses/"


@dataclass
class SendingUserArgs:
    region: str
    """The SES Region (the provider in opts must match); the SMTP password is derived for it."""
    send_arns: pulumi.Input[Sequence[str]]
    """SES identity ARNs the user may send as (sender, plus recipients in the sandbox)."""
    smtp: bool = False
    from_addresses: Sequence[str] = ()
    """The From addresses the user may send as (ses:FromAddress); at least one."""
    tags: Mapping[str, str] | None = None
    """Tags of the user."""
    permissions_boundary: pulumi.Input[str] | None = None
    """The IAM policy ARN set as the user's permissions boundary."""
    iam_path: str | None = None
    """The user's IAM path; default `/athenz-ses/`."""


class SendingUser(pulumi.ComponentResource):
    user_arn: pulumi.Output[str]
    send_policy: pulumi.Output[str]
    """The user's policy document (JSON): what the credentials may do."""
    access_key_id: pulumi.Output[str]
    """Changes whenever the credentials do; safe to show (it is not the secret)."""
    secret_access_key: pulumi.Output[str] | None
    """Secret; None with smtp (ZMS gets the SMTP password instead)."""
    smtp_password: pulumi.Output[str] | None
    """Secret; only with smtp."""
    smtp_host: str | None
    smtp_port: int = SMTP_PORT

    def __init__(self, name: str, args: SendingUserArgs, opts: pulumi.ResourceOptions | None = None):
        if not args.from_addresses:
            raise ValueError(f"SendingUser {name}: from_addresses: at least one From address")
        super().__init__("athenz-ses:index:SendingUser", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        user = aws.iam.User(
            f"{name}-user",
            path=args.iam_path or DEFAULT_PATH,
            permissions_boundary=args.permissions_boundary,
            tags=dict(args.tags) if args.tags else None,
            opts=child,
        )
        actions = SMTP_ACTIONS if args.smtp else SEND_ACTIONS
        self.send_policy = send_as(args.send_arns, actions, args.from_addresses)
        policy = aws.iam.UserPolicy(f"{name}-send", user=user.name, policy=self.send_policy, opts=child)
        # The SMTP password is derived from the key for one Region, and nothing of the key
        # itself changes with the Region: replace it when the Region changes.
        key = aws.iam.AccessKey(
            f"{name}-key",
            user=user.name,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy], replacement_trigger=args.region),
        )
        self.user_arn = user.arn
        self.access_key_id = key.id
        if args.smtp:
            self.secret_access_key = None
            self.smtp_password = pulumi.Output.secret(key.ses_smtp_password_v4)
            self.smtp_host = smtp_host(args.region)
        else:
            self.secret_access_key = pulumi.Output.secret(key.secret)
            self.smtp_password = None
            self.smtp_host = None
        self.register_outputs({"userArn": self.user_arn, "accessKeyId": self.access_key_id})
