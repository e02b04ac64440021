"""ZmsWiring: what ZMS needs next to it (ServiceAccount, Secret, ConfigMap) and the one
server-side-apply patch of the existing ZMS Deployment that wires it in.

The Secret's string_data is read here through `revealed`; that it is a secret is not
tested (no public API says so; the offline-plan tests cover it)."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from athenz_ses.sending_user import SendingUser, SendingUserArgs
from athenz_ses.zms_wiring import BASE_ENV, ZmsWiring, ZmsWiringArgs
from offline_plan.sdk_gap import collect_failed_registrations

from .unit_mocks import ACCOUNT, revealed

PATCH = "kubernetes:apps/v1:DeploymentPatch"
SECRET = "kubernetes:core/v1:Secret"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
PREFIX = "athenz-ses-unit"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/zms-irsa-role-abc1234"
LABELS = {
    "app.kubernetes.io/managed-by": "pulumi",
    "app.kubernetes.io/part-of": "athenz-ses",
    "app.kubernetes.io/instance": PREFIX,
}
PROPERTIES = {
    "athenz.zms.notification_service_factory_class": "com.example.Factory",
    "athenz.notification_email_from": "zms",
    "athenz.notification_email_domain_from": "example.com",
    "athenz.notification_email_domain_to": "example.org",
}


def jar_file(tmp_path: Path, content: bytes = b"PK\x03\x04 a stand-in jar") -> Path:
    path = tmp_path / f"plugin-{len(content)}-{content[-4:].hex()}.jar"
    path.write_bytes(content)
    return path


@dataclass
class Built:
    """A ZmsWiring under the mocks, with its resolved outputs (and its user's key id)."""

    wiring: ZmsWiring = field(init=False)  # set by build() before it returns
    checksum: str = ""
    secret_name: str | None = None
    access_key_id: str | None = None


def build(*, user: dict[str, Any] | None = None, **overrides: Any) -> Built:
    """Build one ZmsWiring (and the SendingUser `user` describes, if any)."""
    built = Built()
    values: dict[str, Any] = dict(
        namespace="athenz",
        name_prefix=PREFIX,
        deployment="athenz-zms-server",
        container="athenz-zms-server",
        system_properties=PROPERTIES,
    )

    @pulumi.runtime.test
    def run():
        sending_user = None
        if user is not None:
            sending_user = SendingUser(
                user.get("name", "access-key"),
                SendingUserArgs(
                    region=user.get("region", "us-east-1"),
                    send_arns=["arn:aws:ses:us-east-1:1:identity/a@b.c"],
                    smtp=user.get("smtp", False),
                    from_addresses=["a@b.c"],
                ),
            )
        built.wiring = ZmsWiring("zms", ZmsWiringArgs(**{**values, **overrides}, user=sending_user))
        key_id = sending_user.access_key_id if sending_user else None
        return pulumi.Output.all(built.wiring.checksum, built.wiring.secret_name, key_id).apply(resolved)

    def resolved(values: list) -> None:
        built.checksum, built.secret_name, built.access_key_id = values

    run()
    return built


def patch(mocks) -> dict:
    return mocks.one(PATCH).inputs


def pod_spec(mocks) -> dict:
    return patch(mocks)["spec"]["template"]["spec"]


def container(mocks) -> dict:
    [only] = pod_spec(mocks)["containers"]
    return only


def env(mocks) -> dict[str, dict]:
    return {var["name"]: var for var in container(mocks)["env"]}


MODES = {
    "irsa": dict(service_account="athenz-ses-unit", role_arn=ROLE_ARN, aws_region="us-east-1"),
    "access-key": dict(aws_region="us-east-1", user={"smtp": False}),
    "smtp-plugin": dict(user={"smtp": True, "name": "smtp"}, plugin_jar="jar"),
}


def mode_args(mode: str, tmp_path: Path) -> dict[str, Any]:
    args = dict(MODES[mode])
    if args.get("plugin_jar") == "jar":
        args["plugin_jar"] = jar_file(tmp_path)
    return args


# --- the patch: only fields the base Deployment does not set ---------------------------------


@pytest.mark.parametrize(
    "mode, pod_fields, container_fields",
    [
        ("irsa", {"containers", "serviceAccountName", "serviceAccount"}, {"name", "env"}),
        ("access-key", {"containers"}, {"name", "env"}),
        ("smtp-plugin", {"containers", "volumes"}, {"name", "env", "volumeMounts"}),
    ],
)
def test_patch_sets_only_env_mounts_service_account_and_the_checksum(
    mocks, tmp_path, mode, pod_fields, container_fields
):
    built = build(**mode_args(mode, tmp_path))
    spec = patch(mocks)["spec"]
    assert set(spec) == {"template"}
    assert spec["template"]["metadata"] == {"annotations": {"athenz-ses/checksum": built.checksum}}
    assert set(pod_spec(mocks)) == pod_fields
    assert set(container(mocks)) == container_fields
    assert container(mocks)["name"] == "athenz-zms-server"


@pytest.mark.parametrize("mode", sorted(MODES))
def test_patch_never_sets_an_env_var_of_the_base_deployment(mocks, tmp_path, mode):
    build(**mode_args(mode, tmp_path))
    assert set(env(mocks)).isdisjoint(BASE_ENV)
    assert "JDK_JAVA_OPTIONS" in env(mocks)


def test_patch_targets_the_deployment_with_the_stacks_field_manager(mocks):
    built = build(name_prefix="athenz-ses-prod", deployment="zms", namespace="auth")
    assert patch(mocks)["metadata"] == {
        "name": "zms",
        "namespace": "auth",
        "annotations": {"pulumi.com/patchFieldManager": "athenz-ses-prod"},  # and no patchForce
    }
    assert built.wiring.field_manager == "athenz-ses-prod"


def test_jdk_java_options_holds_the_properties_as_d_flags_in_order(mocks):
    build()
    assert env(mocks)["JDK_JAVA_OPTIONS"]["value"] == (
        "-Dathenz.zms.notification_service_factory_class=com.example.Factory"
        " -Dathenz.notification_email_from=zms"
        " -Dathenz.notification_email_domain_from=example.com"
        " -Dathenz.notification_email_domain_to=example.org"
    )


def test_aws_region_only_when_given(mocks):
    build(aws_region="ap-northeast-1")
    assert env(mocks)["AWS_REGION"] == {"name": "AWS_REGION", "value": "ap-northeast-1"}
    mocks.resources.clear()
    build()
    assert "AWS_REGION" not in env(mocks)


# --- IRSA --------------------------------------------------------------------------------------


def test_irsa_runs_zms_as_a_service_account_annotated_with_the_role(mocks):
    built = build(service_account="zms-sa", role_arn=pulumi.Output.from_input(ROLE_ARN))
    assert mocks.one(SERVICE_ACCOUNT).inputs["metadata"] == {
        "name": "zms-sa",
        "namespace": "athenz",
        "labels": LABELS,
        "annotations": {"eks.amazonaws.com/role-arn": ROLE_ARN},
    }
    # The deprecated alias too, so destroy leaves no alias pointing at a deleted ServiceAccount.
    assert pod_spec(mocks)["serviceAccountName"] == pod_spec(mocks)["serviceAccount"] == "zms-sa"
    assert built.wiring.service_account_name == "zms-sa"


def test_a_service_account_without_a_role_is_refused(mocks):
    with pytest.raises(ValueError, match="service_account needs either role_arn"):
        build(service_account="zms-sa")
    assert mocks.of_type(SERVICE_ACCOUNT) == [] and mocks.of_type(PATCH) == []


def test_without_irsa_there_is_no_service_account(mocks):
    built = build(aws_region="us-east-1", user={"smtp": False})
    assert mocks.of_type(SERVICE_ACCOUNT) == []
    assert built.wiring.service_account_name is None


# --- credentials in a Secret -------------------------------------------------------------------


def test_access_key_reaches_zms_as_aws_sdk_env_vars_from_the_secret(mocks):
    built = build(user={"smtp": False})
    secret = mocks.one(SECRET).inputs
    assert secret["metadata"] == {"name": built.secret_name, "namespace": "athenz", "labels": LABELS}
    assert secret["type"] == "Opaque"
    assert built.access_key_id is not None and built.access_key_id.startswith("AKIA")
    assert revealed(secret["stringData"]) == {
        "access-key-id": built.access_key_id,
        "secret-access-key": "mock-secret-access-key",
    }
    assert env(mocks)["AWS_ACCESS_KEY_ID"]["valueFrom"] == {
        "secretKeyRef": {"name": built.secret_name, "key": "access-key-id"}
    }
    assert env(mocks)["AWS_SECRET_ACCESS_KEY"]["valueFrom"] == {
        "secretKeyRef": {"name": built.secret_name, "key": "secret-access-key"}
    }
    assert built.secret_name is not None and built.secret_name.startswith(f"{PREFIX}-aws-")


def test_smtp_credentials_reach_zms_as_the_plugins_env_vars_from_the_secret(mocks):
    built = build(user={"smtp": True, "name": "smtp"})
    # The access key id is the SMTP user name; the password is the key's SES SMTP password.
    assert built.access_key_id is not None and built.access_key_id.startswith("AKIA")
    assert revealed(mocks.one(SECRET).inputs["stringData"]) == {
        "username": built.access_key_id,
        "password": "mock-smtp-password",
    }
    assert env(mocks)["AWS_SES_USER"]["valueFrom"] == {"secretKeyRef": {"name": built.secret_name, "key": "username"}}
    assert env(mocks)["AWS_SES_PASS"]["valueFrom"] == {"secretKeyRef": {"name": built.secret_name, "key": "password"}}
    assert not {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} & set(env(mocks))
    assert built.secret_name is not None and built.secret_name.startswith(f"{PREFIX}-smtp-")


def test_secret_name_follows_the_key_and_the_smtp_host_only(mocks):
    def name(**user: Any) -> str:
        mocks.resources.clear()
        secret_name = build(user={"smtp": True, **user}).secret_name
        assert secret_name is not None  # a SendingUser's key makes a Secret
        return secret_name

    same = name(name="smtp", region="us-east-1")
    assert name(name="smtp", region="us-east-1") == same  # same content, same name
    assert name(name="smtp2", region="us-east-1") != same  # a new key (another key id)
    assert name(name="smtp", region="eu-west-1") != same  # another SMTP host


# --- the plugin jar in a ConfigMap --------------------------------------------------------------


def test_plugin_jar_is_shipped_in_a_config_map_and_mounted_on_the_classpath(mocks, tmp_path):
    content = b"PK\x03\x04 the plugin"
    built = build(plugin_jar=jar_file(tmp_path, content))
    config_map = mocks.one(CONFIG_MAP).inputs
    name = built.wiring.config_map_name
    assert config_map["metadata"] == {"name": name, "namespace": "athenz", "labels": LABELS}
    assert config_map["binaryData"] == {"ses-plugin.jar": base64.b64encode(content).decode()}
    assert pod_spec(mocks)["volumes"] == [{"name": "athenz-ses-plugin", "configMap": {"name": name}}]
    assert container(mocks)["volumeMounts"] == [
        {
            "name": "athenz-ses-plugin",
            "mountPath": "/usr/lib/jars/ses-plugin.jar",
            "subPath": "ses-plugin.jar",
            "readOnly": True,
        }
    ]


def test_config_map_name_follows_the_jar_content(mocks, tmp_path):
    def name(content: bytes) -> str:
        mocks.resources.clear()
        config_map_name = build(plugin_jar=jar_file(tmp_path, content)).wiring.config_map_name
        assert config_map_name is not None  # a plugin jar makes a ConfigMap
        return config_map_name

    first = name(b"PK\x03\x04 version 1")
    assert first.startswith(f"{PREFIX}-plugin-")
    assert name(b"PK\x03\x04 version 1") == first
    assert name(b"PK\x03\x04 version 2") != first


# --- the checksum: pods restart when what they read changes ------------------------------------


def test_checksum_changes_with_what_the_pods_read_and_only_then(mocks, tmp_path):
    def checksum(**overrides: Any) -> str:
        mocks.resources.clear()
        return build(**{"service_account": "sa", "role_arn": ROLE_ARN, **overrides}).checksum

    base = checksum()
    assert checksum() == base
    changed = [
        checksum(system_properties={**PROPERTIES, "athenz.notification_email_from": "other"}),
        checksum(role_arn=ROLE_ARN + "x"),
        checksum(service_account="other"),
        checksum(aws_region="us-east-1"),
        checksum(plugin_jar=jar_file(tmp_path)),
    ]
    assert base not in changed and len(set(changed)) == len(changed)


def test_a_service_account_with_both_a_role_annotation_and_a_pod_identity_is_refused(mocks):
    """One way to credentials: an IRSA annotation and a Pod Identity association together
    would leave the SDK's chain to pick one (IRSA comes first)."""

    @pulumi.runtime.test
    def run():
        association = aws.eks.PodIdentityAssociation(
            "assoc", cluster_name="prod", namespace="athenz", service_account="zms-sa", role_arn=ROLE_ARN
        )
        ZmsWiring(
            "zms",
            ZmsWiringArgs(
                namespace="athenz",
                name_prefix=PREFIX,
                deployment="athenz-zms-server",
                container="athenz-zms-server",
                system_properties=PROPERTIES,
                service_account="zms-sa",
                role_arn=ROLE_ARN,
                pod_identity=association,
            ),
        )

    with pytest.raises(ValueError, match="service_account needs either role_arn"):
        run()
    assert mocks.of_type(SERVICE_ACCOUNT) == [] and mocks.of_type(PATCH) == []


# --- The live ZMS: credentials it already has are not replaced --------------------------------

USE_INSTEAD = "set zms_role_arn instead"
LIVE = "athenz/athenz-zms-server"


def live_zms(*, env: list[dict] | None = None, service_account: str | None = None) -> dict:
    """The distribution's ZMS as a look-up finds it, with extra env and a ServiceAccount."""
    from offline_plan.mocks import read_outputs

    found = read_outputs("kubernetes:apps/v1:Deployment", LIVE)
    pod = found["spec"]["template"]["spec"]
    pod["containers"][0]["env"] += env or []
    if service_account:
        pod["serviceAccountName"] = service_account
    return found


def guarded(**overrides: Any) -> dict[str, Any]:
    return dict(refuse_existing_credentials=USE_INSTEAD, **overrides)


def refusal_of(mocks, **overrides: Any) -> str:
    with pytest.raises(ValueError) as raised:
        build(**guarded(**overrides))
    assert mocks.of_type(PATCH) == []  # the patch waits for the look-up: never registered
    message = str(raised.value)
    del raised
    # The patch's futures still hold that error (offline_plan/sdk_gap.py, the fourth gap),
    # and pulumi.runtime.test keeps a run's outputs until its next run: run an empty one,
    # then collect them, so asyncio does not log them after the test report.
    pulumi.runtime.test(lambda: None)()
    collect_failed_registrations()
    return message


def test_a_zms_with_the_stock_deployment_is_read_and_patched(mocks):
    build(**guarded(service_account="athenz-ses-unit", role_arn=ROLE_ARN))
    assert ("kubernetes:apps/v1:Deployment", LIVE) in mocks.reads
    assert ("kubernetes:core/v1:ServiceAccount", "athenz/default") in mocks.reads
    assert len(mocks.of_type(PATCH)) == 1


@pytest.mark.parametrize("var", ["AWS_ACCESS_KEY_ID", "AWS_ROLE_ARN", "AWS_CONTAINER_CREDENTIALS_FULL_URI"])
def test_a_zms_with_aws_credential_env_of_its_own_is_refused(mocks, var):
    mocks.live[LIVE] = live_zms(env=[{"name": var, "value": "x"}])
    message = refusal_of(mocks, service_account="athenz-ses-unit", role_arn=ROLE_ARN)
    assert f"ZMS's container has {var} in its env: {USE_INSTEAD}" in message


def test_a_zms_running_as_a_service_account_with_an_irsa_role_is_refused(mocks):
    mocks.live[LIVE] = live_zms(service_account="zms")
    mocks.live["athenz/zms"] = {
        "metadata": {"name": "zms", "namespace": "athenz", "annotations": {"eks.amazonaws.com/role-arn": "arn:x"}}
    }
    message = refusal_of(mocks, service_account="athenz-ses-unit", role_arn=ROLE_ARN)
    assert "ZMS runs as ServiceAccount zms, which has IAM role arn:x (IRSA)" in message


def test_the_stacks_own_service_account_and_secret_env_are_not_credentials_of_zms(mocks):
    """What a first `pulumi up` set, a second one finds: it is the stack's own."""
    secret_env = {"name": "AWS_ACCESS_KEY_ID", "valueFrom": {"secretKeyRef": {"name": f"{PREFIX}-aws-0123456789"}}}
    mocks.live[LIVE] = live_zms(env=[secret_env], service_account=PREFIX)
    mocks.live[f"athenz/{PREFIX}"] = {
        "metadata": {
            "name": PREFIX,
            "namespace": "athenz",
            "labels": LABELS,
            "annotations": {"eks.amazonaws.com/role-arn": ROLE_ARN},
        }
    }
    build(**guarded(service_account=PREFIX, role_arn=ROLE_ARN))
    assert len(mocks.of_type(PATCH)) == 1


def test_switching_modes_finds_the_stacks_own_service_account_by_its_labels(mocks):
    """After an IRSA `up` ZMS runs as the stack's ServiceAccount; an access-key `up` next
    must not take that for ZMS's own credentials."""
    mocks.live[LIVE] = live_zms(service_account=PREFIX)
    mocks.live[f"athenz/{PREFIX}"] = {
        "metadata": {"name": PREFIX, "labels": LABELS, "annotations": {"eks.amazonaws.com/role-arn": ROLE_ARN}}
    }
    build(**guarded(), user={"name": "access-key"})
    assert len(mocks.of_type(PATCH)) == 1


def test_a_users_service_account_of_the_stacks_name_is_not_the_stacks(mocks):
    mocks.live[LIVE] = live_zms(service_account=PREFIX)
    mocks.live[f"athenz/{PREFIX}"] = {
        "metadata": {"name": PREFIX, "annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/users"}}
    }
    message = refusal_of(mocks, service_account=PREFIX, role_arn=ROLE_ARN)
    assert f"ZMS runs as ServiceAccount {PREFIX}, which has IAM role arn:aws:iam::1:role/users" in message


