"""What `pulumi up` creates for each configuration: policies, accounts, the ZMS patch."""

from __future__ import annotations

import json
import re
import zipfile

import pytest
from conftest import (
    BUILTIN_CLASS,
    CLUSTER,
    ISSUER,
    ISSUER_HOST,
    LINKS,
    PLUGIN_CLASS,
    SCENARIOS,
    SES,
    SES_ROLE,
    assert_no_wildcards,
    config_error,
    policy_documents,
    walk,
)

from athenz_ses.zms_wiring import BASE_ENV
from offline_plan.engine import Secret, reveal, run_program
from offline_plan.mocks import read_outputs
from policy_pack.policy_reader import as_list
from program.settings import ConfigError

EU, US, AP = "eu-west-1", "us-east-1", "ap-northeast-1"


def zms_sa(stack: str) -> str:
    """ZMS's ServiceAccount by default: the stack's own name, athenz-ses-<stack>."""
    return f"athenz-ses-{stack}"


SUBJECT = f"system:serviceaccount:athenz:{zms_sa('same-account-irsa')}"
PATCH = "kubernetes:apps/v1:DeploymentPatch"


def normalized(document: dict) -> dict:
    """Policy semantics without the spelling choices (one string or a list, order, empty Sid)."""

    def values(v):
        return sorted(as_list(v))

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


def configuration_set(account: str, region: str, stack: str) -> str:
    """The stack's bounce configuration set: SES authorizes a send on it too."""
    return f"arn:aws:ses:{region}:{account}:configuration-set/athenz-ses-{stack}"


def trust(account: str, subject: str = SUBJECT) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["sts:AssumeRoleWithWebIdentity"],
                "Principal": {"Federated": [f"arn:aws:iam::{account}:oidc-provider/{ISSUER_HOST}"]},
                "Condition": {
                    "StringEquals": {f"{ISSUER_HOST}:sub": [subject], f"{ISSUER_HOST}:aud": ["sts.amazonaws.com"]}
                },
            }
        ],
    }


def allow(
    actions: list[str],
    resources: list[str],
    principals: list[str] | None = None,
    senders: tuple[str, ...] = ("zms@example.com",),
) -> dict:
    """A send grant: `actions` on `resources`, only for mail From one of `senders`."""
    statement: dict = {"Effect": "Allow", "Action": sorted(actions), "Resource": sorted(resources)}
    if principals:
        statement["Principal"] = {"AWS": sorted(principals)}
    statement["Condition"] = {"StringEquals": {"ses:FromAddress": sorted(senders)}}
    return {"Version": "2012-10-17", "Statement": [statement]}


SEND = ["ses:SendEmail", "ses:SendRawEmail"]
ROLE, ROLE_POLICY = "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy"
USER, USER_POLICY = "aws:iam/user:User", "aws:iam/userPolicy:UserPolicy"
IDENTITY_POLICY = "aws:sesv2/emailIdentityPolicy:EmailIdentityPolicy"
OIDC = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
ASSOCIATION = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
SA = "kubernetes:core/v1:ServiceAccount"


def named(plan, type_: str, name: str):
    (found,) = [r for r in plan.of_type(type_) if r.name == name]
    return found


def doc(resource, field: str = "policy") -> dict:
    return normalized(json.loads(resource.inputs[field]))


def role_arn_of(plan, logical: str) -> str:
    return named(plan, ROLE, logical).outputs["arn"]


# --- IAM and SES policies: exactly what each send path needs ----------------------------------


def test_irsa_in_one_account_a_role_for_zms_and_nothing_else(plans):
    plan = plans["same-account-irsa"]
    arns = [identity(CLUSTER, EU, e) for e in ("zms@example.com", "alice@example.com", "bob@example.com")]
    assert policy(plan, ROLE, "assumeRolePolicy") == trust(CLUSTER)
    assert policy(plan, ROLE_POLICY) == allow(SEND, arns)
    assert plan.of_type(USER) == plan.of_type(IDENTITY_POLICY) == plan.of_type(OIDC) == []


def test_federated_role_zms_and_the_delegated_sender_live_in_the_ses_account(plans):
    plan = plans["cross-federated-irsa"]
    oidc = plan.one(OIDC)
    assert (oidc.inputs["url"], oidc.inputs["clientIdLists"]) == (f"https://{ISSUER_HOST}", ["sts.amazonaws.com"])
    assert oidc.location.account == SES
    arns = [identity(SES, US, "zms@example.com"), identity(SES, US, "alice@example.com")]
    assert doc(named(plan, ROLE, "athenz-ses-zms-irsa-role"), "assumeRolePolicy") == trust(
        SES, f"system:serviceaccount:athenz:{zms_sa('cross-federated-irsa')}"
    )
    assert doc(named(plan, ROLE_POLICY, "athenz-ses-zms-irsa-send")) == allow(SEND, arns)
    sender = "athenz-ses-sender-mailer-reports"
    assert doc(named(plan, ROLE, f"{sender}-role"), "assumeRolePolicy") == trust(
        SES, "system:serviceaccount:mailer:reports"
    )
    assert doc(named(plan, ROLE_POLICY, f"{sender}-send")) == allow(SEND, arns)
    # No sending authorization: the roles are the SES account's own.
    assert plan.of_type(IDENTITY_POLICY) == [] and plan.of_type(USER) == []


def test_sending_authorization_grants_exactly_the_delegated_roles_and_zms_has_a_user(plans):
    plan = plans["cross-sending-authorization"]
    sender = identity(SES, EU, "zms@example.com")
    roles = {
        sa: role_arn_of(plan, f"athenz-ses-sender-{sa.replace('/', '-')}-role")
        for sa in ("mailer/reports", "billing/invoices")
    }
    assert all(arn.startswith(f"arn:aws:iam::{CLUSTER}:role/") for arn in roles.values())
    assert policy(plan, IDENTITY_POLICY) == allow(SEND, [sender], principals=list(roles.values()))
    assert plan.one(IDENTITY_POLICY).inputs["emailIdentity"] == "zms@example.com"
    for sa in roles:
        ns, name = sa.split("/")
        logical = f"athenz-ses-sender-{ns}-{name}"
        assert doc(named(plan, ROLE, f"{logical}-role"), "assumeRolePolicy") == trust(
            CLUSTER, f"system:serviceaccount:{ns}:{name}"
        )
        assert doc(named(plan, ROLE_POLICY, f"{logical}-send")) == allow(SEND, [sender])
    # ZMS's own path: an IAM user of the SES account, no role for ZMS, no ServiceAccount;
    # out of the sandbox its sends go through the bounce configuration set.
    assert policy(plan, USER_POLICY) == allow(SEND, [sender, configuration_set(SES, EU, "cross-sending-authorization")])
    assert plan.one(USER).location.account == SES
    assert sorted(r.name for r in plan.of_type(ROLE)) == [
        "athenz-ses-sender-billing-invoices-role",
        "athenz-ses-sender-mailer-reports-role",
    ]
    assert all(r.inputs["metadata"]["name"] != zms_sa("cross-sending-authorization") for r in plan.of_type(SA))


def test_access_key_user_may_send_and_nothing_else(plans):
    plan = plans["kind-access-key"]
    arns = [identity(CLUSTER, AP, e) for e in ("zms@example.com", "alice@example.com")]
    assert policy(plan, USER_POLICY) == allow(SEND, arns)
    assert plan.one(USER).inputs["path"] == "/athenz-ses/"
    assert plan.of_type(ROLE) == plan.of_type(SA) == plan.of_type(IDENTITY_POLICY) == []


