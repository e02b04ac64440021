"""SmokeTest: a Job that sends one mail through SES the way ZMS (or a delegated sender)
does, so `pulumi up` fails when it could not. Its argv and env, per send path."""

from __future__ import annotations

import base64
import json
from email import message_from_bytes
from typing import Any

import pulumi
import pytest

from athenz_ses.smoke_test import SMTP_SCRIPT, SmokeTest, SmokeTestArgs
from offline_plan.mocks import autoname

JOB = "kubernetes:batch/v1:Job"
SENDER = "zms@example.com"
RECIPIENT = "alice@example.com"
SOURCE_ARN = "arn:aws:ses:us-east-1:222222222222:identity/zms@example.com"


def build(**overrides: Any) -> str | None:
    """Build one SmokeTest; returns its resolved job_name (SmokeTest.job_name is an
    Output[str | None], as the Job's metadata.name is)."""
    names: list[str | None] = []
    values: dict[str, Any] = dict(
        namespace="athenz", sender=SENDER, recipient=RECIPIENT, region="us-east-1", trigger="fingerprint-1"
    )

    @pulumi.runtime.test
    def run():
        return SmokeTest("smoke-test", SmokeTestArgs(**{**values, **overrides})).job_name.apply(names.append)

    run()
    return names[0]


def pod(mocks) -> dict:
    return mocks.one(JOB).inputs["spec"]["template"]["spec"]


def container(mocks) -> dict:
    [only] = pod(mocks)["containers"]
    return only


def env(mocks) -> dict[str, dict]:
    return {var["name"]: var for var in container(mocks)["env"]}


def option(argv: list[str], flag: str) -> str:
    return argv[argv.index(flag) + 1]


def assert_sesv2_send_without_identity_arn(argv: list[str]) -> None:
    """ZMS's own call: SES v2 SendEmail, raw MIME from the sender to the recipient, naming
    no identity ARN and no configuration set (ZMS's notifier names neither)."""
    assert argv[:3] == ["aws", "sesv2", "send-email"]
    assert option(argv, "--from-email-address") == SENDER
    assert json.loads(option(argv, "--destination")) == {"ToAddresses": [RECIPIENT]}
    assert option(argv, "--cli-binary-format") == "base64"
    raw = json.loads(option(argv, "--content"))["Raw"]["Data"]
    mail = message_from_bytes(base64.b64decode(raw))
    assert (mail["From"], mail["To"], mail["Subject"]) == (SENDER, RECIPIENT, "athenz-ses smoke test")
    assert not [arg for arg in argv if "identity-arn" in arg or "source-arn" in arg or "configuration-set" in arg]


# --- the four send paths ---------------------------------------------------------------------


def test_irsa_sends_with_sesv2_as_the_service_account_and_no_identity_arn(mocks):
    build(service_account="athenz-ses-unit")
    assert pod(mocks)["serviceAccountName"] == "athenz-ses-unit"
    assert "automountServiceAccountToken" not in pod(mocks)  # the IRSA token must be mounted
    assert container(mocks)["image"].startswith("amazon/aws-cli:")
    assert_sesv2_send_without_identity_arn(container(mocks)["command"])
    assert env(mocks) == {"AWS_REGION": {"name": "AWS_REGION", "value": "us-east-1"}}


def test_access_key_sends_with_sesv2_and_the_keys_of_the_secret_only(mocks):
    build(access_key_secret=pulumi.Output.from_input("athenz-ses-unit-aws-0123456789"))
    assert_sesv2_send_without_identity_arn(container(mocks)["command"])
    assert pod(mocks)["automountServiceAccountToken"] is False  # the keys are the only credentials
    assert "serviceAccountName" not in pod(mocks)
    assert env(mocks) == {
        "AWS_REGION": {"name": "AWS_REGION", "value": "us-east-1"},
        "AWS_ACCESS_KEY_ID": {
            "name": "AWS_ACCESS_KEY_ID",
            "valueFrom": {"secretKeyRef": {"name": "athenz-ses-unit-aws-0123456789", "key": "access-key-id"}},
        },
        "AWS_SECRET_ACCESS_KEY": {
            "name": "AWS_SECRET_ACCESS_KEY",
            "valueFrom": {"secretKeyRef": {"name": "athenz-ses-unit-aws-0123456789", "key": "secret-access-key"}},
        },
    }