def test_a_deployment_without_the_zms_container_is_refused(mocks):
    message = refusal_of(mocks, container="zms")
    assert "has no container zms to patch" in message


def test_without_the_check_nothing_is_read(mocks):
    build()
    assert mocks.reads == []


def test_a_zms_with_selector_requirements_is_read_and_its_smoke_job_composed(mocks):
    """A requirement's `values` field hides dict.values() on the SDK's output types: the
    look-up is read as plain data before anything lifts it into an Output again."""
    found = live_zms()
    requirement = {"key": "app", "operator": "In", "values": ["zms"]}
    found["spec"]["template"]["spec"]["affinity"] = {
        "podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [
                {"labelSelector": {"matchExpressions": [requirement]}, "topologyKey": "kubernetes.io/hostname"}
            ]
        }
    }
    mocks.live[LIVE] = found
    build(**guarded(service_account=PREFIX, role_arn=ROLE_ARN, smoke_test_recipient="alice@example.com"))
    (job,) = mocks.of_type("kubernetes:batch/v1:Job")
    affinity = job.inputs["spec"]["template"]["spec"]["affinity"]
    selector = affinity["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0]["labelSelector"]
    assert selector["matchExpressions"] == [requirement]
    assert len(mocks.of_type(PATCH)) == 1
