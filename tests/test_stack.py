"""What `pulumi up` creates for each configuration: policies, accounts, the ZMS patch."""

from __future__ import annotations

import json

import pytest

from components.zms_wiring import BASE_ENV
from conftest import BUILTIN_CLASS, assert_no_wildcards, policy_documents, CLUSTER, ISSUER_HOST, PLUGIN_CLASS, SCENARIOS, SES, SES_ROLE, walk
from offline_plan.engine import Secret, reveal, run_program

EU, US, AP = "eu-west-1", "us-east-1", "ap-northeast-1"
SUBJECT = "system:serviceaccount:athenz:athenz-zms-ses"
PATCH = "kubernetes:apps/v1:DeploymentPatch"


def normalized(document: dict) -> dict:
    """Policy semantics without the renderer's choices (string vs list, order, empty Sid)."""

    def values(v):
        return sorted(v) if isinstance(v, list) else [v]

    statements = []
    for st in document["Statement"]:
        out = {"Effect": st["Effect"]}
        for key in ("Action", "Resource"):
            if key in st:
                out[key] = values(st[key])
        if "Principal" in st:
            out["Principal"] = {k: values(v) for k, v in st["Principal"].items()}
        if "Condition" in st:
            out["Condition"] = {t: {k: values(v) for k, v in c.items()} for t, c in st["Condition"].items()}
        assert st.get("Sid", "") == "", st
        statements.append(out)
    return {"Version": document["Version"], "Statement": statements}


def policy(plan, type_: str, field: str = "policy") -> dict:
    return normalized(json.loads(plan.one(type_).inputs[field]))


def identity(account: str, region: str, email: str) -> str:
    return f"arn:aws:ses:{region}:{account}:identity/{email}"


def trust(account: str) -> dict:
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Action": ["sts:AssumeRoleWithWebIdentity"],
        "Principal": {"Federated": [f"arn:aws:iam::{account}:oidc-provider/{ISSUER_HOST}"]},
        "Condition": {"StringEquals": {f"{ISSUER_HOST}:sub": [SUBJECT], f"{ISSUER_HOST}:aud": ["sts.amazonaws.com"]}},
    }]}


def allow(actions: list[str], resources: list[str], principal: str | None = None) -> dict:
    statement = {"Effect": "Allow", "Action": sorted(actions), "Resource": sorted(resources)}
    if principal:
        statement["Principal"] = {"AWS": [principal]}
    return {"Version": "2012-10-17", "Statement": [statement]}


SEND = ["ses:SendEmail", "ses:SendRawEmail"]


# --- IAM and SES policies -----------------------------------------------------------------

def test_same_account_role_trusts_one_service_account_and_sends_as_sandbox_identities(plans):
    plan = plans["same-account-irsa"]
    arns = [identity(CLUSTER, EU, e) for e in ("zms@example.com", "alice@example.com", "bob@example.com")]
    assert policy(plan, "aws:iam/role:Role", "assumeRolePolicy") == trust(CLUSTER)
    assert policy(plan, "aws:iam/rolePolicy:RolePolicy") == allow(SEND, arns)
    assert policy(plan, "aws:iam/userPolicy:UserPolicy") == allow(["ses:SendRawEmail"], arns)
    assert plan.of_type("aws:sesv2/emailIdentityPolicy:EmailIdentityPolicy") == []


def test_sending_authorization_grants_exactly_the_role_on_the_sender(plans):
    plan = plans["cross-sending-authorization"]
    role_arn = plan.outputs["roleArn"]
    sender = identity(SES, EU, "zms@example.com")
    assert role_arn.startswith(f"arn:aws:iam::{CLUSTER}:role/")
    assert policy(plan, "aws:sesv2/emailIdentityPolicy:EmailIdentityPolicy") == allow(SEND, [sender], principal=role_arn)
    assert plan.one("aws:sesv2/emailIdentityPolicy:EmailIdentityPolicy").inputs["emailIdentity"] == "zms@example.com"
    assert policy(plan, "aws:iam/role:Role", "assumeRolePolicy") == trust(CLUSTER)
    assert policy(plan, "aws:iam/rolePolicy:RolePolicy") == allow(SEND, [sender, identity(SES, EU, "alice@example.com")])


def test_federated_role_lives_in_the_ses_account_with_its_own_oidc_provider(plans):
    plan = plans["cross-federated-builtin"]
    oidc = plan.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert oidc.inputs["url"] == f"https://{ISSUER_HOST}"
    assert oidc.inputs["clientIdLists"] == ["sts.amazonaws.com"]
    assert policy(plan, "aws:iam/role:Role", "assumeRolePolicy") == trust(SES)
    assert policy(plan, "aws:iam/rolePolicy:RolePolicy") == allow(
        SEND, [identity(SES, US, "zms@example.com"), identity(SES, US, "alice@example.com")]
    )
    assert plan.of_type("aws:sesv2/emailIdentityPolicy:EmailIdentityPolicy") == []
    assert plan.of_type("aws:iam/user:User") == []