def test_smtp_sends_to_the_host_on_port_587_with_the_secrets_user_and_password(mocks):
    build(smtp_secret="athenz-ses-unit-smtp-0123456789", smtp_host="email-smtp.eu-west-1.amazonaws.com")
    assert container(mocks)["command"] == ["python3", "-c", SMTP_SCRIPT]  # a constant script, no shell
    assert container(mocks)["image"].startswith("python:")
    assert pod(mocks)["automountServiceAccountToken"] is False
    values = {name: var.get("value") for name, var in env(mocks).items()}
    assert values["SMTP_HOST"] == "email-smtp.eu-west-1.amazonaws.com"
    assert values["SMTP_PORT"] == "587"
    assert (values["MAIL_FROM"], values["MAIL_TO"]) == (SENDER, RECIPIENT)
    assert env(mocks)["SMTP_USER"]["valueFrom"] == {
        "secretKeyRef": {"name": "athenz-ses-unit-smtp-0123456789", "key": "username"}
    }
    assert env(mocks)["SMTP_PASS"]["valueFrom"] == {
        "secretKeyRef": {"name": "athenz-ses-unit-smtp-0123456789", "key": "password"}
    }


def test_delegated_sender_names_the_source_arn_with_ses_v1(mocks):
    build(service_account="reports", namespace="mailer", source_arn=pulumi.Output.from_input(SOURCE_ARN))
    assert mocks.one(JOB).inputs["metadata"]["namespace"] == "mailer"
    assert pod(mocks)["serviceAccountName"] == "reports"
    argv = container(mocks)["command"]
    assert argv[:3] == ["aws", "ses", "send-email"]
    assert (option(argv, "--from"), option(argv, "--to")) == (SENDER, RECIPIENT)
    assert option(argv, "--source-arn") == SOURCE_ARN


# --- the Job around it --------------------------------------------------------------------------


def test_a_failed_job_is_replaced_on_the_next_up(mocks):
    build(service_account="athenz-ses-unit")
    assert mocks.one(JOB).inputs["metadata"]["annotations"] == {"pulumi.com/replaceUnready": "true"}


def test_the_trigger_is_the_pods_checksum_annotation(mocks):
    build(service_account="athenz-ses-unit", trigger=pulumi.Output.from_input("fingerprint-2"))
    template = mocks.one(JOB).inputs["spec"]["template"]
    assert template["metadata"]["annotations"] == {"athenz-ses/checksum": "fingerprint-2"}


def test_the_job_sends_at_most_twice_never_hangs_and_runs_unprivileged(mocks):
    build(service_account="athenz-ses-unit")
    spec = mocks.one(JOB).inputs["spec"]
    assert spec["backoffLimit"] == 1
    assert spec["activeDeadlineSeconds"] == 300
    assert spec["ttlSecondsAfterFinished"] == 3600
    assert pod(mocks)["restartPolicy"] == "Never"
    assert container(mocks)["securityContext"] == {"allowPrivilegeEscalation": False}


def test_job_and_pod_carry_the_given_labels(mocks):
    labels = {"app.kubernetes.io/part-of": "athenz-ses", "app.kubernetes.io/instance": "athenz-ses-unit"}
    build(service_account="athenz-ses-unit", labels=labels)
    job = mocks.one(JOB).inputs
    assert job["metadata"]["labels"] == labels
    assert job["spec"]["template"]["metadata"]["labels"] == labels


def test_job_name_is_the_auto_named_jobs(mocks):
    assert build(service_account="athenz-ses-unit") == autoname("smoke-test-job")
    assert "name" not in mocks.one(JOB).inputs["metadata"]  # auto-named: a replacement is created first


# --- inconsistent args ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides, message",
    [
        (dict(), "exactly one of service_account, access_key_secret and smtp_secret"),
        (dict(service_account="sa", access_key_secret="s"), "exactly one of service_account, access_key_secret"),
        (
            dict(access_key_secret="s", smtp_secret="t", smtp_host="h"),
            "exactly one of service_account, access_key_secret",
        ),
        (dict(access_key_secret="s", source_arn=SOURCE_ARN), "source_arn needs service_account"),
        (dict(smtp_secret="t"), "smtp_host goes with smtp_secret"),
        (dict(service_account="sa", smtp_host="h"), "smtp_host goes with smtp_secret"),
    ],
    ids=["none", "irsa-and-key", "key-and-smtp", "source-arn-without-irsa", "smtp-without-host", "host-without-smtp"],
)
def test_refuses_inconsistent_args(mocks, overrides, message):
    with pytest.raises(ValueError, match=message):
        build(**overrides)
    assert mocks.resources == []