def test_smtp_user_may_only_send_raw_mail(plans):
    plan = plans["kind-smtp"]
    arns = [identity(CLUSTER, AP, e) for e in ("zms@example.com", "alice@example.com")]
    assert policy(plan, USER_POLICY) == allow(["ses:SendRawEmail"], arns)
    assert plan.of_type(ROLE) == plan.of_type(SA) == []


def test_existing_oidc_provider_is_looked_up_in_the_role_account_not_managed(plans):
    for name in ("same-account-irsa", "cross-sending-authorization"):
        plan = plans[name]
        assert plan.of_type(OIDC) == []
        lookups = [(args, where) for token, args, where in plan.calls if token.endswith("getOpenIdConnectProvider")]
        assert [(args["url"], where.account) for args, where in lookups] == [(f"https://{ISSUER_HOST}", CLUSTER)]
    assert not any(token.endswith("getOpenIdConnectProvider") for token, _, _ in plans["cross-federated-irsa"].calls)


def test_create_oidc_provider_false_looks_it_up_in_the_ses_account(configs):
    plan = run_program("lookup", {**configs["cross-federated-irsa"], "athenz-ses:createOidcProvider": "false"})
    assert plan.of_type(OIDC) == []
    lookups = [where.account for token, _, where in plan.calls if token.endswith("getOpenIdConnectProvider")]
    assert lookups == [SES]


def test_out_of_the_sandbox_only_the_sender_is_an_identity_and_a_resource(configs):
    plan = run_program("prod", {**configs["same-account-irsa"], "athenz-ses:sandbox": "false"})
    assert [r.inputs["emailIdentity"] for r in plan.of_type("aws:sesv2/emailIdentity:EmailIdentity")] == [
        "zms@example.com"
    ]
    assert policy(plan, ROLE_POLICY) == allow(
        SEND, [identity(CLUSTER, EU, "zms@example.com"), configuration_set(CLUSTER, EU, "prod")]
    )
    assert any("recipientEmails is ignored" in w for w in plan.warnings)


@pytest.mark.parametrize("name", SCENARIOS)
def test_no_wildcard_action_resource_or_principal(plans, name):
    documents = policy_documents(plans[name])
    assert documents
    for document in documents:
        assert_no_wildcards(document)


# --- accounts and Regions -------------------------------------------------------------------


def locations(plan) -> dict[str, tuple[str, str]]:
    return {
        r.name: (r.location.account, r.location.region)
        for r in plan.resources
        if r.custom and r.type.startswith(("aws:", "pulumi:providers:aws"))
    }


def test_every_aws_resource_is_in_the_right_account_and_region(plans):
    assert locations(plans["same-account-irsa"]) == {
        "athenz-ses-ses-sender": (CLUSTER, EU),
        "athenz-ses-ses-recipient-alice@example.com": (CLUSTER, EU),
        "athenz-ses-ses-recipient-bob@example.com": (CLUSTER, EU),
        "athenz-ses-zms-irsa-role": (CLUSTER, EU),
        "athenz-ses-zms-irsa-send": (CLUSTER, EU),
    }
    assert locations(plans["cross-federated-irsa"]) == {
        "ses": (SES, US),
        "athenz-ses-ses-sender": (SES, US),
        "athenz-ses-ses-recipient-alice@example.com": (SES, US),
        "athenz-ses-oidc": (SES, US),
        "athenz-ses-zms-irsa-role": (SES, US),
        "athenz-ses-zms-irsa-send": (SES, US),
        "athenz-ses-sender-mailer-reports-role": (SES, US),
        "athenz-ses-sender-mailer-reports-send": (SES, US),
    }
    assert locations(plans["cross-sending-authorization"]) == {
        "ses": (SES, EU),
        "athenz-ses-ses-sender": (SES, EU),
        "athenz-ses-access-key-user": (SES, EU),
        "athenz-ses-access-key-send": (SES, EU),
        "athenz-ses-access-key-key": (SES, EU),
        "athenz-ses-sender-mailer-reports-role": (CLUSTER, EU),
        "athenz-ses-sender-mailer-reports-send": (CLUSTER, EU),
        "athenz-ses-sender-billing-invoices-role": (CLUSTER, EU),
        "athenz-ses-sender-billing-invoices-send": (CLUSTER, EU),
        "athenz-ses-sender-authorization-policy": (SES, EU),
        # Out of the sandbox: bounce handling, all of it in the SES account and Region.
        "athenz-ses-bounces-set": (SES, EU),
        "athenz-ses-bounces-events": (SES, EU),
        "athenz-ses-bounces-publish": (SES, EU),
        "athenz-ses-bounces-destination": (SES, EU),
        "athenz-ses-bounces-account-suppression": (SES, EU),
    }
    # EKS Pod Identity: every role and association in the cluster account, but the target
    # roles (and their send policies) in the SES account.
    assert locations(plans["cross-pod-identity"]) == {
        "ses": (SES, EU),
        "athenz-ses-ses-sender": (SES, EU),
        "athenz-ses-ses-recipient-alice@example.com": (SES, EU),
        "athenz-ses-zms-pod-identity-role": (CLUSTER, EU),
        "athenz-ses-zms-pod-identity-chain": (CLUSTER, EU),
        "athenz-ses-zms-pod-identity-association": (CLUSTER, EU),
        "athenz-ses-zms-pod-identity-ses": (SES, EU),
        "athenz-ses-zms-pod-identity-send": (SES, EU),
        "athenz-ses-sender-mailer-reports-role": (CLUSTER, EU),
        "athenz-ses-sender-mailer-reports-chain": (CLUSTER, EU),
        "athenz-ses-sender-mailer-reports-association": (CLUSTER, EU),
        "athenz-ses-sender-mailer-reports-ses": (SES, EU),
        "athenz-ses-sender-mailer-reports-send": (SES, EU),
    }
    assert locations(plans["kind-access-key"]) == {
        "athenz-ses-ses-sender": (CLUSTER, AP),
        "athenz-ses-ses-recipient-alice@example.com": (CLUSTER, AP),
        "athenz-ses-access-key-user": (CLUSTER, AP),
        "athenz-ses-access-key-send": (CLUSTER, AP),
        "athenz-ses-access-key-key": (CLUSTER, AP),
    }
    assert locations(plans["kind-smtp"]) == {
        "athenz-ses-ses-sender": (CLUSTER, AP),
        "athenz-ses-ses-recipient-alice@example.com": (CLUSTER, AP),
        "athenz-ses-smtp-user": (CLUSTER, AP),
        "athenz-ses-smtp-send": (CLUSTER, AP),
        "athenz-ses-smtp-key": (CLUSTER, AP),
    }


def test_ses_provider_is_pinned_to_the_ses_account(plans):
    provider = plans["cross-sending-authorization"].one("pulumi:providers:aws").inputs
    assert json.loads(provider["allowedAccountIds"]) == [SES]
    assert provider["region"] == EU
    assert json.loads(provider["assumeRoles"])[0]["roleArn"] == SES_ROLE
    federated = plans["cross-federated-irsa"].one("pulumi:providers:aws").inputs
    assert (json.loads(federated["allowedAccountIds"]), federated["region"], federated["profile"]) == (
        [SES],
        US,
        "ses-admin",
    )
    assert "assumeRoles" not in federated