def test_existing_oidc_provider_is_looked_up_not_managed(plans):
    for name in ("same-account-irsa", "cross-sending-authorization"):
        plan = plans[name]
        assert plan.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider") == []
        lookups = [(args, where) for token, args, where in plan.calls if token.endswith("getOpenIdConnectProvider")]
        assert [(args["url"], where.account) for args, where in lookups] == [(f"https://{ISSUER_HOST}", CLUSTER)]


def test_out_of_the_sandbox_only_the_sender_is_an_identity_and_a_resource(configs):
    plan = run_program("prod", {**configs["same-account-irsa"], "athenz-ses:sandbox": "false"})
    assert [r.inputs["emailIdentity"] for r in plan.of_type("aws:sesv2/emailIdentity:EmailIdentity")] == ["zms@example.com"]
    assert policy(plan, "aws:iam/rolePolicy:RolePolicy") == allow(SEND, [identity(CLUSTER, EU, "zms@example.com")])
    assert any("recipientEmails is ignored" in w for w in plan.warnings)


@pytest.mark.parametrize("name", SCENARIOS)
def test_no_wildcard_action_resource_or_principal(plans, name):
    documents = policy_documents(plans[name])
    assert documents
    for document in documents:
        assert_no_wildcards(document)


# --- accounts and Regions -------------------------------------------------------------------

def locations(plan) -> dict[str, tuple[str, str]]:
    return {r.name: (r.location.account, r.location.region) for r in plan.resources if r.custom and r.type.startswith(("aws:", "pulumi:providers:aws"))}


def test_every_aws_resource_is_in_the_right_account_and_region(plans):
    assert locations(plans["same-account-irsa"]) == {
        "ses-sender": (CLUSTER, EU), "ses-recipient-alice@example.com": (CLUSTER, EU),
        "ses-recipient-bob@example.com": (CLUSTER, EU),
        "zms-irsa-role": (CLUSTER, EU), "zms-irsa-send": (CLUSTER, EU),
        "smtp-user": (CLUSTER, EU), "smtp-send": (CLUSTER, EU), "smtp-key": (CLUSTER, EU),
    }
    assert locations(plans["cross-sending-authorization"]) == {
        "ses": (SES, EU), "ses-sender": (SES, EU), "ses-recipient-alice@example.com": (SES, EU),
        "zms-irsa-role": (CLUSTER, EU), "zms-irsa-send": (CLUSTER, EU),
        "sender-authorization-policy": (SES, EU),
        "smtp-user": (SES, EU), "smtp-send": (SES, EU), "smtp-key": (SES, EU),
    }
    assert locations(plans["cross-federated-builtin"]) == {
        "ses": (SES, US), "ses-sender": (SES, US), "ses-recipient-alice@example.com": (SES, US),
        "zms-irsa-oidc": (SES, US), "zms-irsa-role": (SES, US), "zms-irsa-send": (SES, US),
    }
    assert locations(plans["kind-smtp"]) == {
        "ses-sender": (CLUSTER, AP), "ses-recipient-alice@example.com": (CLUSTER, AP),
        "smtp-user": (CLUSTER, AP), "smtp-send": (CLUSTER, AP), "smtp-key": (CLUSTER, AP),
    }


def test_ses_provider_is_pinned_to_the_ses_account(plans):
    provider = plans["cross-sending-authorization"].one("pulumi:providers:aws").inputs
    assert json.loads(provider["allowedAccountIds"]) == [SES]
    assert provider["region"] == EU
    assert json.loads(provider["assumeRoles"])[0]["roleArn"] == SES_ROLE
    federated = plans["cross-federated-builtin"].one("pulumi:providers:aws").inputs
    assert (json.loads(federated["allowedAccountIds"]), federated["region"], federated["profile"]) == ([SES], US, "ses-admin")
    assert "assumeRoles" not in federated


def test_ses_provider_assumes_its_role_with_the_cluster_profile(configs):
    plan = run_program("profiled", {**configs["cross-sending-authorization"], "aws:profile": "cluster-admin"})
    provider = plan.one("pulumi:providers:aws").inputs
    assert provider["profile"] == "cluster-admin"
    assert json.loads(provider["assumeRoles"])[0]["roleArn"] == SES_ROLE


def test_credentials_of_another_account_stop_before_any_resource(configs):
    plan = run_program("wrong", configs["same-account-irsa"], caller_account_id="333333333333")
    assert plan.resources == []
    assert plan.error.key == "athenz-ses:clusterAccountId" and "333333333333" in str(plan.error)


# --- Kubernetes -----------------------------------------------------------------------------

