"""smokeTest: one Job that runs ZMS's own notifier in ZMS's own image, with what the patch
gives ZMS, before the patch; and one as the first delegated sender, with the second
article's command. Mock-engine tests (our mock): they check what the Jobs would run. That
the sender class really sends through Athenz's notifier is proven by notifier_proof/
(Athenz's own classes), that the pod passes Pod Security "restricted" by e2e/ (a real
kube-apiserver)."""

from __future__ import annotations

import base64
import email
import email.policy
import json

import pytest
from conftest import CLUSTER, SCENARIOS, SES, walk

from athenz_ses.smoke_test import SENDER_FILE, SENDER_SCRIPT, SIMULATOR, SUBJECT, TEXT
from offline_plan.engine import Plan, PlannedResource, run_program
from offline_plan.mocks import read_outputs
from program.settings import ConfigError

JOB = "kubernetes:batch/v1:Job"
PATCH = "kubernetes:apps/v1:DeploymentPatch"
AWS_CLI_IMAGE = "amazon/aws-cli:2.22.0"
RESTRICTED = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "runAsNonRoot": True,
    "seccompProfile": {"type": "RuntimeDefault"},
}


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
    return next(r for r in plan.of_type(JOB) if r.parent.endswith("::athenz-ses-zms-smoke-test"))


