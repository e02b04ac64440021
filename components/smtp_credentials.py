"""SES SMTP credentials: an IAM user that may only send raw mail as the given
identities, and its access key turned into the Region's SMTP password."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import pulumi
import pulumi_aws as aws

from components.policies import SMTP_ACTIONS, send_as

SMTP_PORT = 587  # STARTTLS; the seed's plugin has this port built in.


@dataclass
class SmtpCredentialsArgs:
    region: str
    """The SES Region; the SMTP password is derived for it (the provider in opts must match)."""
    send_arns: pulumi.Input[Sequence[str]]


class SmtpCredentials(pulumi.ComponentResource):
    username: pulumi.Output[str]
    password: pulumi.Output[str]
    host: str
    port: int
    key_id: pulumi.Output[str]
    """Changes whenever the credentials do; safe to show (it is not the secret)."""

    def __init__(self, name: str, args: SmtpCredentialsArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("athenz-ses:index:SmtpCredentials", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        user = aws.iam.User(f"{name}-user", path="/athenz-ses/", opts=child)
        policy = aws.iam.UserPolicy(
            f"{name}-send", user=user.name, policy=send_as(args.send_arns, SMTP_ACTIONS, self), opts=child
        )
        key = aws.iam.AccessKey(
            f"{name}-key", user=user.name, opts=pulumi.ResourceOptions(parent=self, depends_on=[policy])
        )
        self.key_id = key.id
        self.username = pulumi.Output.secret(key.id)
        self.password = pulumi.Output.secret(key.ses_smtp_password_v4)
        self.host = f"email-smtp.{args.region}.amazonaws.com"
        self.port = SMTP_PORT
        self.register_outputs({"host": self.host, "port": self.port, "username": self.username})
