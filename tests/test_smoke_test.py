"""smokeTest: one Job that sends exactly as ZMS does, with ZMS's own credentials, and one
as the first delegated sender, with the second article's command. Mock-engine tests:
they check what the Jobs would run, not that SES accepts it."""

from __future__ import annotations

import base64
import email
import email.policy
import json

import pytest
from conftest import CLUSTER, SCENARIOS, SES, walk

from athenz_ses.smoke_test import SMTP_SCRIPT, SUBJECT, TEXT
from offline_plan.engine import Plan, PlannedResource, run_program

JOB = "kubernetes:batch/v1:Job"
PATCH = "kubernetes:apps/v1:DeploymentPatch"
AWS_CLI_IMAGE = "amazon/aws-cli:2.22.0"
SMTP_IMAGE = "python:3.12.8-alpine3.21"


def zms_secret(plan: Plan) -> str:
    """The name of the Secret ZMS reads its credentials from."""
    (secret,) = plan.of_type("kubernetes:core/v1:Secret")
    return secret.inputs["metadata"]["name"]


@pytest.fixture(scope="module")
def smoke(configs) -> dict[str, Plan]:
    out = {}
    for name in SCENARIOS:
        plan = run_program(name, {**configs[name], "athenz-ses:smokeTest": "true"})
        assert plan.error is None, f"{name}: {plan.error}"
        out[name] = plan
    return out


def zms_job(plan: Plan) -> PlannedResource:
    return next(r for r in plan.of_type(JOB) if r.parent.endswith("::smoke-test"))


def sender_job(plan: Plan) -> PlannedResource:
    return next(r for r in plan.of_type(JOB) if r.parent.endswith("::sender-smoke-test"))


def container(job: PlannedResource) -> dict:
    (only,) = job.inputs["spec"]["template"]["spec"]["containers"]
    return only


def pod(job: PlannedResource) -> dict:
    return job.inputs["spec"]["template"]["spec"]


def sesv2_call(command: list[str]) -> dict:
    """The `aws sesv2 send-email` argv as its parameters, the raw message parsed."""
    assert command[:3] == ["aws", "sesv2", "send-email"], command
    params = dict(zip(command[3::2], command[4::2], strict=True))
    # No --region: the Region comes from AWS_REGION, as ZMS's comes to its SDK.
    assert set(params) == {"--cli-binary-format", "--from-email-address", "--destination", "--content"}
    content = json.loads(params["--content"])
    assert set(content) == {"Raw"}  # raw MIME, as ZMS's SESEmailProvider sends
    message = email.message_from_bytes(base64.b64decode(content["Raw"]["Data"]), policy=email.policy.default)
    return {**params, "--destination": json.loads(params["--destination"]), "message": message}


def test_no_job_unless_asked(plans):
    for name in SCENARIOS:
        assert plans[name].of_type(JOB) == []
        assert plans[name].outputs.get("smokeTestJob") is None


@pytest.mark.parametrize("name,region", [("same-account-irsa", "eu-west-1"), ("cross-federated-irsa", "us-east-1")])
def test_irsa_job_sends_with_the_sesv2_api_as_the_zms_service_account_naming_no_identity(smoke, name, region):
    job = zms_job(smoke[name])
    assert pod(job)["serviceAccountName"] == f"athenz-ses-{name}" == smoke[name].outputs["serviceAccount"].split("/")[1]
    assert pod(job)["restartPolicy"] == "Never"
    assert container(job)["image"] == AWS_CLI_IMAGE
    assert container(job)["env"] == [{"name": "AWS_REGION", "value": region}] and "args" not in container(job)
    call = sesv2_call(container(job)["command"])
    assert (call["--cli-binary-format"], call["--from-email-address"]) == ("base64", "zms@example.com")
    assert call["--destination"] == {"ToAddresses": ["alice@example.com"]}
    assert (call["message"]["From"], call["message"]["To"], call["message"]["Subject"]) == (
        "zms@example.com",
        "alice@example.com",
        SUBJECT,
    )
    assert call["message"].get_content().strip() == TEXT
    assert "arn:" not in json.dumps(container(job)["command"])  # ZMS names no identity ARN