def test_ses_provider_assumes_its_role_with_the_cluster_profile(configs):
    plan = run_program("profiled", {**configs["cross-sending-authorization"], "aws:profile": "cluster-admin"})
    provider = plan.one("pulumi:providers:aws").inputs
    assert provider["profile"] == "cluster-admin"
    assert json.loads(provider["assumeRoles"])[0]["roleArn"] == SES_ROLE


def test_credentials_of_another_account_stop_before_any_resource(configs):
    plan = run_program("wrong", configs["same-account-irsa"], caller_account_id="333333333333")
    assert plan.resources == []
    assert config_error(plan).key == "athenz-ses:clusterAccountId" and "333333333333" in str(plan.error)


# --- Kubernetes ---------------------------------------------------------------------------


def test_each_service_account_is_annotated_with_its_own_role_and_matches_its_trust_subject(plans):
    seen = 0
    for plan in plans.values():
        for sa in plan.of_type(SA):
            meta = sa.inputs["metadata"]
            if plan.of_type(ASSOCIATION):
                continue  # EKS Pod Identity: the next test
            role_arn = meta["annotations"]["eks.amazonaws.com/role-arn"]
            (role,) = [r for r in plan.of_type(ROLE) if r.outputs["arn"] == role_arn]
            sub = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Condition"]["StringEquals"][
                f"{ISSUER_HOST}:sub"
            ]
            assert sub == [f"system:serviceaccount:{meta['namespace']}:{meta['name']}"]
            seen += 1
    assert seen == 1 + 2 + 2  # ZMS's (same account); ZMS's + mailer/reports; two delegated senders
    assert plans["same-account-irsa"].outputs["serviceAccount"] == f"athenz/{zms_sa('same-account-irsa')}"
    for name in ("kind-access-key", "kind-smtp"):
        assert plans[name].of_type(SA) == []


def test_pod_identity_service_accounts_have_no_annotation_and_one_association_each(plans):
    """No IRSA annotation (it would put web-identity credentials ahead of Pod Identity's in
    the SDK's chain); an association per ServiceAccount, to the role its tags trust; ZMS's
    pods wait for ZMS's association (EKS equips only pods created after it); no OIDC provider."""
    for name in ("same-account-pod-identity", "cross-pod-identity"):
        plan = plans[name]
        accounts = {(sa.inputs["metadata"]["namespace"], sa.inputs["metadata"]["name"]) for sa in plan.of_type(SA)}
        assert accounts == {("athenz", zms_sa(name)), ("mailer", "reports")}
        assert all("annotations" not in sa.inputs["metadata"] for sa in plan.of_type(SA))
        associations = {(a.inputs["namespace"], a.inputs["serviceAccount"]): a for a in plan.of_type(ASSOCIATION)}
        assert set(associations) == accounts
        for (namespace, account), association in associations.items():
            (role,) = [r for r in plan.of_type(ROLE) if r.outputs["arn"] == association.inputs["roleArn"]]
            assert role.location.account == "111111111111"  # EKS passes it in the cluster account
            tags = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Condition"]["StringEquals"]
            assert (tags["aws:RequestTag/kubernetes-namespace"], tags["aws:RequestTag/kubernetes-service-account"]) == (
                [namespace],
                [account],
            )
            target = association.inputs.get("targetRoleArn")
            assert (target is not None) == (name == "cross-pod-identity")
        assert associations[("athenz", zms_sa(name))].urn in plan.one(PATCH).dependencies
        assert plan.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider") == []
        assert plan.outputs["serviceAccount"] == f"athenz/{zms_sa(name)}"
        _, pod, _ = patch_parts(plan)
        assert pod["serviceAccountName"] == pod["serviceAccount"] == zms_sa(name)


