"""The smoke test: a Kubernetes Job that sends one email through SES exactly the way ZMS
does, with ZMS's own credentials, so `pulumi up` fails when ZMS could not send.

- built-in notifier, IRSA: the Job runs as ZMS's ServiceAccount and calls
  `aws sesv2 send-email` with raw MIME content and no identity ARN or configuration
  set, as ZMS's SES v2 client does;
- built-in notifier, access key: the same command, with the access key from ZMS's
  Secret as AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (no ServiceAccount token);
- plugin (SMTP): SMTP with STARTTLS to the host the plugin uses, with the user and
  password of ZMS's Secret.

It never names an identity ARN for ZMS's path: ZMS names none. A delegated sender's Job
(`source_arn`) runs as that workload's ServiceAccount and sends with the second
article's command, `aws ses send-email ... --source-arn <identity ARN>`.

Values reach the container only as separate arguments or env vars, never through a
shell: `command` is an argv list and the SMTP script is a constant.

pulumi-kubernetes awaits a Job until its `Complete` condition and fails the update on
`Failed` (or after 10 minutes), so a failed send fails `pulumi up`; with the annotation
`pulumi.com/replaceUnready: "true"` the next `pulumi up` replaces a failed Job (runs
the test again) instead of waiting on it. `activeDeadlineSeconds` ends a hanging send
well before that.

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

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage

import pulumi
import pulumi_kubernetes as k8s

from athenz_ses.sending_user import SMTP_PORT
from athenz_ses.zms_wiring import ACCESS_KEY_ENV, CHECKSUM_ANNOTATION, LABELS, SMTP_ENV

AWS_CLI_IMAGE = "amazon/aws-cli:2.22.0"
SMTP_IMAGE = "python:3.12.8-alpine3.21"
CONTAINER = "send-test-email"
SUBJECT = "athenz-ses smoke test"
TEXT = "Amazon SES accepted this mail from the athenz-ses smoke test Job, sent the way ZMS sends."
REPLACE_UNREADY = {"pulumi.com/replaceUnready": "true"}  # a failed Job runs again on the next `pulumi up`
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
    """A fingerprint of the wiring under test: when it changes, the test runs again."""
    service_account: str | None = None
    """IRSA: send as this ServiceAccount."""
    access_key_secret: pulumi.Input[str] | None = None
    """Access key: send with the keys of this Secret (keys access-key-id, secret-access-key)."""
    smtp_secret: pulumi.Input[str] | None = None
    """SMTP: send with the user and password of this Secret (keys username, password)."""
    smtp_host: str | None = None
    """SMTP: the host the sender really connects to (port 587, STARTTLS)."""
    source_arn: pulumi.Input[str] | None = None
    """A delegated sender across accounts by sending authorization (with service_account):
    the sender identity ARN it names, with the second article's command."""
    depends_on: Sequence[pulumi.Resource] = field(default_factory=list)
    """Run only after these: the ZMS patch (and what it mounts), the identity policy."""
    labels: Mapping[str, str] = field(default_factory=lambda: dict(LABELS))
    """Labels of the Job and its pod (the stack's `app.kubernetes.io/instance` among them)."""


def raw_message(sender: str, recipient: str) -> bytes:
    """The MIME message the Job sends: From, To, Subject and a text body."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, recipient, SUBJECT
    message.set_content(TEXT)
    return message.as_bytes()


def sesv2_command(args: SmokeTestArgs) -> list[str]:
    """`aws sesv2 send-email` with raw content, naming no identity ARN: ZMS's SES v2 call."""
    raw = base64.b64encode(raw_message(args.sender, args.recipient)).decode()
    return [
        "aws",
        "sesv2",
        "send-email",
        "--cli-binary-format",
        "base64",
        "--from-email-address",
        args.sender,
        "--destination",
        json.dumps({"ToAddresses": [args.recipient]}),
        "--content",
        json.dumps({"Raw": {"Data": raw}}),
    ]


