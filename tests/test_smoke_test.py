"""smokeTest: one Job that sends one email the way ZMS does, after the wiring is in place."""

from __future__ import annotations

import pytest

from components.smoke_test import SMTP_SCRIPT, SUBJECT, TEXT
from conftest import CLUSTER, SCENARIOS, SES, walk
from offline_plan.engine import Plan, run_program

JOB = "kubernetes:batch/v1:Job"
PATCH = "kubernetes:apps/v1:DeploymentPatch"
AWS_CLI_IMAGE = "amazon/aws-cli:2.22.0"
SMTP_IMAGE = "python:3.12.8-alpine3.21"
SECRET = "athenz-zms-server-ses-smtp"


@pytest.fixture(scope="module")
def smoke(configs) -> dict[str, Plan]:
    out = {}
    for name in SCENARIOS:
        plan = run_program(name, {**configs[name], "athenz-ses:smokeTest": "true"})
        assert plan.error is None, f"{name}: {plan.error}"
        out[name] = plan
    return out


def container(plan: Plan) -> dict:
    (only,) = plan.one(JOB).inputs["spec"]["template"]["spec"]["containers"]
    return only


def aws_cli(region: str, to: str, source_arn: str | None = None) -> list[str]:
    command = ["aws", "ses", "send-email", "--region", region, "--from", "zms@example.com",
               "--to", to, "--subject", SUBJECT, "--text", TEXT]
    return command + (["--source-arn", source_arn] if source_arn else [])


def test_no_job_unless_asked(plans):
    for name in SCENARIOS:
        assert plans[name].of_type(JOB) == []
        assert plans[name].outputs.get("smokeTestJob") is None


def test_same_account_sends_with_the_aws_cli_as_the_zms_service_account(smoke):
    plan = smoke["same-account-irsa"]
    pod = plan.one(JOB).inputs["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "athenz-zms-ses" == plan.one("kubernetes:core/v1:ServiceAccount").inputs["metadata"]["name"]
    assert pod["restartPolicy"] == "Never"
    assert container(plan)["image"] == AWS_CLI_IMAGE
    assert container(plan)["command"] == aws_cli("eu-west-1", "alice@example.com")
    assert "env" not in container(plan) and "args" not in container(plan)


def test_sending_authorization_names_the_sender_identity_of_the_ses_account(smoke):
    plan = smoke["cross-sending-authorization"]
    assert container(plan)["command"] == aws_cli(
        "eu-west-1", "alice@example.com", f"arn:aws:ses:eu-west-1:{SES}:identity/zms@example.com"
    )
    assert plan.one(JOB).inputs["spec"]["template"]["spec"]["serviceAccountName"] == "athenz-zms-ses"


def test_federated_role_sends_in_the_ses_region_without_a_source_arn(smoke):
    plan = smoke["cross-federated-builtin"]
    assert container(plan)["command"] == aws_cli("us-east-1", "alice@example.com")


def test_without_irsa_it_sends_over_smtp_with_the_zms_secret(smoke):
    plan = smoke["kind-smtp"]
    pod = plan.one(JOB).inputs["spec"]["template"]["spec"]
    assert "serviceAccountName" not in pod
    assert container(plan)["image"] == SMTP_IMAGE
    assert container(plan)["command"] == ["python3", "-c", SMTP_SCRIPT]
    assert plan.one("kubernetes:core/v1:Secret").inputs["metadata"]["name"] == SECRET
    assert container(plan)["env"] == [
        {"name": "SMTP_HOST", "valueFrom": {"secretKeyRef": {"name": SECRET, "key": "host"}}},
        {"name": "SMTP_PORT", "valueFrom": {"secretKeyRef": {"name": SECRET, "key": "port"}}},
        {"name": "SMTP_USER", "valueFrom": {"secretKeyRef": {"name": SECRET, "key": "username"}}},
        {"name": "SMTP_PASS", "valueFrom": {"secretKeyRef": {"name": SECRET, "key": "password"}}},
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


def test_out_of_the_sandbox_it_mails_the_sender(configs):
    plan = run_program("kind-smtp", {**configs["same-account-irsa"], "athenz-ses:smokeTest": "true", "athenz-ses:sandbox": "false"})
    assert plan.error is None
    assert container(plan)["command"] == aws_cli("eu-west-1", "zms@example.com")


@pytest.mark.parametrize("name", SCENARIOS)
def test_job_is_bounded_and_cleans_up_after_itself(smoke, name):
    spec = smoke[name].one(JOB).inputs["spec"]
    assert (spec["activeDeadlineSeconds"], spec["backoffLimit"], spec["ttlSecondsAfterFinished"]) == (300, 1, 3600)
    metadata = smoke[name].one(JOB).inputs["metadata"]
    assert metadata["namespace"] == "athenz" and "name" not in metadata  # auto-named: create before delete


@pytest.mark.parametrize("name", SCENARIOS)
def test_job_runs_after_the_wiring_and_is_replaced_on_any_change(smoke, name):
    plan = smoke[name]
    job = plan.one(JOB)
    assert plan.one(PATCH).urn in job.dependencies
    assert job.replace_on_changes == ["spec"] and job.delete_before_replace is False
    assert "customTimeouts" not in job.inputs and "pulumi.com/skipAwait" not in str(job.inputs)
    # The ZMS fingerprint in the pod template: a changed wiring re-runs the test.
    trigger = job.inputs["spec"]["template"]["metadata"]["annotations"]["athenz-ses/checksum"]
    assert trigger == plan.one(PATCH).inputs["spec"]["template"]["metadata"]["annotations"]["athenz-ses/checksum"]
    assert plan.outputs["smokeTestJob"] == job.outputs["metadata"]["name"]


def test_job_waits_for_the_sender_authorization_policy(smoke):
    plan = smoke["cross-sending-authorization"]
    policy = plan.one("aws:sesv2/emailIdentityPolicy:EmailIdentityPolicy")
    assert policy.urn in plan.one(JOB).dependencies


@pytest.mark.parametrize("name", SCENARIOS)
def test_no_credential_in_the_job(smoke, name):
    credentials = {"mock-smtp-password", "mock-secret-access-key"}
    leaks = [leaf for leaf, secret in walk(smoke[name].one(JOB).inputs) if leaf in credentials]
    assert leaks == []
    assert CLUSTER not in str(smoke[name].one(JOB).inputs)  # nothing account-specific but the source ARN