def patch_parts(plan):
    patch = reveal(plan.one(PATCH).inputs)
    pod = patch["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    return patch, pod, container


def env_of(container) -> dict:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


def java_options(factory: str, domain_to: str | None = None) -> str:
    """The flags of the scenarios (conftest: senderEmail zms@example.com, LINKS)."""
    flags = [
        f"-Dathenz.zms.notification_service_factory_class={factory}",
        "-Dathenz.notification_email_from=zms",
        "-Dathenz.notification_email_domain_from=example.com",
        *([f"-Dathenz.notification_email_domain_to={domain_to}"] if domain_to else []),
        f"-Dathenz.notification_athenz_ui_url={LINKS['athenzUiUrl']}",
        f"-Dathenz.notification_workflow_url={LINKS['workflowUrl']}",
    ]
    return " ".join(flags)


def secret_ref(key: str, secret: str) -> dict:
    return {"secretKeyRef": {"name": secret, "key": key}}


PLUGIN_MOUNT = [
    {
        "name": "athenz-ses-plugin",
        "mountPath": "/usr/lib/jars/ses-plugin.jar",
        "subPath": "ses-plugin.jar",
        "readOnly": True,
    }
]


def object_name(plan, type_: str) -> str:
    """The one object of this type ZMS mounts: its name is the stack's and its content's."""
    (found,) = plan.of_type(type_)
    name = found.inputs["metadata"]["name"]
    kind = {"kubernetes:core/v1:ConfigMap": "plugin"}.get(type_, "smtp" if plan.outputs.get("smtpEndpoint") else "aws")
    assert re.fullmatch(rf"athenz-ses-{re.escape(plan.stack)}-{kind}-[0-9a-f]{{10}}", name), name
    return name


def test_irsa_patch_runs_zms_as_its_service_account_in_the_ses_region(plans):
    for name, region in (("same-account-irsa", EU), ("cross-federated-irsa", US)):
        patch, pod, container = patch_parts(plans[name])
        assert patch["metadata"] == {
            "name": "athenz-zms-server",
            "namespace": "athenz",
            "annotations": {"pulumi.com/patchFieldManager": f"athenz-ses-{name}"},
        }
        assert set(pod) == {"serviceAccountName", "serviceAccount", "containers"}
        assert pod["serviceAccountName"] == pod["serviceAccount"] == zms_sa(name)
        assert set(container) == {"name", "env"} and container["name"] == "athenz-zms-server"
        assert env_of(container) == {
            "AWS_REGION": region,
            "JDK_JAVA_OPTIONS": java_options(BUILTIN_CLASS, "example.com"),
        }


def test_access_key_patch_hands_zms_the_keys_from_its_secret_and_no_service_account(plans):
    for name, region, domain_to in (
        ("kind-access-key", AP, "example.com"),
        ("cross-sending-authorization", EU, "example.org"),
    ):
        _, pod, container = patch_parts(plans[name])
        assert set(pod) == {"containers"}
        secret = object_name(plans[name], "kubernetes:core/v1:Secret")
        assert env_of(container) == {
            "AWS_REGION": region,
            "AWS_ACCESS_KEY_ID": secret_ref("access-key-id", secret),
            "AWS_SECRET_ACCESS_KEY": secret_ref("secret-access-key", secret),
            "JDK_JAVA_OPTIONS": java_options(BUILTIN_CLASS, domain_to),
        }
        assert plans[name].of_type("kubernetes:core/v1:ConfigMap") == []


def test_plugin_patch_mounts_the_jar_and_hands_zms_the_smtp_credentials(plans):
    _, pod, container = patch_parts(plans["kind-smtp"])
    assert set(pod) == {"volumes", "containers"}
    config_map = object_name(plans["kind-smtp"], "kubernetes:core/v1:ConfigMap")
    assert pod["volumes"] == [{"name": "athenz-ses-plugin", "configMap": {"name": config_map}}]
    assert container["volumeMounts"] == PLUGIN_MOUNT
    secret = object_name(plans["kind-smtp"], "kubernetes:core/v1:Secret")
    assert env_of(container) == {
        "AWS_SES_USER": secret_ref("username", secret),
        "AWS_SES_PASS": secret_ref("password", secret),
        "JDK_JAVA_OPTIONS": java_options(PLUGIN_CLASS),
    }


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
    zms_objects = {
        r.urn
        for r in plan.resources
        if r.type in (SA, "kubernetes:core/v1:Secret", "kubernetes:core/v1:ConfigMap")
        and r.parent.endswith("::athenz-ses-zms")
    }
    assert zms_objects
    assert zms_objects <= set(plan.one(PATCH).dependencies)


def test_config_map_carries_the_jar_as_binary_data(plans, plugin_jar):
    import base64

    cm = plans["kind-smtp"].one("kubernetes:core/v1:ConfigMap").inputs
    assert cm["metadata"]["name"] == object_name(plans["kind-smtp"], "kubernetes:core/v1:ConfigMap")
    assert cm["metadata"]["namespace"] == "athenz"
    assert base64.b64decode(cm["binaryData"]["ses-plugin.jar"]) == plugin_jar.read_bytes()
    assert "data" not in cm


def checksum(plan) -> str:
    return plan.one(PATCH).inputs["spec"]["template"]["metadata"]["annotations"]["athenz-ses/checksum"]


def test_checksum_changes_with_what_the_pods_read_and_only_then(configs, plans, tmp_path):
    base = configs["kind-smtp"]
    assert checksum(run_program("kind-smtp", base)) == checksum(plans["kind-smtp"])
    other_jar = tmp_path / "other.jar"
    with zipfile.ZipFile(other_jar, "w") as jar:
        jar.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\nCreated-By: another build\n")
    changed = {
        "jar": {"athenz-ses:pluginJar": str(other_jar)},
        "properties": {"athenz-ses:emailDomainTo": "example.net"},
        "smtp host": {"athenz-ses:sesRegion": "eu-central-1"},
    }
    seen = {checksum(plans["kind-smtp"])}
    for what, change in changed.items():
        value = checksum(run_program("kind-smtp", {**base, **change}))
        assert value not in seen, what
        seen.add(value)
    irsa = configs["same-account-irsa"]
    assert checksum(run_program("same-account-irsa", {**irsa, "athenz-ses:sesRegion": "us-east-1"})) != checksum(
        plans["same-account-irsa"]
    )
    assert checksum(run_program("same-account-irsa", irsa)) == checksum(plans["same-account-irsa"])


def test_objects_zms_mounts_are_named_after_their_content(configs, plans, tmp_path):
    """A change makes a new object (created before the old one goes), and only then."""
    plan = plans["kind-smtp"]
    names = {t: object_name(plan, t) for t in ("kubernetes:core/v1:Secret", "kubernetes:core/v1:ConfigMap")}
    assert names == {t: object_name(run_program("kind-smtp", configs["kind-smtp"]), t) for t in names}
    other_jar = tmp_path / "other.jar"
    with zipfile.ZipFile(other_jar, "w") as jar:
        jar.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\nCreated-By: another build\n")
    rebuilt = run_program("kind-smtp", {**configs["kind-smtp"], "athenz-ses:pluginJar": str(other_jar)})
    assert object_name(rebuilt, "kubernetes:core/v1:ConfigMap") != names["kubernetes:core/v1:ConfigMap"]
    assert object_name(rebuilt, "kubernetes:core/v1:Secret") == names["kubernetes:core/v1:Secret"]
    moved = run_program("kind-smtp", {**configs["kind-smtp"], "athenz-ses:sesRegion": "eu-central-1"})
    assert object_name(moved, "kubernetes:core/v1:Secret") != names["kubernetes:core/v1:Secret"]
    # Nothing is deleted first: the new name is a new object.
    assert not any(r.delete_before_replace for r in rebuilt.resources)


def test_two_stacks_never_share_a_kubernetes_object_or_a_field_manager(configs):
    one, two = (run_program(stack, configs["same-account-irsa"]) for stack in ("dev", "pr-7"))

    def names(plan):
        return {
            (r.type, r.inputs["metadata"].get("name")) for r in plan.resources if r.type.startswith("kubernetes:core/")
        }

    assert names(one) and names(one).isdisjoint(names(two))
    managers = [p.one(PATCH).inputs["metadata"]["annotations"]["pulumi.com/patchFieldManager"] for p in (one, two)]
    assert managers == ["athenz-ses-dev", "athenz-ses-pr-7"]


@pytest.mark.parametrize(
    "stack,prefix",
    [
        ("dev", "athenz-ses-dev"),
        ("Dev", "athenz-ses-dev-"),
        ("team_a.prod", "athenz-ses-team-a-prod-"),
        ("x" * 90, "athenz-ses-xxx"),
    ],
)
def test_stack_names_become_valid_distinct_kubernetes_names(stack, prefix):
    from athenz_ses.names import stack_prefix

    name = stack_prefix(stack)
    assert name.startswith(prefix) and re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", name) and len(name) <= 63 - 18
    assert stack_prefix("dev") != stack_prefix("Dev") != stack_prefix("DEV")
    # A name shaped like another's digested prefix gets a digest of its own.
    assert stack_prefix(stack_prefix("Dev").removeprefix("athenz-ses-")) != stack_prefix("Dev")


def test_a_new_ses_region_replaces_the_access_key(plans, configs):
    for name, region in (("kind-smtp", AP), ("kind-access-key", AP), ("cross-sending-authorization", EU)):
        assert plans[name].one("aws:iam/accessKey:AccessKey").replacement_trigger == region
    moved = run_program("kind-smtp", {**configs["kind-smtp"], "athenz-ses:sesRegion": "eu-central-1"})
    assert moved.one("aws:iam/accessKey:AccessKey").replacement_trigger == "eu-central-1"


# --- secrets ----------------------------------------------------------------------------------


def test_smtp_secret_holds_secret_credentials_only(plans):
    plan = plans["kind-smtp"]
    secret = plan.one("kubernetes:core/v1:Secret").inputs
    assert isinstance(secret["stringData"], Secret)
    key = plan.one("aws:iam/accessKey:AccessKey")
    assert key.id.startswith("AKIA")
    # Only what the plugin reads (AWS_SES_USER, AWS_SES_PASS): its host is in the jar.
    assert reveal(secret["stringData"]) == {"username": key.id, "password": "mock-smtp-password"}
    assert secret["metadata"]["name"] == object_name(plan, "kubernetes:core/v1:Secret")


def test_access_key_secret_holds_the_key_as_a_secret(plans):
    plan = plans["kind-access-key"]
    secret = plan.one("kubernetes:core/v1:Secret").inputs
    assert isinstance(secret["stringData"], Secret)
    key = plan.one("aws:iam/accessKey:AccessKey")
    assert reveal(secret["stringData"]) == {"access-key-id": key.id, "secret-access-key": "mock-secret-access-key"}
    assert secret["metadata"]["name"] == object_name(plan, "kubernetes:core/v1:Secret")


@pytest.mark.parametrize("name", SCENARIOS)
def test_no_credential_appears_outside_a_secret(plans, name):
    plan = plans[name]
    credentials = {"mock-smtp-password", "mock-secret-access-key"}
    values = [plan.outputs] + [r.inputs for r in plan.resources]
    leaks = [leaf for value in values for leaf, secret in walk(value) if not secret and leaf in credentials]
    assert leaks == []
    assert not any(c in message for _, message in plan.log for c in credentials)


# --- warnings and outputs ---------------------------------------------------------------------


def test_every_scenario_plans_without_a_warning_but_an_unproven_delegate_path(plans):
    """The one warning: delegates by sending authorization next to the identity's default
    configuration set, a path AWS does not document, with no smoke test to prove it."""
    unproven = {"cross-sending-authorization"}
    assert {name: plan.warnings for name, plan in plans.items() if name not in unproven} == {
        name: [] for name in SCENARIOS if name not in unproven
    }
    (warning,) = plans["cross-sending-authorization"].warnings
    assert "does not document whether SES applies account 222222222222's default set" in warning
    assert "athenz-ses:smokeTest=true (its second Job sends as mailer/reports)" in warning


def test_the_delegated_smoke_test_or_no_bounce_set_settles_the_unproven_path(configs):
    for change in ({"athenz-ses:smokeTest": "true"}, {"athenz-ses:bounceHandling": "false"}):
        plan = run_program("settled", {**configs["cross-sending-authorization"], **change})
        assert plan.error is None and plan.warnings == [], (change, plan.warnings)


@pytest.mark.parametrize(
    "base,change,expected",
    [
        (
            "kind-access-key",
            {"athenz-ses:recipientEmails": "[]"},
            "lists nobody: in the SES sandbox ZMS can only mail verified addresses",
        ),
        (
            "kind-access-key",
            {"athenz-ses:recipientEmails": '["alice@example.org"]'},
            "alice@example.org is not in athenz-ses:emailDomainTo (example.com)",
        ),
        (
            "kind-access-key",
            {"athenz-ses:createOidcProvider": "true"},
            "createOidcProvider has no effect here: the stack builds no IRSA role",
        ),
        (
            "kind-access-key",
            {"athenz-ses:serviceAccountName": "zms"},
            "serviceAccountName has no effect with credentials=access-key",
        ),
        (
            "same-account-irsa",
            {"athenz-ses:crossAccountMode": "sending-authorization"},
            "crossAccountMode has no effect here",
        ),
        (
            "same-account-irsa",
            {"athenz-ses:eksClusterName": "prod"},
            "eksClusterName has no effect with credentials=irsa",
        ),
        (
            "same-account-pod-identity",
            {"athenz-ses:oidcIssuerUrl": ISSUER, "athenz-ses:credentials": "pod-identity"},
            "oidcIssuerUrl has no effect with credentials=pod-identity",
        ),
    ],
)
def test_a_config_that_would_not_deliver_or_has_no_effect_is_named(configs, base, change, expected):
    plan = run_program("warned", {**configs[base], **change})
    assert plan.error is None
    assert [w for w in plan.warnings if expected in w] != [], plan.warnings


def test_sending_authorization_in_the_sandbox_warns_that_it_will_not_deliver(configs):
    plan = run_program(
        "sandboxed",
        {
            **configs["cross-sending-authorization"],
            "athenz-ses:sandbox": "true",
            "athenz-ses:recipientEmails": '["alice@example.org"]',
        },
    )
    assert plan.error is None
    assert len(plan.warnings) == 1 and "BOTH accounts" in plan.warnings[0]


def test_outputs_tell_what_was_made_and_what_to_do_next(plans):
    out = plans["cross-sending-authorization"].outputs
    sender = identity(SES, EU, "zms@example.com")
    assert out["senderIdentityArn"] == sender
    assert out["recipientIdentityArns"] == []
    assert (out["sesAccountId"], out["sesRegion"]) == (SES, EU)
    assert [out.get(key) for key in ("smtpEndpoint", "roleArn", "serviceAccount")] == [None, None, None]
    assert out["zmsPrincipalArn"] == plans["cross-sending-authorization"].one(USER).outputs["arn"]
    assert out["senderServiceAccounts"] == {
        sa: {
            "roleArn": role_arn_of(
                plans["cross-sending-authorization"], f"athenz-ses-sender-{sa.replace('/', '-')}-role"
            ),
            "sourceArn": sender,
        }
        for sa in ("mailer/reports", "billing/invoices")
    }
    assert out["zmsSystemProperties"] == {
        "athenz.zms.notification_service_factory_class": BUILTIN_CLASS,
        "athenz.notification_email_from": "zms",
        "athenz.notification_email_domain_from": "example.com",
        "athenz.notification_email_domain_to": "example.org",
        "athenz.notification_athenz_ui_url": LINKS["athenzUiUrl"],
        "athenz.notification_workflow_url": LINKS["workflowUrl"],
    }
    assert out["sendPath"] == (
        f"ZMS sends with the built-in SES notifier (SES v2 API) with the access key of an IAM user of account {SES}, "
        f"as identity zms@example.com of account {SES} in {EU}"
    )
    assert "self-serve or review-enabled" in out["nextSteps"] and "--source-arn" in out["nextSteps"]
    federated = plans["cross-federated-irsa"].outputs
    assert federated["senderServiceAccounts"] == {
        "mailer/reports": {
            "roleArn": role_arn_of(plans["cross-federated-irsa"], "athenz-ses-sender-mailer-reports-role")
        }
    }
    assert (
        federated["zmsPrincipalArn"]
        == federated["roleArn"]
        == role_arn_of(plans["cross-federated-irsa"], "athenz-ses-zms-irsa-role")
    )
    assert "--source-arn" not in federated["nextSteps"] and "production access" not in federated["nextSteps"]
    kind = plans["kind-smtp"].outputs
    assert kind.get("roleArn") is None and kind["smtpEndpoint"] == "email-smtp.ap-northeast-1.amazonaws.com:587"
    assert kind["senderServiceAccounts"] == {}


def test_pod_identity_outputs_say_how_zms_sends_and_what_the_cluster_needs(plans):
    out = plans["cross-pod-identity"].outputs
    assert out["sendPath"] == (
        "ZMS sends with the built-in SES notifier (SES v2 API) as ServiceAccount "
        "athenz/athenz-ses-cross-pod-identity through EKS Pod Identity on cluster prod "
        f"(role in account {CLUSTER}, chained into a target role in account {SES}), "
        f"as identity zms@example.com of account {SES} in eu-west-1"
    )
    assert (
        out["roleArn"]
        == out["zmsPrincipalArn"]
        == role_arn_of(plans["cross-pod-identity"], "athenz-ses-zms-pod-identity-ses")
    )
    assert "Pod Identity Agent on cluster prod" in out["nextSteps"]
    assert "Pod Identity" not in plans["same-account-irsa"].outputs["nextSteps"]


@pytest.mark.parametrize("name", SCENARIOS)
def test_the_stack_says_how_to_destroy_once_zms_is_gone(plans, name):
    """Destroying a patch whose Deployment is gone fails (the provider's relinquish apply
    would create it); the output names the one command that lets destroy go on."""
    plan = plans[name]
    assert plan.outputs["ifZmsIsGoneBeforeDestroy"] == f"pulumi state delete --yes '{plan.one(PATCH).urn}'"


def test_bounce_handling_is_on_out_of_the_sandbox_and_off_in_it_unless_asked(configs, plans):
    """Out of the sandbox (cross-sending-authorization) the sender identity's default
    configuration set publishes to a topic the outputs name; in the sandbox nothing of it
    exists unless bounceHandling is set, and then the operators' subscriptions too."""
    out = plans["cross-sending-authorization"].outputs
    assert out["configurationSetName"] == "athenz-ses-cross-sending-authorization"
    assert out["bounceTopicArn"].startswith(f"arn:aws:sns:{EU}:{SES}:")
    assert "--production-access-enabled --mail-type TRANSACTIONAL" in out["nextSteps"]
    assert "configuration set athenz-ses-cross-sending-authorization" in out["nextSteps"]
    assert "bounceTopicArn" in out["nextSteps"]
    for name in ("same-account-irsa", "kind-smtp"):
        sandboxed = plans[name]
        assert sandboxed.outputs.get("bounceTopicArn") is None and sandboxed.outputs.get("configurationSetName") is None
        assert sandboxed.of_type("aws:sesv2/configurationSet:ConfigurationSet") == []
        assert "production access" not in sandboxed.outputs["nextSteps"]
    asked = run_program(
        "asked",
        {
            **configs["same-account-irsa"],
            "athenz-ses:bounceHandling": "true",
            "athenz-ses:bounceNotificationEmails": '["mail-admins@example.com"]',
        },
    )
    assert asked.error is None, asked.error
    (subscription,) = asked.of_type("aws:sns/topicSubscription:TopicSubscription")
    assert (subscription.inputs["protocol"], subscription.inputs["endpoint"]) == ("email", "mail-admins@example.com")
    assert "then set athenz-ses:sandbox to false" in asked.outputs["nextSteps"]
    assert "which mails mail-admins@example.com" in asked.outputs["nextSteps"]
    off = run_program("off", {**configs["cross-sending-authorization"], "athenz-ses:bounceHandling": "false"})
    assert off.error is None and off.of_type("aws:sns/topic:Topic") == []


def test_operators_without_bounce_handling_are_refused(configs):
    plan = run_program(
        "operators",
        {**configs["same-account-irsa"], "athenz-ses:bounceNotificationEmails": '["mail-admins@example.com"]'},
    )
    error = config_error(plan)
    assert error.key == "athenz-ses:bounceNotificationEmails" and "no bounce topic" in str(error)


# --- a sender domain (our own mock: what the program registers, not what AWS does) ------------

IDENTITY = "aws:sesv2/emailIdentity:EmailIdentity"
MAIL_FROM = "aws:sesv2/emailIdentityMailFromAttributes:EmailIdentityMailFromAttributes"
RECORD = "aws:route53/record:Record"
CONFIGURATION_SET = "aws:sesv2/configurationSet:ConfigurationSet"
ZONE = "Z0EXAMPLE1234567890"
DNS_ROLE = "arn:aws:iam::333333333333:role/pulumi-dns"


def domain_config(configs, **changes: str) -> dict[str, str]:
    """cross-pod-identity sending as its domain, records in a zone (of the SES account by default)."""
    return {
        **configs["cross-pod-identity"],
        "athenz-ses:senderDomain": "example.com",
        "athenz-ses:hostedZoneId": ZONE,
        **{f"athenz-ses:{key}": value for key, value in changes.items()},
    }


def test_a_sender_domain_is_the_identity_zms_sends_as_with_dkim_mail_from_and_the_bounce_set(stack_plans):
    plan = stack_plans["prod"]
    (sender,) = plan.of_type(IDENTITY)  # no identity of the address: it would win over the domain's
    assert sender.name == "athenz-ses-ses-sender-domain" and sender.inputs["emailIdentity"] == "example.com"
    assert sender.inputs["dkimSigningAttributes"] == {"nextSigningKeyLength": "RSA_2048_BIT"}
    # The bounce configuration set is the identity's default: ZMS's sends name none.
    assert sender.inputs["configurationSetName"] == plan.one(CONFIGURATION_SET).inputs["configurationSetName"]
    assert plan.outputs["configurationSetName"] == "athenz-ses-prod"
    mail_from = plan.one(MAIL_FROM).inputs
    assert mail_from == {
        "emailIdentity": "example.com",
        "mailFromDomain": "bounce.example.com",
        "behaviorOnMxFailure": "USE_DEFAULT_VALUE",
    }
    domain_arn = identity(SES, EU, "example.com")
    assert plan.outputs["senderIdentityArn"] == domain_arn
    # ZMS's target role may send as the domain identity through the bounce set, nothing else.
    (send,) = [r for r in plan.of_type(ROLE_POLICY) if r.name == "athenz-ses-zms-pod-identity-send"]
    senders = (plan.config["athenz-ses:senderEmail"],)  # the domain covers any address: only this one
    assert doc(send) == allow(SEND, [domain_arn, configuration_set(SES, EU, "prod")], senders=senders)


def test_the_domain_records_are_output_and_created_in_the_zone_through_the_ses_provider(stack_plans):
    plan = stack_plans["prod"]
    records = plan.outputs["senderDnsRecords"]
    tokens = [r["name"].split(".")[0] for r in records if r["type"] == "CNAME"]
    assert len(tokens) == 3 and len(set(tokens)) == 3
    assert records == [
        *({"name": f"{t}._domainkey.example.com", "type": "CNAME", "value": f"{t}.dkim.amazonses.com"} for t in tokens),
        {"name": "bounce.example.com", "type": "MX", "value": f"10 feedback-smtp.{EU}.amazonses.com"},
        {"name": "bounce.example.com", "type": "TXT", "value": "v=spf1 include:amazonses.com ~all"},
    ]
    created = {(r.inputs["name"], r.inputs["type"], tuple(r.inputs["records"])) for r in plan.of_type(RECORD)}
    assert created == {(r["name"], r["type"], (r["value"],)) for r in records}
    ses_provider = plan.one("pulumi:providers:aws")
    for record in plan.of_type(RECORD):
        assert record.inputs["zoneId"] == ZONE and record.inputs["ttl"] == 1800
        assert record.provider.startswith(ses_provider.urn) and record.location.account == SES
        assert "allowOverwrite" not in record.inputs  # the provider's default: never overwrite a record
    assert "hosted zone Z0EXAMPLE1234567890" in plan.outputs["nextSteps"]


def test_without_a_zone_the_records_are_only_output(configs):
    config = domain_config(configs)
    del config["athenz-ses:hostedZoneId"]
    plan = run_program("no-zone", config)
    assert plan.error is None, plan.error
    assert plan.of_type(RECORD) == [] and len(plan.outputs["senderDnsRecords"]) == 5
    assert "create them in the domain's DNS" in plan.outputs["nextSteps"]


@pytest.mark.parametrize(
    "changes,account,role",
    [
        ({"hostedZoneAccountId": CLUSTER}, CLUSTER, None),  # the cluster account's own credentials
        ({"hostedZoneAccountId": "333333333333", "hostedZoneRoleArn": DNS_ROLE}, "333333333333", DNS_ROLE),
    ],
)
def test_a_zone_of_another_account_gets_a_provider_pinned_to_that_account(configs, changes, account, role):
    plan = run_program("zone", {**domain_config(configs, **changes), "aws:profile": "cluster-admin"})
    assert plan.error is None, plan.error
    (dns,) = [p for p in plan.of_type("pulumi:providers:aws") if p.name == "dns"]
    assert json.loads(dns.inputs["allowedAccountIds"]) == [account] and dns.inputs["profile"] == "cluster-admin"
    assumed = [r["roleArn"] for r in json.loads(dns.inputs.get("assumeRoles") or "[]")]
    assert assumed == ([role] if role else [])
    assert {r.provider.rsplit("::", 1)[0] for r in plan.of_type(RECORD)} == {dns.urn}
    assert {r.location.account for r in plan.of_type(RECORD)} == {account}
    # The zone is looked up in its own account, the identity stays in the SES account.
    (lookup,) = [where for token, _, where in plan.calls if token == "aws:route53/getZone:getZone"]
    assert lookup.account == account
    assert plan.one(IDENTITY).location.account == SES


@pytest.mark.parametrize(
    "changes,key,expected",
    [
        ({"senderEmail": "zms@example.org"}, "senderDomain", "the domain of athenz-ses:senderEmail (example.org)"),
        (
            {"hostedZoneAccountId": "333333333333"},
            "hostedZoneRoleArn",
            "reaches the hosted zone's account 333333333333",
        ),
        ({"hostedZoneRoleArn": DNS_ROLE}, "hostedZoneRoleArn", "a role in the hosted zone's account 222222222222"),
        ({"hostedZoneId": "zone-1"}, "hostedZoneId", "a Route 53 hosted zone id"),
        ({"senderDomain": "Example.com"}, "senderDomain", "the domain in lower case"),
    ],
)
def test_a_domain_setup_that_cannot_work_is_refused_before_any_resource(configs, changes, key, expected):
    plan = run_program("bad-domain", domain_config(configs, **changes))
    error = config_error(plan)
    assert plan.resources == []
    assert error.key == f"athenz-ses:{key}" and expected in str(error), str(error)


def test_zone_keys_without_a_sender_domain_are_refused(configs):
    plan = run_program("zone-only", {**configs["same-account-irsa"], "athenz-ses:hostedZoneId": ZONE})
    error = config_error(plan)
    assert error.key == "athenz-ses:hostedZoneId" and "without athenz-ses:senderDomain" in str(error)


def test_in_the_sandbox_the_domain_covers_its_own_recipients(configs):
    """A verified domain may be mailed in the sandbox: recipients of it need no identity of
    their own and no verification click; others still do."""
    config = {
        **domain_config(configs),
        "athenz-ses:recipientEmails": '["alice@example.com", "carol@example.org"]',
    }
    plan = run_program("sandbox-domain", config)
    assert plan.error is None, plan.error
    assert sorted(r.inputs["emailIdentity"] for r in plan.of_type(IDENTITY)) == ["carol@example.org", "example.com"]
    assert "link to: carol@example.org." in plan.outputs["nextSteps"]
    assert not any("recipientEmails lists nobody" in w for w in plan.warnings)


def test_an_address_sender_also_takes_the_bounce_set_as_its_default(plans):
    plan = plans["cross-sending-authorization"]  # out of the sandbox: bounce handling on
    (sender,) = plan.of_type(IDENTITY)
    assert sender.inputs["emailIdentity"] == "zms@example.com"
    assert sender.inputs["configurationSetName"] == "athenz-ses-cross-sending-authorization"
    assert "dkimSigningAttributes" not in sender.inputs and plan.of_type(MAIL_FROM) == []
    for name in ("same-account-irsa", "kind-smtp"):  # in the sandbox: no set, none named
        assert all("configurationSetName" not in r.inputs for r in plans[name].of_type(IDENTITY))


def test_account_suppression_can_be_left_to_another_stack(configs, plans):
    """One stack per account and Region should own the account's suppression list."""
    suppression = "aws:sesv2/accountSuppressionAttributes:AccountSuppressionAttributes"
    owner = plans["cross-sending-authorization"]  # out of the sandbox: bounce handling on
    assert owner.one(suppression).inputs["suppressedReasons"] == ["BOUNCE", "COMPLAINT"]
    assert "the account-level suppression list stops mail" in owner.outputs["nextSteps"]
    other = run_program("other", {**configs["cross-sending-authorization"], "athenz-ses:accountSuppression": "false"})
    assert other.error is None and other.of_type(suppression) == []
    assert other.of_type("aws:sns/topic:Topic") and "suppression list" not in other.outputs["nextSteps"]
    unused = run_program("unused", {**configs["same-account-irsa"], "athenz-ses:accountSuppression": "false"})
    assert any("accountSuppression has no effect" in w for w in unused.warnings)


def test_a_sender_domain_with_sending_authorization_is_refused(configs):
    """The SES guide counts delegate sending from an address only its domain verifies as
    advanced sending, which needs an identity of the address: the stack would look
    complete and its delegated senders might be refused."""
    plan = run_program(
        "domain-delegates",
        {**configs["cross-sending-authorization"], "athenz-ses:senderDomain": "example.com"},
    )
    error = config_error(plan)
    assert plan.resources == []
    assert error.key == "athenz-ses:crossAccountMode" and "identity of the address itself" in str(error)


def test_a_zone_that_is_not_the_domains_stops_the_plan(configs):
    """Route 53 would accept the records under the wrong zone (the provider appends the
    zone's name), and the domain would never verify: the lookup stops it at preview."""
    plan = run_program("wrong-zone", domain_config(configs), hosted_zones={ZONE: "example.org."})
    assert plan.error is not None and "the hosted zone is example.org, which does not hold example.com" in str(
        plan.error
    )
    assert plan.of_type(RECORD) == []


def test_eks_and_ses_act_only_once_the_permissions_they_need_exist(stack_plans):
    """The association waits for its role's policies (EKS hands out credentials at once),
    the event destination for the topic policy (SES publishes its first event at once)."""
    plan = stack_plans["prod"]
    association = plan.one(ASSOCIATION)
    policies = {r.urn for r in plan.of_type(ROLE_POLICY) if r.name.startswith("athenz-ses-zms-pod-identity")}
    assert len(policies) == 2 and policies <= set(association.dependencies)
    destination = plan.one("aws:sesv2/configurationSetEventDestination:ConfigurationSetEventDestination")
    assert plan.one("aws:sns/topicPolicy:TopicPolicy").urn in destination.dependencies


def test_retained_identities_keep_the_domain_records_they_are_verified_by(configs):
    plan = run_program("kept", {**domain_config(configs), "athenz-ses:retainIdentities": "true"})
    assert plan.error is None, plan.error
    assert plan.of_type(RECORD) and all(r.retain_on_delete for r in plan.of_type(RECORD))
    assert plan.one(MAIL_FROM).retain_on_delete and plan.one(IDENTITY).retain_on_delete


# --- Links in ZMS's mails ------------------------------------------------------------------------


def patch_flags(plan) -> dict[str, str]:
    """The -D flags of JDK_JAVA_OPTIONS in the patch, as a dict."""
    (patch,) = plan.of_type("kubernetes:apps/v1:DeploymentPatch")
    (container,) = patch.inputs["spec"]["template"]["spec"]["containers"]
    (value,) = [e["value"] for e in container["env"] if e["name"] == "JDK_JAVA_OPTIONS"]
    return dict(flag.removeprefix("-D").split("=", 1) for flag in value.split())


@pytest.mark.parametrize("name", SCENARIOS)
def test_the_links_reach_zms_as_the_properties_athenz_reads(plans, name):
    plan = plans[name]
    flags = patch_flags(plan)
    assert flags["athenz.notification_athenz_ui_url"] == plan.config["athenz-ses:athenzUiUrl"]
    assert flags["athenz.notification_workflow_url"] == plan.config["athenz-ses:workflowUrl"]


def test_the_builtin_notifier_without_links_warns_and_sets_no_link(configs):
    config = {k: v for k, v in configs["kind-access-key"].items() if not k.endswith(("athenzUiUrl", "workflowUrl"))}
    plan = run_program("nolinks", config)
    assert plan.error is None
    assert not any("url" in key for key in patch_flags(plan))
    (warning,) = [w for w in plan.warnings if "athenzUiUrl" in w]
    assert "athenz-ses:athenzUiUrl and athenz-ses:workflowUrl unset" in warning and "null" in warning


@pytest.mark.parametrize("value", ["http://athenz.example.com", "https://athenz.example.com/a b", "athenz.example.com"])
def test_a_link_that_is_not_a_plain_https_url_is_refused(configs, value):
    plan = run_program("badlink", {**configs["kind-access-key"], "athenz-ses:workflowUrl": value})
    assert isinstance(plan.error, ConfigError) and plan.error.key == "athenz-ses:workflowUrl"
    assert plan.resources == []


# --- ZMS that already reaches AWS with a role of its own ---------------------------------------


def existing_role_config(configs, **changes: str) -> dict[str, str]:
    """same-account-irsa's ZMS, which already runs as a role of its own (zmsRoleArn)."""
    config = {k: v for k, v in configs["same-account-irsa"].items() if k != "athenz-ses:oidcIssuerUrl"}
    return {**config, "athenz-ses:zmsRoleArn": f"arn:aws:iam::{CLUSTER}:role/eks/athenz-zms", **changes}


def test_existing_role_adds_one_send_policy_and_leaves_how_zms_reaches_aws_alone(configs):
    config = existing_role_config(configs)
    plan = run_program("existing", config)
    assert plan.error is None and plan.warnings == [], (plan.error, plan.warnings)
    (send,) = plan.of_type(ROLE_POLICY)
    assert send.inputs["role"] == "athenz-zms" and send.location.account == CLUSTER
    region = config["aws:region"]
    arns = [identity(CLUSTER, region, e) for e in ("zms@example.com", "alice@example.com", "bob@example.com")]
    assert doc(send) == allow(SEND, arns)
    for kind in (ROLE, USER, SA, "aws:iam/accessKey:AccessKey", "kubernetes:core/v1:Secret"):
        assert plan.of_type(kind) == [], kind
    (patch,) = plan.of_type("kubernetes:apps/v1:DeploymentPatch")
    pod = patch.inputs["spec"]["template"]["spec"]
    assert set(pod) == {"containers"}  # no serviceAccountName, no volumes
    assert [e["name"] for e in pod["containers"][0]["env"]] == ["JDK_JAVA_OPTIONS"]  # no AWS_REGION, no keys
    assert plan.outputs["zmsPrincipalArn"] == config["athenz-ses:zmsRoleArn"]


def test_existing_role_refuses_an_ses_region_other_than_zmss_own(configs):
    plan = run_program("existing", existing_role_config(configs, **{"athenz-ses:sesRegion": "us-east-1"}))
    assert isinstance(plan.error, ConfigError) and plan.error.key == "athenz-ses:sesRegion"
    assert "ZMS keeps its own AWS Region" in str(plan.error) and plan.resources == []


def test_existing_role_in_another_account_than_ses_is_refused(configs):
    plan = run_program("existing", existing_role_config(configs, **{"athenz-ses:zmsRoleArn": SES_ROLE}))
    assert isinstance(plan.error, ConfigError) and plan.error.key == "athenz-ses:zmsRoleArn"


@pytest.mark.parametrize("name", ["same-account-irsa", "same-account-pod-identity", "kind-access-key"])
def test_a_zms_that_already_runs_with_an_irsa_role_stops_the_preview_naming_zms_role_arn(configs, name):
    """The stack reads the live Deployment and ServiceAccount first: replacing ZMS's role
    would cut off every other AWS call of ZMS (RDS, S3, SSM)."""
    config = configs[name]
    deployment = "athenz/athenz-zms-server"
    live = {
        deployment: {
            **read_outputs("kubernetes:apps/v1:Deployment", deployment),
        },
        "athenz/zms": {
            "metadata": {"name": "zms", "annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/z"}}
        },
    }
    live[deployment]["spec"]["template"]["spec"]["serviceAccountName"] = "zms"
    plan = run_program("guarded", config, live=live)
    assert plan.error is not None and "athenz-ses:zmsRoleArn" in str(plan.error), plan.error
    assert "ZMS runs as ServiceAccount zms, which has IAM role" in str(plan.error)
    assert plan.of_type("kubernetes:apps/v1:DeploymentPatch") == []