@pytest.mark.parametrize(
    "name,region", [("kind-access-key", "ap-northeast-1"), ("cross-sending-authorization", "eu-west-1")]
)
def test_access_key_job_sends_with_the_keys_of_the_zms_secret_and_no_service_account(smoke, name, region):
    job = zms_job(smoke[name])
    assert "serviceAccountName" not in pod(job) and pod(job)["automountServiceAccountToken"] is False
    secret = zms_secret(smoke[name])
    assert container(job)["env"] == [
        {"name": "AWS_REGION", "value": region},
        {"name": "AWS_ACCESS_KEY_ID", "valueFrom": {"secretKeyRef": {"name": secret, "key": "access-key-id"}}},
        {"name": "AWS_SECRET_ACCESS_KEY", "valueFrom": {"secretKeyRef": {"name": secret, "key": "secret-access-key"}}},
    ]
    call = sesv2_call(container(job)["command"])
    # Out of the sandbox (cross-sending-authorization) the test mails the sender itself.
    to = "alice@example.com" if name == "kind-access-key" else "zms@example.com"
    assert call["--destination"] == {"ToAddresses": [to]}
    assert "arn:" not in json.dumps(container(job)["command"])


def test_plugin_job_sends_over_smtp_with_the_zms_secret(smoke):
    job = zms_job(smoke["kind-smtp"])
    assert "serviceAccountName" not in pod(job) and pod(job)["automountServiceAccountToken"] is False
    secret = zms_secret(smoke["kind-smtp"])
    assert container(job)["image"] == SMTP_IMAGE
    assert container(job)["command"] == ["python3", "-c", SMTP_SCRIPT]
    assert container(job)["env"] == [
        {"name": "SMTP_HOST", "value": "email-smtp.ap-northeast-1.amazonaws.com"},
        {"name": "SMTP_PORT", "value": "587"},
        {"name": "SMTP_USER", "valueFrom": {"secretKeyRef": {"name": secret, "key": "username"}}},
        {"name": "SMTP_PASS", "valueFrom": {"secretKeyRef": {"name": secret, "key": "password"}}},
        {"name": "MAIL_FROM", "value": "zms@example.com"},
        {"name": "MAIL_TO", "value": "alice@example.com"},
        {"name": "MAIL_SUBJECT", "value": SUBJECT},
        {"name": "MAIL_TEXT", "value": TEXT},
    ]


def test_the_smtp_script_reads_every_value_from_the_environment():
    compile(SMTP_SCRIPT, "smoke-test", "exec")
    assert "@" not in SMTP_SCRIPT and "amazonaws" not in SMTP_SCRIPT
    for name in ("SMTP_HOST", "SMTP_PORT", "SMTP_USER", "SMTP_PASS", "MAIL_FROM", "MAIL_TO"):
        assert f'env["{name}"]' in SMTP_SCRIPT
    assert "starttls" in SMTP_SCRIPT


def test_delegated_sender_job_uses_the_articles_command_with_the_identity_arn(smoke):
    plan = smoke["cross-sending-authorization"]
    job = sender_job(plan)
    sender_arn = f"arn:aws:ses:eu-west-1:{SES}:identity/zms@example.com"
    assert job.inputs["metadata"]["namespace"] == "mailer"
    assert pod(job)["serviceAccountName"] == "reports"
    assert container(job)["command"] == [
        "aws",
        "ses",
        "send-email",
        "--from",
        "zms@example.com",
        "--to",
        "zms@example.com",
        "--subject",
        SUBJECT,
        "--text",
        TEXT,
        "--source-arn",
        sender_arn,
    ]
    assert container(job)["env"] == [{"name": "AWS_REGION", "value": "eu-west-1"}]
    # It waits for the identity policy, its role's send policy and its ServiceAccount, not for ZMS.
    needed = {plan.one("aws:sesv2/emailIdentityPolicy:EmailIdentityPolicy").urn} | {
        r.urn
        for r in plan.resources
        if r.name in ("sender-mailer-reports-send", "sender-mailer-reports-service-account")
    }
    assert len(needed) == 3 and needed <= set(job.dependencies)
    assert plan.one(PATCH).urn not in job.dependencies
    assert plan.outputs["senderSmokeTestJob"] == job.outputs["metadata"]["name"]