def sender_job(plan: Plan) -> PlannedResource:
    return next(r for r in plan.of_type(JOB) if r.parent.endswith("::athenz-ses-sender-smoke-test"))


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
        SIMULATOR,  # out of the sandbox: SES's mailbox simulator
        "--subject",
        SUBJECT,
        "--text",
        TEXT,
        "--source-arn",
        sender_arn,
    ]
    assert container(job)["env"] == [{"name": "AWS_REGION", "value": "eu-west-1"}, {"name": "HOME", "value": "/tmp"}]
    # It waits for the identity policy, its role's send policy and its ServiceAccount, not for ZMS.
    needed = {plan.one("aws:sesv2/emailIdentityPolicy:EmailIdentityPolicy").urn} | {
        r.urn
        for r in plan.resources
        if r.name in ("athenz-ses-sender-mailer-reports-send", "athenz-ses-sender-mailer-reports-service-account")
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


def live_zms(plan: Plan) -> dict:
    """ZMS's Deployment as the plan's look-up finds it (the layout's stock one)."""
    config = plan.config
    layout = config.get("athenz-ses:zmsLayout", "distribution")
    name = "athenz-athenz-zms" if layout == "helm" else "athenz-zms-server"
    return read_outputs("kubernetes:apps/v1:Deployment", f"{config.get('athenz-ses:namespace', 'athenz')}/{name}")


def patch_container(plan: Plan) -> dict:
    (only,) = plan.one(PATCH).inputs["spec"]["template"]["spec"]["containers"]
    return only


@pytest.mark.parametrize("name", SCENARIOS)
def test_the_zms_job_runs_zmss_notifier_in_zmss_image_with_what_the_patch_gives_zms(smoke, name):
    plan = smoke[name]
    job, live = zms_job(plan), live_zms(smoke[name])
    (zms,) = live["spec"]["template"]["spec"]["containers"]
    patch_pod = plan.one(PATCH).inputs["spec"]["template"]["spec"]
    run = container(job)
    assert run["image"] == zms["image"]
    assert run["command"][:3] == ["sh", "-c", SENDER_SCRIPT]
    assert "java -classpath" in SENDER_SCRIPT and "$CLASSPATH" not in SENDER_SCRIPT.replace("${CLASSPATH}", "")
    # ZMS's own env, then exactly the patch's (which replaces entries of the same name).
    patch_env = patch_container(plan)["env"]
    patched = {var["name"] for var in patch_env}
    assert run["env"] == [v for v in zms["env"] if v["name"] not in patched] + patch_env
    # ZMS's volumes (its configuration), the patch's (the plugin jar) and the sender class.
    volumes = pod(job)["volumes"]
    assert volumes[: len(live["spec"]["template"]["spec"]["volumes"])] == live["spec"]["template"]["spec"]["volumes"]
    assert [v for v in patch_pod.get("volumes", [])] == volumes[len(live["spec"]["template"]["spec"]["volumes"]) : -1]
    (sender,) = [
        r for r in plan.of_type("kubernetes:core/v1:ConfigMap") if r.name == "athenz-ses-zms-smoke-test-sender"
    ]
    assert volumes[-1] == {"name": "athenz-ses-smoke", "configMap": {"name": sender.inputs["metadata"]["name"]}}
    assert base64.b64decode(sender.inputs["binaryData"]["ZmsNotificationSmoke.class"]) == SENDER_FILE.read_bytes()
    # The ServiceAccount the patch gives ZMS, or ZMS's own.
    assert pod(job).get("serviceAccountName") == patch_pod.get("serviceAccountName")


@pytest.mark.parametrize("name", SCENARIOS)
def test_the_zms_job_meets_pod_security_restricted(smoke, name):
    job = zms_job(smoke[name])
    security = pod(job)["securityContext"]
    assert security["runAsNonRoot"] is True and security["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container(job)["securityContext"] == {**RESTRICTED, "runAsUser": 10001}


@pytest.mark.parametrize("name", SCENARIOS)
def test_the_patch_waits_for_a_green_zms_job_which_waits_for_the_send_permission(smoke, name):
    plan = smoke[name]
    job = zms_job(plan)
    assert job.urn in plan.one(PATCH).dependencies  # a failed send leaves ZMS unchanged
    send_policies = {
        r.urn
        for r in plan.resources
        if r.type in ("aws:iam/rolePolicy:RolePolicy", "aws:iam/userPolicy:UserPolicy")
        and r.parent.split("::")[-1]
        in ("athenz-ses-zms-irsa", "athenz-ses-zms-pod-identity", "athenz-ses-access-key", "athenz-ses-smtp")
    }
    assert len(send_policies) == (2 if name == "cross-pod-identity" else 1)
    assert send_policies <= set(job.dependencies)
    assert job.replace_on_changes == ["spec"] and job.delete_before_replace is False
    assert plan.outputs["smokeTestJob"] == job.outputs["metadata"]["name"]


def recipient_of(plan: Plan) -> str:
    return container(zms_job(plan))["command"][-1]


def test_in_the_sandbox_the_zms_job_mails_the_first_verified_recipient(smoke):
    assert recipient_of(smoke["same-account-irsa"]) == "alice@example.com"
    assert recipient_of(smoke["kind-smtp"]) == "user.alice"  # the plugin maps a principal itself


def test_out_of_the_sandbox_the_jobs_mail_the_mailbox_simulator_or_the_given_recipient(configs):
    base = {**configs["same-account-irsa"], "athenz-ses:smokeTest": "true", "athenz-ses:sandbox": "false"}
    assert recipient_of(run_program("prod", base)) == SIMULATOR
    given = run_program("prod", {**base, "athenz-ses:smokeTestRecipient": "ops@example.com"})
    assert recipient_of(given) == "ops@example.com"


def test_the_plugin_out_of_the_sandbox_needs_a_smoke_test_recipient(configs):
    base = {**configs["kind-smtp"], "athenz-ses:smokeTest": "true", "athenz-ses:sandbox": "false"}
    plan = run_program("plugin", base)
    assert isinstance(plan.error, ConfigError) and plan.error.key == "athenz-ses:smokeTestRecipient"
    assert "never the SES mailbox simulator" in str(plan.error) and plan.resources == []


@pytest.mark.parametrize("name", SCENARIOS)
def test_jobs_are_bounded_clean_up_and_run_again_when_they_failed(smoke, name):
    for job in smoke[name].of_type(JOB):
        spec = job.inputs["spec"]
        assert (spec["activeDeadlineSeconds"], spec["backoffLimit"], spec["ttlSecondsAfterFinished"]) == (300, 4, 3600)
        metadata = job.inputs["metadata"]
        assert "name" not in metadata  # auto-named: create before delete
        assert metadata["annotations"] == {"pulumi.com/replaceUnready": "true"}
        assert {**RESTRICTED, **container(job)["securityContext"]} == container(job)["securityContext"]


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