# --- Identities verified by hand (the two articles) ----------------------------------------------


def test_existing_identities_are_adopted_and_kept_on_destroy(configs):
    config = configs["kind-access-key"]
    sender = config["athenz-ses:senderEmail"]
    (recipient,) = json.loads(config["athenz-ses:recipientEmails"])
    plan = run_program("adopt", {**config, "athenz-ses:existingIdentities": json.dumps([sender, recipient.upper()])})
    assert plan.error is None, plan.error
    identities = {r.inputs["emailIdentity"]: r for r in plan.of_type("aws:sesv2/emailIdentity:EmailIdentity")}
    for address in (sender, recipient):
        assert identities[address].import_id == address and identities[address].retain_on_delete
    # Not listed: created, and deleted on destroy.
    fresh = run_program("fresh", config)
    assert all(
        not r.import_id and not r.retain_on_delete for r in fresh.of_type("aws:sesv2/emailIdentity:EmailIdentity")
    )


def test_an_existing_identity_the_stack_would_not_create_is_refused(configs):
    plan = run_program("adopt", {**configs["kind-access-key"], "athenz-ses:existingIdentities": '["bob@example.net"]'})
    assert isinstance(plan.error, ConfigError) and plan.error.key == "athenz-ses:existingIdentities"
    assert plan.resources == []


