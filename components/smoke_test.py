"""The smoke test: a Kubernetes Job that sends one email through SES the way ZMS does,
so `pulumi up` fails when ZMS could not send.

With IRSA it runs the AWS CLI as ZMS's ServiceAccount (the role ZMS gets) and names
the sender identity ARN when the identity lives in another account (sending
authorization). Without IRSA (kind) there are no AWS credentials in the pod but the
SMTP ones ZMS's plugin uses, so it sends over SMTP with the same Secret.

Values reach the container only as separate arguments or env vars, never through a
shell: `command` is an argv list and the SMTP script is a constant.

pulumi-kubernetes awaits a Job until its `Complete` condition and fails the update on
`Failed` (or after 10 minutes), so a failed send fails `pulumi up`. `activeDeadlineSeconds`
ends a hanging send well before that.

State versus `ttlSecondsAfterFinished`: the TTL controller deletes the finished Job
after an hour, and Pulumi's state still holds it. That is the intended trade-off: the
cluster does not keep finished test pods, `pulumi up` without refresh shows no change,
`pulumi refresh` (or `up --refresh`) sees the Job gone and the next `up` runs the test
again, and `pulumi destroy` deletes it or finds it already gone (not an error). Turn
`smokeTest` off once it has passed to stop that.

Jobs are immutable: any change of the spec (addresses, Region, ARN, image, or the ZMS
wiring checksum in the pod annotation) replaces the Job, which runs the test again. The
Job is auto-named, so the replacement is created before the old one is deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Sequence

import pulumi
import pulumi_kubernetes as k8s

from components.zms_wiring import CHECKSUM_ANNOTATION, LABELS

AWS_CLI_IMAGE = "amazon/aws-cli:2.22.0"
SMTP_IMAGE = "python:3.12.8-alpine3.21"
CONTAINER = "send-test-email"
SUBJECT = "athenz-ses smoke test"
TEXT = "Amazon SES accepted this mail from the athenz-ses smoke test Job, sent with the credentials ZMS uses."
ACTIVE_DEADLINE_SECONDS = 300
BACKOFF_LIMIT = 1  # one retry at most: each attempt may deliver a mail
TTL_SECONDS_AFTER_FINISHED = 3600  # an hour to read `kubectl logs job/...`

# Sends one mail over SMTP with STARTTLS; every value comes from the environment.
SMTP_SCRIPT = """\
import os, smtplib, ssl
from email.message import EmailMessage
env = os.environ
msg = EmailMessage()
msg["From"], msg["To"], msg["Subject"] = env["MAIL_FROM"], env["MAIL_TO"], env["MAIL_SUBJECT"]
msg.set_content(env["MAIL_TEXT"])
with smtplib.SMTP(env["SMTP_HOST"], int(env["SMTP_PORT"]), timeout=30) as smtp:
    smtp.starttls(context=ssl.create_default_context())
    smtp.login(env["SMTP_USER"], env["SMTP_PASS"])
    smtp.send_message(msg)
print("sent to", env["MAIL_TO"])
"""


@dataclass
class SmokeTestArgs:
    namespace: str
    sender: str
    recipient: str
    region: str
    """The SES Region, passed explicitly."""
    trigger: pulumi.Input[str]
    """A fingerprint of the ZMS wiring: when it changes, the test runs again."""
    service_account: Optional[str] = None
    """IRSA: send with the AWS CLI as this ServiceAccount."""
    source_arn: Optional[pulumi.Input[str]] = None
    """IRSA with sending authorization: the sender identity ARN in the other account."""
    smtp_secret: Optional[str] = None
    """No IRSA: send over SMTP with the credentials in this Secret (keys username, password, host, port)."""
    depends_on: Sequence[pulumi.Resource] = field(default_factory=list)
    """Run only after these: the ZMS patch (and its ServiceAccount), the identity policy."""


def aws_cli_command(args: SmokeTestArgs) -> list[pulumi.Input[str]]:
    command: list[pulumi.Input[str]] = [
        "aws", "ses", "send-email",
        "--region", args.region,
        "--from", args.sender,
        "--to", args.recipient,
        "--subject", SUBJECT,
        "--text", TEXT,
    ]
    if args.source_arn is not None:
        command += ["--source-arn", args.source_arn]
    return command


def _from_secret(env_name: str, secret: str, key: str) -> dict:
    return {"name": env_name, "value_from": {"secret_key_ref": {"name": secret, "key": key}}}


class SmokeTest(pulumi.ComponentResource):
    job: k8s.batch.v1.Job
    job_name: pulumi.Output[str]

    def __init__(self, name: str, args: SmokeTestArgs, opts: Optional[pulumi.ResourceOptions] = None):
        if (args.service_account is None) == (args.smtp_secret is None):
            raise ValueError("SmokeTestArgs needs exactly one of service_account (IRSA) and smtp_secret (SMTP)")
        if args.source_arn is not None and args.service_account is None:
            raise ValueError("SmokeTestArgs.source_arn needs service_account: SMTP sends need no source ARN")
        super().__init__("athenz-ses:index:SmokeTest", name, None, opts)

        pod: dict = {"restart_policy": "Never"}
        if args.service_account:
            pod["service_account_name"] = args.service_account
            container = {"name": CONTAINER, "image": AWS_CLI_IMAGE, "command": aws_cli_command(args)}
        else:
            container = {
                "name": CONTAINER,
                "image": SMTP_IMAGE,
                "command": ["python3", "-c", SMTP_SCRIPT],
                "env": [
                    _from_secret("SMTP_HOST", args.smtp_secret, "host"),
                    _from_secret("SMTP_PORT", args.smtp_secret, "port"),
                    _from_secret("SMTP_USER", args.smtp_secret, "username"),
                    _from_secret("SMTP_PASS", args.smtp_secret, "password"),
                    {"name": "MAIL_FROM", "value": args.sender},
                    {"name": "MAIL_TO", "value": args.recipient},
                    {"name": "MAIL_SUBJECT", "value": SUBJECT},
                    {"name": "MAIL_TEXT", "value": TEXT},
                ],
            }
        container["security_context"] = {"allow_privilege_escalation": False}
        pod["containers"] = [container]

        self.job = k8s.batch.v1.Job(
            f"{name}-job",
            metadata={"namespace": args.namespace, "labels": LABELS},
            spec={
                "active_deadline_seconds": ACTIVE_DEADLINE_SECONDS,
                "backoff_limit": BACKOFF_LIMIT,
                "ttl_seconds_after_finished": TTL_SECONDS_AFTER_FINISHED,
                "template": {
                    "metadata": {"labels": LABELS, "annotations": {CHECKSUM_ANNOTATION: args.trigger}},
                    "spec": pod,
                },
            },
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=list(args.depends_on),
                # Jobs are immutable: any spec change is a new Job, that is a new test run.
                replace_on_changes=["spec"],
                delete_before_replace=False,
            ),
        )
        self.job_name = self.job.metadata.apply(lambda meta: meta.name)
        self.register_outputs({"job": self.job_name})
