"""SmokeTest: a Job that sends one mail through SES the way ZMS (or a delegated sender)
does, so `pulumi up` fails when it could not. Its argv and env, per send path."""

from __future__ import annotations

import base64
import json
from email import message_from_bytes
from typing import Any

import pulumi
import pytest

from athenz_ses.smoke_test import (
    SENDER_CLASS,
    SENDER_SCRIPT,
    SmokeTest,
    SmokeTestArgs,
    ZmsSmokeTestArgs,
    zms_smoke_pod,
)
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


# --- a delegated sender (the AWS CLI as its ServiceAccount) -------------------------------------


def test_a_delegated_sender_sends_with_sesv2_as_its_service_account_and_no_identity_arn(mocks):
    build(service_account="reports", namespace="mailer")
    assert pod(mocks)["serviceAccountName"] == "reports"
    assert container(mocks)["image"].startswith("amazon/aws-cli:")
    assert_sesv2_send_without_identity_arn(container(mocks)["command"])
    assert env(mocks) == {
        "AWS_REGION": {"name": "AWS_REGION", "value": "us-east-1"},
        "HOME": {"name": "HOME", "value": "/tmp"},  # the image's root HOME is not the user's
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


def test_the_job_retries_a_few_times_never_hangs_and_meets_pod_security_restricted(mocks):
    build(service_account="athenz-ses-unit")
    spec = mocks.one(JOB).inputs["spec"]
    assert spec["backoffLimit"] == 4  # a failed attempt sent nothing: retries never mail twice
    assert spec["activeDeadlineSeconds"] == 300
    assert spec["ttlSecondsAfterFinished"] == 3600
    assert pod(mocks)["restartPolicy"] == "Never"
    assert pod(mocks)["securityContext"] == {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    assert container(mocks)["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "runAsNonRoot": True,
        "runAsUser": 65532,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def test_job_and_pod_carry_the_given_labels(mocks):
    labels = {"app.kubernetes.io/part-of": "athenz-ses", "app.kubernetes.io/instance": "athenz-ses-unit"}
    build(service_account="athenz-ses-unit", labels=labels)
    job = mocks.one(JOB).inputs
    assert job["metadata"]["labels"] == labels
    assert job["spec"]["template"]["metadata"]["labels"] == labels


def test_job_name_is_the_auto_named_jobs(mocks):
    assert build(service_account="athenz-ses-unit") == autoname("smoke-test-job")
    assert "name" not in mocks.one(JOB).inputs["metadata"]  # auto-named: a replacement is created first


# --- ZMS's own notifier: the pod composed from ZMS's and the patch's ----------------------------

LIVE_POD = {
    "service_account_name": "zms",
    "security_context": {"fs_group": 1001, "run_as_user": 1001},
    "image_pull_secrets": [{"name": "registry"}],
    "volumes": [{"name": "conf", "config_map": {"name": "athenz-zms-conf"}}],
    "containers": [
        {
            "name": "zms",
            "image": "registry.example.com/athenz/zms:1.12.36",
            "env": [{"name": "JAVA_OPTS", "value": "-Dx=y"}, {"name": "CONF_PATH", "value": "/conf"}],
            "env_from": [{"config_map_ref": {"name": "zms-env"}}],
            "volume_mounts": [{"name": "conf", "mount_path": "/conf"}],
            "ports": [{"container_port": 4443}],
            "readiness_probe": {"tcp_socket": {"port": 4443}},
        },
        {"name": "sidecar", "image": "registry.example.com/sidecar:1"},
    ],
}
PATCH_ENV = [{"name": "JDK_JAVA_OPTIONS", "value": "-Da=b"}, {"name": "AWS_REGION", "value": "eu-west-1"}]


def zms_args(**overrides: Any) -> ZmsSmokeTestArgs:
    values: dict[str, Any] = dict(
        namespace="athenz",
        deployment="zms",
        container="zms",
        recipient="alice@example.com",
        trigger="fingerprint",
        config_map_name="athenz-ses-unit-smoke-sender",
    )
    return ZmsSmokeTestArgs(**{**values, **overrides})


def test_the_pod_is_zmss_container_running_the_sender_with_zmss_env_mounts_and_placement():
    args = zms_args(service_account=None)
    spec = zms_smoke_pod(LIVE_POD, PATCH_ENV, [], [], args)
    (run,) = spec["containers"]  # ZMS's container only, no sidecar
    assert run["image"] == "registry.example.com/athenz/zms:1.12.36"
    assert run["command"] == ["sh", "-c", SENDER_SCRIPT, SENDER_CLASS, "alice@example.com"]
    assert run["env"] == [*LIVE_POD["containers"][0]["env"], *PATCH_ENV]
    assert run["env_from"] == [{"config_map_ref": {"name": "zms-env"}}]
    assert run["volume_mounts"] == [
        {"name": "conf", "mount_path": "/conf"},
        {"name": "athenz-ses-smoke", "mount_path": "/athenz-ses-smoke", "read_only": True},
    ]
    assert "ports" not in run and "readiness_probe" not in run  # a Job, not a server
    assert spec["service_account_name"] == "zms"  # ZMS's own credentials when the patch gives none
    assert spec["image_pull_secrets"] == [{"name": "registry"}]
    assert spec["volumes"][-1] == {"name": "athenz-ses-smoke", "config_map": {"name": "athenz-ses-unit-smoke-sender"}}
    # Restricted, as ZMS's user (1001 here) with ZMS's fsGroup.
    assert spec["security_context"] == {
        "fs_group": 1001,
        "run_as_user": 1001,
        "run_as_non_root": True,
        "seccomp_profile": {"type": "RuntimeDefault"},
    }
    assert run["security_context"]["run_as_user"] == 1001
    assert run["security_context"]["capabilities"] == {"drop": ["ALL"]}


def test_the_patch_replaces_zmss_env_of_the_same_name_and_its_service_account():
    live = {**LIVE_POD, "containers": [{**LIVE_POD["containers"][0], "env": [{"name": "AWS_REGION", "value": "x"}]}]}
    mount = {"name": "athenz-ses-plugin", "mount_path": "/usr/lib/jars/ses-plugin.jar", "sub_path": "ses-plugin.jar"}
    volume = {"name": "athenz-ses-plugin", "config_map": {"name": "athenz-ses-unit-plugin-0123456789"}}
    spec = zms_smoke_pod(live, PATCH_ENV, [volume], [mount], zms_args(service_account="athenz-ses-unit"))
    (run,) = spec["containers"]
    assert run["env"] == PATCH_ENV
    assert mount in run["volume_mounts"] and volume in spec["volumes"]
    assert spec["service_account_name"] == "athenz-ses-unit"


def test_zms_with_no_user_of_its_own_runs_as_the_official_images_user():
    live = {"containers": [{"name": "zms", "image": "athenz/athenz-zms-server:1.12.36"}]}
    spec = zms_smoke_pod(live, PATCH_ENV, [], [], zms_args())
    assert spec["security_context"]["run_as_user"] == 10001
    assert "service_account_name" not in spec


# --- args ------------------------------------------------------------------------------------------


def test_a_delegated_sender_test_names_its_service_account():
    with pytest.raises(TypeError, match="service_account"):
        SmokeTestArgs(namespace="mailer", sender=SENDER, recipient=RECIPIENT, region="us-east-1", trigger="t")  # type: ignore[call-arg]


def test_on_a_second_up_zmss_pod_already_has_the_patchs_env_volume_and_mount_and_gets_each_once():
    mount = {"name": "athenz-ses-plugin", "mount_path": "/usr/lib/jars/ses-plugin.jar", "sub_path": "ses-plugin.jar"}
    volume = {"name": "athenz-ses-plugin", "config_map": {"name": "athenz-ses-unit-plugin-0123456789"}}
    zms = LIVE_POD["containers"][0]
    patched_live = {
        **LIVE_POD,
        "volumes": [*LIVE_POD["volumes"], volume],
        "containers": [{**zms, "env": [*zms["env"], *PATCH_ENV], "volume_mounts": [*zms["volume_mounts"], mount]}],
    }
    spec = zms_smoke_pod(patched_live, PATCH_ENV, [volume], [mount], zms_args())
    (run,) = spec["containers"]
    assert run["env"] == [*zms["env"], *PATCH_ENV]
    assert [v["name"] for v in spec["volumes"]] == ["conf", "athenz-ses-plugin", "athenz-ses-smoke"]
    assert [m["mount_path"] for m in run["volume_mounts"]] == ["/conf", mount["mount_path"], "/athenz-ses-smoke"]


def test_what_an_earlier_patch_of_another_send_path_left_is_not_carried_into_the_job():
    """access-key, then irsa: ZMS's live pod still has the stack's keys and the jar until the
    new patch; env keys would win over IRSA in the SDK's chain, so the Job must drop them."""
    zms = LIVE_POD["containers"][0]
    old_keys = [
        {"name": "AWS_ACCESS_KEY_ID", "value_from": {"secret_key_ref": {"name": "p-aws-1", "key": "access-key-id"}}},
        {"name": "AWS_SECRET_ACCESS_KEY", "value_from": {"secret_key_ref": {"name": "p-aws-1", "key": "x"}}},
    ]
    jar = {"name": "athenz-ses-plugin", "mount_path": "/usr/lib/jars/ses-plugin.jar"}
    live = {
        **LIVE_POD,
        "volumes": [*LIVE_POD["volumes"], {"name": "athenz-ses-plugin", "config_map": {"name": "p-plugin-1"}}],
        "containers": [{**zms, "env": [*zms["env"], *old_keys], "volume_mounts": [*zms["volume_mounts"], jar]}],
    }
    args = zms_args(
        owned_env=("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "JDK_JAVA_OPTIONS"),
        owned_volumes=("athenz-ses-plugin",),
        owned_mount_paths=("/usr/lib/jars/ses-plugin.jar",),
        service_account="athenz-ses-unit",
    )
    spec = zms_smoke_pod(live, PATCH_ENV, [], [], args)
    (run,) = spec["containers"]
    assert run["env"] == [*zms["env"], *PATCH_ENV]
    assert [v["name"] for v in spec["volumes"]] == ["conf", "athenz-ses-smoke"]
    assert [m["mount_path"] for m in run["volume_mounts"]] == ["/conf", "/athenz-ses-smoke"]


def test_claims_are_not_mounted_resources_are_kept_and_a_root_zms_is_refused():
    zms = {
        **LIVE_POD["containers"][0],
        "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}},
        "volume_mounts": [{"name": "conf", "mount_path": "/conf"}, {"name": "data", "mount_path": "/data"}],
    }
    live = {
        **LIVE_POD,
        "volumes": [*LIVE_POD["volumes"], {"name": "data", "persistent_volume_claim": {"claim_name": "zms-data"}}],
        "containers": [zms],
    }
    spec = zms_smoke_pod(live, PATCH_ENV, [], [], zms_args())
    (run,) = spec["containers"]
    assert run["resources"] == {"requests": {"cpu": "500m", "memory": "1Gi"}}
    assert "data" not in [v["name"] for v in spec["volumes"]]
    assert "/data" not in [m["mount_path"] for m in run["volume_mounts"]]
    root = {**live, "security_context": {"run_as_user": 0}}
    with pytest.raises(ValueError, match="runs as root"):
        zms_smoke_pod(root, PATCH_ENV, [], [], zms_args())