def test_adopting_the_sender_with_bounce_handling_is_refused_with_the_two_step_way(configs):
    config = {**configs["kind-access-key"], "athenz-ses:bounceHandling": "true"}
    plan = run_program("adopt", {**config, "athenz-ses:existingIdentities": '["zms@example.com"]'})
    assert isinstance(plan.error, ConfigError) and "then turn bounce handling on" in str(plan.error)


def test_an_adopted_domain_with_a_hosted_zone_is_refused(configs):
    """Its DNS records exist already: Route 53 would refuse to create them again."""
    config = {
        **configs["kind-access-key"],
        "athenz-ses:senderDomain": "example.com",
        "athenz-ses:hostedZoneId": "Z0EXAMPLE1234567890",
        "athenz-ses:existingIdentities": '["example.com"]',
    }
    plan = run_program("adopt", config)
    assert isinstance(plan.error, ConfigError) and "adopt it without athenz-ses:hostedZoneId" in str(plan.error)
    adopted = run_program("adopt", {k: v for k, v in config.items() if not k.endswith("hostedZoneId")})
    assert adopted.error is None, adopted.error
    (mail_from,) = adopted.of_type("aws:sesv2/emailIdentityMailFromAttributes:EmailIdentityMailFromAttributes")
    assert mail_from.retain_on_delete  # the adopted domain's MAIL FROM setting stays the user's