def source_arn_command(args: SmokeTestArgs) -> list[pulumi.Input[str]]:
    """The second article's command: SES v1 with the identity ARN of the other account."""
    assert args.source_arn is not None
    return [
        "aws",
        "ses",
        "send-email",
        "--from",
        args.sender,
        "--to",
        args.recipient,
        "--subject",
        SUBJECT,
        "--text",
        TEXT,
        "--source-arn",
        args.source_arn,
    ]


def _from_secret(env_name: str, secret: pulumi.Input[str], key: str) -> k8s.core.v1.EnvVarArgsDict:
    return {"name": env_name, "value_from": {"secret_key_ref": {"name": secret, "key": key}}}


class SmokeTest(pulumi.ComponentResource):
    job: k8s.batch.v1.Job
    job_name: pulumi.Output[str | None]

    def __init__(self, name: str, args: SmokeTestArgs, opts: pulumi.ResourceOptions | None = None):
        given = [args.service_account, args.access_key_secret, args.smtp_secret]
        if sum(value is not None for value in given) != 1:
            raise ValueError("SmokeTestArgs needs exactly one of service_account, access_key_secret and smtp_secret")
        if args.source_arn is not None and args.service_account is None:
            raise ValueError("SmokeTestArgs.source_arn needs service_account: only IRSA senders name an identity ARN")
        if (args.smtp_secret is None) != (args.smtp_host is None):
            raise ValueError("SmokeTestArgs.smtp_host goes with smtp_secret")
        super().__init__("athenz-ses:index:SmokeTest", name, None, opts)

        pod: k8s.core.v1.PodSpecArgsDict = {"containers": [], "restart_policy": "Never"}
        # The Region as ZMS gets it: AWS_REGION (its SDK falls back to us-east-1 without).
        region_env: k8s.core.v1.EnvVarArgsDict = {"name": "AWS_REGION", "value": args.region}
        container: k8s.core.v1.ContainerArgsDict
        if args.service_account:
            pod["service_account_name"] = args.service_account
            command = source_arn_command(args) if args.source_arn is not None else sesv2_command(args)
            container = {"name": CONTAINER, "image": AWS_CLI_IMAGE, "command": command, "env": [region_env]}
        elif args.access_key_secret:
            # No ServiceAccount token and no IRSA: the keys are the only credentials.
            pod["automount_service_account_token"] = False
            container = {
                "name": CONTAINER,
                "image": AWS_CLI_IMAGE,
                "command": sesv2_command(args),
                "env": [
                    region_env,
                    # The same variables from the same keys of ZMS's Secret as ZMS gets.
                    *(_from_secret(var, args.access_key_secret, key) for var, key in ACCESS_KEY_ENV.items()),
                ],
            }
        else:
            assert args.smtp_secret is not None and args.smtp_host is not None
            pod["automount_service_account_token"] = False
            container = {
                "name": CONTAINER,
                "image": SMTP_IMAGE,
                "command": ["python3", "-c", SMTP_SCRIPT],
                "env": [
                    {"name": "SMTP_HOST", "value": args.smtp_host},
                    {"name": "SMTP_PORT", "value": str(SMTP_PORT)},
                    _from_secret("SMTP_USER", args.smtp_secret, SMTP_ENV["AWS_SES_USER"]),
                    _from_secret("SMTP_PASS", args.smtp_secret, SMTP_ENV["AWS_SES_PASS"]),
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
            metadata={"namespace": args.namespace, "labels": dict(args.labels), "annotations": REPLACE_UNREADY},
            spec={
                "active_deadline_seconds": ACTIVE_DEADLINE_SECONDS,
                "backoff_limit": BACKOFF_LIMIT,
                "ttl_seconds_after_finished": TTL_SECONDS_AFTER_FINISHED,
                "template": {
                    "metadata": {"labels": dict(args.labels), "annotations": {CHECKSUM_ANNOTATION: args.trigger}},
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