def test_a_delegated_sender_of_the_ses_account_sends_as_the_address_naming_no_arn(smoke):
    """federated-role: the role is the SES account's own; nothing tells the workload to pass an ARN."""
    plan = smoke["cross-federated-irsa"]
    job = sender_job(plan)
    assert (job.inputs["metadata"]["namespace"], pod(job)["serviceAccountName"]) == ("mailer", "reports")
    call = sesv2_call(container(job)["command"])
    assert call["--from-email-address"] == "zms@example.com" and "arn:" not in json.dumps(container(job)["command"])
    assert "sourceArn" not in plan.outputs["senderServiceAccounts"]["mailer/reports"]


def test_no_delegated_job_without_delegated_senders(smoke):
    for name in ("same-account-irsa", "kind-access-key", "kind-smtp"):
        assert len(smoke[name].of_type(JOB)) == 1
        assert smoke[name].outputs.get("senderSmokeTestJob") is None


def test_out_of_the_sandbox_it_mails_the_sender(configs):
    plan = run_program(
        "prod", {**configs["same-account-irsa"], "athenz-ses:smokeTest": "true", "athenz-ses:sandbox": "false"}
    )
    assert plan.error is None
    assert sesv2_call(container(zms_job(plan))["command"])["--destination"] == {"ToAddresses": ["zms@example.com"]}


@pytest.mark.parametrize("name", SCENARIOS)
def test_jobs_are_bounded_clean_up_and_run_again_when_they_failed(smoke, name):
    for job in smoke[name].of_type(JOB):
        spec = job.inputs["spec"]
        assert (spec["activeDeadlineSeconds"], spec["backoffLimit"], spec["ttlSecondsAfterFinished"]) == (300, 1, 3600)
        metadata = job.inputs["metadata"]
        assert "name" not in metadata  # auto-named: create before delete
        assert metadata["annotations"] == {"pulumi.com/replaceUnready": "true"}
        assert container(job)["securityContext"] == {"allowPrivilegeEscalation": False}


@pytest.mark.parametrize("name", SCENARIOS)
def test_zms_job_runs_after_the_wiring_and_is_replaced_on_any_change(smoke, name):
    plan = smoke[name]
    job = zms_job(plan)
    assert job.inputs["metadata"]["namespace"] == "athenz"
    send_policies = {
        r.urn
        for r in plan.resources
        if r.type in ("aws:iam/rolePolicy:RolePolicy", "aws:iam/userPolicy:UserPolicy")
        and r.parent.split("::")[-1] in ("zms-irsa", "zms-pod-identity", "access-key", "smtp")
    }
    # Across accounts Pod Identity's role holds the chain grant, its target role the send policy.
    assert len(send_policies) == (2 if name == "cross-pod-identity" else 1)
    assert {plan.one(PATCH).urn, *send_policies} <= set(job.dependencies)  # the wiring and the permission
    assert job.replace_on_changes == ["spec"] and job.delete_before_replace is False
    assert "customTimeouts" not in job.inputs and "pulumi.com/skipAwait" not in str(job.inputs)
    assert plan.outputs["smokeTestJob"] == job.outputs["metadata"]["name"]


def trigger(plan: Plan) -> str:
    return zms_job(plan).inputs["spec"]["template"]["metadata"]["annotations"]["athenz-ses/checksum"]


def test_the_zms_job_runs_again_when_the_wiring_or_the_send_permission_changes(configs, smoke):
    base = {**configs["same-account-irsa"], "athenz-ses:smokeTest": "true"}
    assert trigger(run_program("same-account-irsa", base)) == trigger(smoke["same-account-irsa"])
    more_recipients = {
        **base,
        "athenz-ses:recipientEmails": '["alice@example.com", "bob@example.com", "carol@example.com"]',
    }
    other_region = {**base, "athenz-ses:sesRegion": "eu-central-1"}
    triggers = {
        trigger(smoke["same-account-irsa"]),
        *(trigger(run_program("same-account-irsa", c)) for c in (more_recipients, other_region)),
    }
    assert len(triggers) == 3


@pytest.mark.parametrize("name", SCENARIOS)
def test_no_credential_and_no_account_in_the_zms_job(smoke, name):
    credentials = {"mock-smtp-password", "mock-secret-access-key"}
    job = zms_job(smoke[name])
    assert [leaf for leaf, _ in walk(job.inputs) if leaf in credentials] == []
    assert CLUSTER not in str(job.inputs) and SES not in str(job.inputs)