def test_service_account_is_annotated_with_the_role_and_matches_the_trust_subject(plans):
    for name in ("same-account-irsa", "cross-sending-authorization", "cross-federated-builtin"):
        plan = plans[name]
        sa = plan.one("kubernetes:core/v1:ServiceAccount").inputs["metadata"]
        assert sa["annotations"] == {"eks.amazonaws.com/role-arn": plan.outputs["roleArn"]}
        sub = json.loads(plan.one("aws:iam/role:Role").inputs["assumeRolePolicy"])["Statement"][0]["Condition"]["StringEquals"][f"{ISSUER_HOST}:sub"]
        assert sub == f"system:serviceaccount:{sa['namespace']}:{sa['name']}"
        assert plan.outputs["serviceAccount"] == f"{sa['namespace']}/{sa['name']}"
    assert plans["kind-smtp"].of_type("kubernetes:core/v1:ServiceAccount") == []


def patch_parts(plan):
    patch = reveal(plan.one(PATCH).inputs)
    pod = patch["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    return patch, pod, container


def env_of(container) -> dict:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


def java_options(factory: str, domain_to: str | None = None) -> str:
    flags = [f"-Dathenz.zms.notification_service_factory_class={factory}",
             "-Dathenz.notification_email_from=zms", "-Dathenz.notification_email_domain_from=example.com"]
    return " ".join(flags + ([f"-Dathenz.notification_email_domain_to={domain_to}"] if domain_to else []))


def secret_ref(key: str) -> dict:
    return {"secretKeyRef": {"name": "athenz-zms-server-ses-smtp", "key": key}}


PLUGIN_MOUNT = [{"name": "athenz-ses-plugin", "mountPath": "/usr/lib/jars/ses-plugin.jar", "subPath": "ses-plugin.jar", "readOnly": True}]
PLUGIN_VOLUME = [{"name": "athenz-ses-plugin", "configMap": {"name": "athenz-zms-server-ses-plugin"}}]


def test_patch_wires_irsa_smtp_and_the_plugin(plans):
    patch, pod, container = patch_parts(plans["cross-sending-authorization"])
    assert patch["metadata"] == {"name": "athenz-zms-server", "namespace": "athenz",
                                 "annotations": {"pulumi.com/patchFieldManager": "athenz-ses"}}
    assert set(pod) == {"serviceAccountName", "serviceAccount", "volumes", "containers"}
    assert pod["serviceAccountName"] == pod["serviceAccount"] == "athenz-zms-ses"
    assert pod["volumes"] == PLUGIN_VOLUME
    assert set(container) == {"name", "env", "volumeMounts"}
    assert container["name"] == "athenz-zms-server"
    assert container["volumeMounts"] == PLUGIN_MOUNT
    assert env_of(container) == {
        "AWS_REGION": EU,
        "AWS_SES_USER": secret_ref("username"),
        "AWS_SES_PASS": secret_ref("password"),
        "JDK_JAVA_OPTIONS": java_options(PLUGIN_CLASS, "example.org"),
    }


def test_patch_without_irsa_sets_no_service_account_and_no_region(plans):
    _, pod, container = patch_parts(plans["kind-smtp"])
    assert set(pod) == {"volumes", "containers"}
    assert env_of(container) == {
        "AWS_SES_USER": secret_ref("username"), "AWS_SES_PASS": secret_ref("password"),
        "JDK_JAVA_OPTIONS": java_options(PLUGIN_CLASS),
    }


def test_builtin_notifier_gets_the_builtin_class_the_ses_region_and_no_jar(plans):
    plan = plans["cross-federated-builtin"]
    _, pod, container = patch_parts(plan)
    assert set(pod) == {"serviceAccountName", "serviceAccount", "containers"}
    assert set(container) == {"name", "env"}
    assert env_of(container) == {"AWS_REGION": US, "JDK_JAVA_OPTIONS": java_options(BUILTIN_CLASS)}
    assert plan.of_type("kubernetes:core/v1:ConfigMap") == [] and plan.of_type("kubernetes:core/v1:Secret") == []
    assert plan.outputs["zmsSystemProperties"]["athenz.zms.notification_service_factory_class"] == BUILTIN_CLASS


@pytest.mark.parametrize("name", SCENARIOS)
def test_patch_leaves_the_base_deployment_alone(plans, name):
    patch, pod, container = patch_parts(plans[name])
    assert set(patch["spec"]) == {"template"}
    assert set(patch["spec"]["template"]) == {"metadata", "spec"}
    assert set(patch["spec"]["template"]["metadata"]) == {"annotations"}
    assert list(patch["spec"]["template"]["metadata"]["annotations"]) == ["athenz-ses/checksum"]
    assert "pulumi.com/patchForce" not in patch["metadata"]["annotations"]
    assert not set(env_of(container)) & set(BASE_ENV)
    assert {"image", "command", "args", "ports", "resources"}.isdisjoint(container)


@pytest.mark.parametrize("name", SCENARIOS)
def test_patch_depends_on_every_object_it_mounts(plans, name):
    plan = plans[name]
    mounted = {r.urn for r in plan.resources if r.type in (
        "kubernetes:core/v1:ServiceAccount", "kubernetes:core/v1:Secret", "kubernetes:core/v1:ConfigMap")}
    assert mounted
    assert mounted <= set(plan.one(PATCH).dependencies)


def test_config_map_carries_the_jar_as_binary_data(plans, plugin_jar):
    import base64
    cm = plans["kind-smtp"].one("kubernetes:core/v1:ConfigMap").inputs
    assert cm["metadata"]["name"] == "athenz-zms-server-ses-plugin" and cm["metadata"]["namespace"] == "athenz"
    assert base64.b64decode(cm["binaryData"]["ses-plugin.jar"]) == plugin_jar.read_bytes()
    assert "data" not in cm


def checksum(plan) -> str:
    return plan.one(PATCH).inputs["spec"]["template"]["metadata"]["annotations"]["athenz-ses/checksum"]


def test_checksum_changes_with_what_the_pods_read_and_only_then(configs, plans, tmp_path):
    base = configs["same-account-irsa"]
    assert checksum(run_program("again", base)) == checksum(plans["same-account-irsa"])
    other_jar = tmp_path / "other.jar"
    other_jar.write_bytes(b"PK\x03\x04 another build")
    changed = {
        "jar": {"athenz-ses:pluginJar": str(other_jar)},
        "properties": {"athenz-ses:emailDomainTo": "example.net"},
        "ses region": {"athenz-ses:sesRegion": "us-east-1"},
    }
    seen = {checksum(plans["same-account-irsa"])}
    for what, change in changed.items():
        value = checksum(run_program("changed", {**base, **change}))
        assert value not in seen, what
        seen.add(value)
    # Without IRSA only the Secret (SMTP host) differs between these two.
    kind = configs["kind-smtp"]
    assert checksum(run_program("moved", {**kind, "aws:region": "eu-central-1"})) != checksum(plans["kind-smtp"])


# --- secrets ----------------------------------------------------------------------------------

def test_smtp_secret_holds_secret_credentials_only(plans):
    plan = plans["kind-smtp"]
    secret = plan.one("kubernetes:core/v1:Secret").inputs
    assert isinstance(secret["stringData"], Secret)
    key = plan.one("aws:iam/accessKey:AccessKey")
    assert key.id.startswith("AKIA")
    assert reveal(secret["stringData"]) == {
        "username": key.id,
        "password": "mock-smtp-password",
        "host": "email-smtp.ap-northeast-1.amazonaws.com",
        "port": "587",
    }
    assert secret["metadata"]["name"] == "athenz-zms-server-ses-smtp"


@pytest.mark.parametrize("name", SCENARIOS)
def test_no_credential_appears_outside_a_secret(plans, name):
    plan = plans[name]
    credentials = {"mock-smtp-password", "mock-secret-access-key"}
    values = [plan.outputs] + [r.inputs for r in plan.resources]
    leaks = [leaf for value in values for leaf, secret in walk(value) if not secret and leaf in credentials]
    assert leaks == []
    assert not any(c in message for _, message in plan.log for c in credentials)


# --- warnings and outputs ---------------------------------------------------------------------

def test_sandbox_with_sending_authorization_warns_once_and_others_do_not(plans):
    assert [w for w in plans["cross-sending-authorization"].warnings if "BOTH accounts" in w] != []
    assert len(plans["cross-sending-authorization"].warnings) == 1
    for name in ("same-account-irsa", "cross-federated-builtin", "kind-smtp"):
        assert plans[name].warnings == []


def test_outputs_tell_what_was_made_and_what_to_do_next(plans):
    out = plans["cross-sending-authorization"].outputs
    assert out["senderIdentityArn"] == identity(SES, EU, "zms@example.com")
    assert out["recipientIdentityArns"] == [identity(SES, EU, "alice@example.com")]
    assert (out["sesAccountId"], out["sesRegion"]) == (SES, EU)
    assert out["smtpEndpoint"] == "email-smtp.eu-west-1.amazonaws.com:587"
    assert out["zmsSystemProperties"] == {
        "athenz.zms.notification_service_factory_class": PLUGIN_CLASS,
        "athenz.notification_email_from": "zms",
        "athenz.notification_email_domain_from": "example.com",
        "athenz.notification_email_domain_to": "example.org",
    }
    assert "zms@example.com, alice@example.com" in out["nextSteps"]
    assert "self-serve or review-enabled" in out["nextSteps"]
    kind = plans["kind-smtp"].outputs
    assert "roleArn" not in kind or kind["roleArn"] is None
