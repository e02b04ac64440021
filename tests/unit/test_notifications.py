"""AthenzSesNotifications: the whole wiring for the one send path its args choose."""

from __future__ import annotations

import inspect
import re
import zipfile
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from athenz_ses.names import MAX_COMPONENT_NAME
from athenz_ses.notifications import BUILTIN_FACTORY_CLASS, AthenzSesNotifications, AthenzSesNotificationsArgs
from offline_plan.mocks import autoname
from offline_plan.sdk_gap import RecordingMonitor, RegisteredResource

from .unit_mocks import ACCOUNT, ISSUER, ISSUER_HOST, OIDC_ARN, PROJECT, STACK, as_list, statement

SES_ACCOUNT = "222222222222"
PLUGIN_CLASS = "com.example.AwsSesPlugin"
OUTPUTS = (
    "zms_principal_arn",
    "role_arn",
    "sender_identity_arn",
    "recipient_identity_arns",
    "service_account",
    "smtp_endpoint",
    "sender_service_account_roles",
    "zms_system_properties",
    "smoke_test_job",
    "sender_smoke_test_job",
    "zms_patch_urn",
    "configuration_set_name",
    "bounce_topic_arn",
    "sender_dns_records",
)

ROLE, ROLE_POLICY = "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy"
USER, USER_POLICY, ACCESS_KEY = "aws:iam/user:User", "aws:iam/userPolicy:UserPolicy", "aws:iam/accessKey:AccessKey"
OIDC_PROVIDER = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
IDENTITY, IDENTITY_POLICY = "aws:sesv2/emailIdentity:EmailIdentity", "aws:sesv2/emailIdentityPolicy:EmailIdentityPolicy"
SERVICE_ACCOUNT, SECRET = "kubernetes:core/v1:ServiceAccount", "kubernetes:core/v1:Secret"
CONFIG_MAP, PATCH, JOB = "kubernetes:core/v1:ConfigMap", "kubernetes:apps/v1:DeploymentPatch", "kubernetes:batch/v1:Job"
OIDC_LOOKUP = "aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider"
COMPONENT = "athenz-ses:index:AthenzSesNotifications"
SUPPRESSION = "aws:sesv2/accountSuppressionAttributes:AccountSuppressionAttributes"


def ses_arn(email: str, account: str = SES_ACCOUNT, region: str = "us-east-1") -> str:
    return f"arn:aws:ses:{region}:{account}:identity/{email}"


def build(args: dict[str, Any], ses_provider: bool = False, name: str = "athenz-ses") -> dict[str, Any]:
    """Build the component alone (with an explicit AWS provider for SES if asked);
    returns every output, resolved. `args` is a plain dict, not AthenzSesNotificationsArgs:
    tests also pass args it must refuse (unknown keys, a required one missing) and a Path
    as plugin_jar."""
    out: dict[str, Any] = {}

    @pulumi.runtime.test
    def run():
        provider: dict[str, Any] = {"ses_provider": aws.Provider("ses", region="us-east-1")} if ses_provider else {}
        component = AthenzSesNotifications(name, AthenzSesNotificationsArgs(**args, **provider))
        return pulumi.Output.all(**{key: getattr(component, key) for key in OUTPUTS}).apply(out.update)

    run()
    return out


def base(**keys: Any) -> dict[str, Any]:
    return {
        **dict(
            sender_email="zms@example.com",
            ses_region="us-east-1",
            ses_account_id=SES_ACCOUNT,
            email_domain_to="example.org",
            recipient_emails=["alice@example.com"],
        ),
        **keys,
    }


def patch_env(mocks) -> set[str]:
    """The env vars the ZMS Deployment patch sets."""
    [container] = mocks.one(PATCH).inputs["spec"]["template"]["spec"]["containers"]
    return {var["name"] for var in container["env"]}


@pytest.fixture
def plugin_jar(tmp_path) -> Path:
    path = tmp_path / "ses-plugin.jar"
    with zipfile.ZipFile(path, "w") as jar:
        jar.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n")
    return path


# --- the three send paths -----------------------------------------------------------------------


def test_builtin_irsa_gives_zms_a_role_and_a_service_account_and_no_user(mocks):
    out = build(
        base(
            credentials="irsa",
            oidc_issuer_url=pulumi.Output.from_input(ISSUER),
            ses_account_id=pulumi.Output.from_input(SES_ACCOUNT),
        )
    )
    # No IAM user, no key, no Secret, no OIDC provider created (it is looked up).
    assert mocks.types() == {IDENTITY, ROLE, ROLE_POLICY, SERVICE_ACCOUNT, PATCH}
    assert [call["url"] for call in mocks.calls_of(OIDC_LOOKUP)] == [ISSUER]  # looked up, not created

    role_arn = f"arn:aws:iam::{ACCOUNT}:role/{autoname('athenz-ses-zms-irsa-role')}"
    assert out["zms_principal_arn"] == out["role_arn"] == role_arn
    assert out["service_account"] == "athenz/athenz-ses-unit"  # default: the stack's name prefix
    assert out["smtp_endpoint"] is None
    # The Outputs given as the account and issuer reach the ARNs and the trust policy.
    assert out["sender_identity_arn"] == ses_arn("zms@example.com")
    assert out["recipient_identity_arns"] == [ses_arn("alice@example.com")]
    trust = statement(mocks.one(ROLE).inputs["assumeRolePolicy"])
    assert trust["Principal"] == {"Federated": [OIDC_ARN]}
    assert trust["Condition"]["StringEquals"][f"{ISSUER_HOST}:sub"] == ["system:serviceaccount:athenz:athenz-ses-unit"]
    send = statement(mocks.one(ROLE_POLICY).inputs["policy"])
    assert sorted(as_list(send["Resource"])) == sorted([ses_arn("zms@example.com"), ses_arn("alice@example.com")])


def test_builtin_access_key_gives_zms_a_users_key_in_a_secret_and_no_role(mocks):
    out = build(base(credentials="access-key"))
    # No role, no ServiceAccount, no OIDC provider (not even looked up).
    assert mocks.types() == {IDENTITY, USER, USER_POLICY, ACCESS_KEY, SECRET, PATCH}
    assert mocks.calls_of(OIDC_LOOKUP) == []

    assert (
        out["zms_principal_arn"] == f"arn:aws:iam::{ACCOUNT}:user/athenz-ses/{autoname('athenz-ses-access-key-user')}"
    )
    assert out["role_arn"] is None and out["service_account"] is None and out["smtp_endpoint"] is None
    assert patch_env(mocks) == {"AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "JDK_JAVA_OPTIONS"}


ASSOCIATION = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
CLUSTER_LOOKUP = "aws:eks/getCluster:getCluster"


def test_builtin_pod_identity_gives_zms_a_role_an_association_and_a_plain_service_account(mocks):
    out = build(base(credentials="pod-identity", eks_cluster_name=pulumi.Output.from_input("prod")))
    # No OIDC provider (not even looked up), no user, no annotation.
    assert mocks.types() == {IDENTITY, ROLE, ROLE_POLICY, ASSOCIATION, SERVICE_ACCOUNT, PATCH}
    assert mocks.calls_of(OIDC_LOOKUP) == [] and mocks.calls_of(CLUSTER_LOOKUP) == [{"name": "prod"}]
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/{autoname('athenz-ses-zms-pod-identity-role')}"
    assert out["zms_principal_arn"] == out["role_arn"] == role_arn
    assert out["service_account"] == "athenz/athenz-ses-unit"
    assert "annotations" not in mocks.one(SERVICE_ACCOUNT).inputs["metadata"]
    association = mocks.one(ASSOCIATION).inputs
    assert (association["clusterName"], association["namespace"], association["serviceAccount"]) == (
        "prod",
        "athenz",
        "athenz-ses-unit",
    )
    tags = statement(mocks.one(ROLE).inputs["assumeRolePolicy"])["Condition"]["StringEquals"]
    assert tags["aws:RequestTag/eks-cluster-arn"] == [f"arn:aws:eks:eu-west-1:{ACCOUNT}:cluster/prod"]
    send = statement(mocks.one(ROLE_POLICY).inputs["policy"])
    assert sorted(as_list(send["Resource"])) == sorted([ses_arn("zms@example.com"), ses_arn("alice@example.com")])
    assert patch_env(mocks) == {"AWS_REGION", "JDK_JAVA_OPTIONS"}  # no key: the SDK's chain finds Pod Identity


def test_pod_identity_is_the_default_with_a_cluster_name_and_refused_without_one(mocks):
    assert build(base(eks_cluster_name="prod"))["role_arn"] is not None
    mocks.resources.clear()
    with pytest.raises(ValueError, match="eks_cluster_name: None is not valid; expected the EKS cluster ZMS runs on"):
        build(base(credentials="pod-identity"))
    # Another send path does not use it: no association, no Pod Identity role (unused() names it).
    build(base(credentials="access-key", eks_cluster_name="prod"))
    assert mocks.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation") == []
    mocks.resources.clear()
    with pytest.raises(ValueError, match="expected federated-role with notifier=builtin and credentials=pod-identity"):
        build(
            base(eks_cluster_name="prod", cross_account_mode="sending-authorization"),
            ses_provider=True,
        )
    assert mocks.of_type(ROLE) == []


def test_delegated_senders_use_pod_identity_without_an_issuer_with_pod_identity(mocks):
    out = build(base(eks_cluster_name="prod", sender_service_accounts=["mailer/reports"]))
    associations = {(a.inputs["namespace"], a.inputs["serviceAccount"]) for a in mocks.of_type(ASSOCIATION)}
    assert associations == {("athenz", "athenz-ses-unit"), ("mailer", "reports")}
    assert set(out["sender_service_account_roles"]) == {"mailer/reports"}
    assert mocks.calls_of(OIDC_LOOKUP) == []


def test_builtin_defaults_to_access_key_without_an_issuer_and_to_irsa_with_one(mocks):
    assert build(base())["role_arn"] is None
    mocks.resources.clear()
    assert build(base(oidc_issuer_url=ISSUER))["role_arn"] is not None


def test_plugin_smtp_ships_the_jar_and_the_smtp_password(mocks, plugin_jar):
    out = build(
        base(
            notifier="plugin",
            plugin_jar=str(plugin_jar),
            plugin_factory_class=PLUGIN_CLASS,
            email_domain_to=None,
            ses_region="eu-central-1",
        )
    )
    assert mocks.types() == {IDENTITY, USER, USER_POLICY, ACCESS_KEY, SECRET, CONFIG_MAP, PATCH}
    assert patch_env(mocks) == {"AWS_SES_USER", "AWS_SES_PASS", "JDK_JAVA_OPTIONS"}  # no AWS_REGION: SMTP
    assert out["smtp_endpoint"] == "email-smtp.eu-central-1.amazonaws.com:587"
    assert out["zms_principal_arn"] == f"arn:aws:iam::{ACCOUNT}:user/athenz-ses/{autoname('athenz-ses-smtp-user')}"
    assert out["zms_system_properties"] == {
        "athenz.zms.notification_service_factory_class": PLUGIN_CLASS,
        "athenz.notification_email_from": "zms",
        "athenz.notification_email_domain_from": "example.com",
    }
    assert as_list(statement(mocks.one(USER_POLICY).inputs["policy"])["Action"]) == ["ses:SendRawEmail"]


def test_plugin_smtp_endpoint_is_the_given_smtp_host(mocks, plugin_jar):
    out = build(
        base(
            notifier="plugin",
            plugin_jar=plugin_jar,
            plugin_factory_class=PLUGIN_CLASS,
            smtp_host="smtp.relay.example.com",
        )
    )
    assert out["smtp_endpoint"] == "smtp.relay.example.com:587"


def test_builtin_system_properties_name_the_ses_factory_and_the_domains(mocks):
    out = build(base(credentials="access-key"))
    assert out["zms_system_properties"] == {
        "athenz.zms.notification_service_factory_class": BUILTIN_FACTORY_CLASS,
        "athenz.notification_email_from": "zms",
        "athenz.notification_email_domain_from": "example.com",
        "athenz.notification_email_domain_to": "example.org",
    }
    jdk = [
        var["value"]
        for var in mocks.one(PATCH).inputs["spec"]["template"]["spec"]["containers"][0]["env"]
        if var["name"] == "JDK_JAVA_OPTIONS"
    ]
    assert jdk == [" ".join(f"-D{key}={value}" for key, value in out["zms_system_properties"].items())]


def test_outside_the_sandbox_no_recipient_is_verified(mocks):
    out = build(base(credentials="access-key", sandbox=False))
    assert [r.inputs["emailIdentity"] for r in mocks.of_type(IDENTITY)] == ["zms@example.com"]
    assert out["recipient_identity_arns"] == []


@pytest.mark.parametrize("create", [False, True], ids=["lookup", "create"])
def test_an_issuer_without_https_reaches_the_oidc_provider_as_an_https_url(mocks, create):
    build(base(credentials="irsa", oidc_issuer_url=ISSUER_HOST, create_oidc_provider=create))
    urls = [call["url"] for call in mocks.calls_of(OIDC_LOOKUP)] + [
        r.inputs["url"] for r in mocks.of_type(OIDC_PROVIDER)
    ]
    assert urls == [ISSUER]


# --- delegated senders ----------------------------------------------------------------------------


def test_each_sender_service_account_gets_its_own_role(mocks):
    out = build(
        base(
            credentials="access-key",
            oidc_issuer_url=ISSUER,
            oidc_provider_arn=OIDC_ARN,
            sender_service_accounts=["mailer/reports", "billing/invoices"],
        )
    )
    subjects = sorted(
        statement(r.inputs["assumeRolePolicy"])["Condition"]["StringEquals"][f"{ISSUER_HOST}:sub"]
        for r in mocks.of_type(ROLE)
    )
    assert subjects == [["system:serviceaccount:billing:invoices"], ["system:serviceaccount:mailer:reports"]]
    assert mocks.calls_of(OIDC_LOOKUP) == []  # the given provider ARN is used as is
    assert set(out["sender_service_account_roles"]) == {"mailer/reports", "billing/invoices"}
    assert all(set(roles) == {"roleArn"} for roles in out["sender_service_account_roles"].values())
    assert mocks.of_type(IDENTITY_POLICY) == []


def test_sending_authorization_admits_the_senders_roles_and_tells_them_the_source_arn(mocks):
    out = build(
        base(
            credentials="access-key",
            oidc_issuer_url=ISSUER,
            cross_account_mode="sending-authorization",
            sender_service_accounts=["mailer/reports"],
        ),
        ses_provider=True,
    )
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/{autoname('athenz-ses-sender-mailer-reports-role')}"
    assert out["sender_service_account_roles"] == {
        "mailer/reports": {"roleArn": role_arn, "sourceArn": ses_arn("zms@example.com")}
    }
    st = statement(mocks.one(IDENTITY_POLICY).inputs["policy"])
    assert as_list(st["Principal"]["AWS"]) == [role_arn]
    # Only the sender identity counts across accounts: the sender's role may send as it alone.
    send = statement(mocks.one(ROLE_POLICY).inputs["policy"])
    assert as_list(send["Resource"]) == [ses_arn("zms@example.com")]


# --- smoke test -------------------------------------------------------------------------------------


def test_smoke_test_runs_as_zmss_service_account_with_irsa(mocks):
    out = build(base(oidc_issuer_url=ISSUER, smoke_test=True))
    job = mocks.one(JOB).inputs
    assert job["spec"]["template"]["spec"]["serviceAccountName"] == "athenz-ses-unit"
    assert job["metadata"]["namespace"] == "athenz"
    assert out["smoke_test_job"] == autoname("athenz-ses-zms-smoke-test-job")
    assert out["sender_smoke_test_job"] is None


# --- args it refuses ------------------------------------------------------------------------------


def test_every_problem_is_reported_at_once(mocks):
    args = base(email_domain_to=None, credentials="smtp", sender_service_accounts=["Bad/Name"])
    with pytest.raises(ValueError) as error:
        build(args)
    message = str(error.value)
    assert "email_domain_to: None is not valid; expected the mail domain of your Athenz users" in message
    assert "credentials: 'smtp' is not valid; expected one of irsa, pod-identity, access-key, existing-role" in message
    assert "sender_service_accounts: 'Bad/Name' is not valid; expected a list of \"namespace/name\"" in message
    assert "oidc_issuer_url: None is not valid; expected the cluster's OIDC issuer" in message
    assert mocks.resources == []  # refused before anything is registered


@pytest.mark.parametrize(
    "change, problem",
    [
        (dict(sender_email="not-an-address"), "sender_email: 'not-an-address' is not valid; expected an email address"),
        (
            dict(recipient_emails=["alice"]),
            "recipient_emails: 'alice' is not valid; expected a list of email addresses",
        ),
        (dict(notifier="sendmail"), "notifier: 'sendmail' is not valid; expected one of builtin, plugin"),
        (
            dict(notifier="plugin", email_domain_to=None),
            "plugin_jar: None is not valid; expected a plugin jar.*plugin_factory_class: None",
        ),
        (
            dict(cross_account_mode="federated-role", credentials="access-key"),
            "ses_provider: None is not valid; expected the SES account's provider",
        ),
        (
            dict(cross_account_mode="elsewhere", credentials="access-key"),
            "cross_account_mode: 'elsewhere' is not valid; expected one of federated-role, sending-authorization",
        ),
        (dict(credentials="irsa"), "oidc_issuer_url: None is not valid; expected the cluster's OIDC issuer"),
    ],
    ids=[
        "sender",
        "recipient",
        "notifier",
        "plugin-without-jar",
        "cross-account-without-provider",
        "unknown-mode",
        "irsa-without-issuer",
    ],
)
def test_refuses_bad_args(mocks, change, problem):
    with pytest.raises(ValueError, match=problem):
        build({**base(), **change})
    assert mocks.resources == []


def test_irsa_with_sending_authorization_is_refused(mocks):
    # ZMS's notifier names no identity ARN, so it could not use the identity policy.
    with pytest.raises(ValueError, match="expected federated-role with notifier=builtin and credentials=irsa"):
        build(
            base(credentials="irsa", oidc_issuer_url=ISSUER, cross_account_mode="sending-authorization"),
            ses_provider=True,
        )
    assert mocks.types() == {"pulumi:providers:aws"}  # only the caller's provider


def test_a_sender_service_account_irsa_would_refuse_is_listed_with_the_other_problems(mocks):
    with pytest.raises(ValueError) as error:
        build(base(email_domain_to=None, oidc_issuer_url=ISSUER, sender_service_accounts=["mailer/reports-"]))
    assert "email_domain_to: None is not valid" in str(error.value)
    assert "'mailer/reports-'" in str(error.value)
    assert mocks.resources == []


def test_zmss_own_service_account_is_not_also_a_delegated_sender(mocks):
    with pytest.raises(ValueError, match="sender_service_accounts"):
        build(base(credentials="irsa", oidc_issuer_url=ISSUER, sender_service_accounts=["athenz/athenz-ses-unit"]))


def test_unknown_and_missing_args_are_refused_all_at_once(mocks):
    args = {**base(), "sender": "zms@example.com", "smtp_port": 25}
    del args["ses_region"]
    with pytest.raises(ValueError) as error:
        build(args)
    assert str(error.value) == (
        "AthenzSesNotifications: sender: 'zms@example.com' is not valid; expected no such arg; "
        "smtp_port: 25 is not valid; expected no such arg; "
        "ses_region: None is not valid; expected an AWS Region where SES is offered, such as eu-west-1 (required)"
    )
    assert mocks.resources == []


def test_the_links_of_zms_mails_are_the_properties_athenz_reads(mocks):
    out = build(
        base(
            credentials="access-key",
            athenz_ui_url="https://athenz.example.org",
            workflow_url="https://athenz.example.org/workflow",
        )
    )
    properties = out["zms_system_properties"]
    assert properties["athenz.notification_athenz_ui_url"] == "https://athenz.example.org"
    assert properties["athenz.notification_workflow_url"] == "https://athenz.example.org/workflow"


def test_values_that_land_in_zms_flags_or_object_names_are_checked_before_anything_is_registered(mocks, tmp_path):
    """The java launcher splits JDK_JAVA_OPTIONS on white space: a domain with a space
    would smuggle another JVM flag into ZMS. Every such value is refused, all at once."""
    with pytest.raises(ValueError) as error:
        build(
            base(
                credentials="access-key",
                email_domain_to="example.com -javaagent:/tmp/x.jar",
                workflow_url="https://athenz.example.com/w -javaagent:/tmp/x.jar",
                namespace="Bad NS",
                ses_region="eu west 1",
                name_prefix="a" * 46,
            )
        )
    message = str(error.value)
    for expected in (
        "email_domain_to: 'example.com -javaagent:/tmp/x.jar' is not valid; expected a mail domain",
        "workflow_url: 'https://athenz.example.com/w -javaagent:/tmp/x.jar' is not valid; expected an https:// URL",
        "namespace: 'Bad NS' is not valid; expected a Kubernetes namespace name (a DNS label",
        "ses_region: 'eu west 1' is not valid; expected an AWS Region",
        "at most 45 characters",
    ):
        assert expected in message
    assert mocks.resources == []


def test_a_plugin_jar_that_is_missing_or_too_big_is_refused_before_anything_is_registered(mocks, tmp_path):
    plugin = dict(notifier="plugin", plugin_factory_class="com.example.Factory", email_domain_to=None)
    with pytest.raises(ValueError, match="no such file"):
        build(base(plugin_jar=str(tmp_path / "missing.jar"), **plugin))
    big = tmp_path / "big.jar"
    big.write_bytes(b"\0" * (1024 * 1024))
    with pytest.raises(ValueError, match="travels in a ConfigMap"):
        build(base(plugin_jar=str(big), **plugin))
    assert mocks.resources == []


def test_delegated_senders_whose_roles_would_share_a_name_are_refused(mocks):
    """`a-b/c` and `a/b-c` both name their role `sender-a-b-c`; a pair listed twice too."""
    with pytest.raises(ValueError) as error:
        build(
            base(
                credentials="access-key",
                oidc_issuer_url=ISSUER,
                sender_service_accounts=["a-b/c", "a/b-c", "m/x", "m/x"],
            )
        )
    assert "a/b-c (as a-b/c)" in str(error.value) and "m/x (as m/x)" in str(error.value)
    assert "expected each ServiceAccount once, each with a role of its own name" in str(error.value)
    assert mocks.resources == []


def test_plugin_only_args_are_refused_with_the_built_in_notifier(mocks, plugin_jar):
    """Nothing of the built-in notifier would use them: no jar ConfigMap nobody loads, no
    smoke test from an address ZMS never sends from."""
    with pytest.raises(ValueError) as error:
        build(
            base(
                credentials="access-key",
                plugin_jar=str(plugin_jar),
                plugin_factory_class="com.example.Factory",
                smtp_host="email-smtp.us-east-1.amazonaws.com",
                smoke_test_sender="other@example.com",
            )
        )
    for key in ("plugin_jar", "plugin_factory_class", "smtp_host", "smoke_test_sender"):
        only_plugin = "expected to be unset with notifier=builtin: only the plugin uses it"
        assert re.search(f"{key}: [^;]*; {only_plugin}", str(error.value))
    assert mocks.resources == []


def test_an_issuer_that_is_no_url_and_a_provider_arn_with_create_are_refused(mocks):
    with pytest.raises(ValueError) as error:
        build(
            base(
                credentials="irsa", oidc_issuer_url="http://x y", oidc_provider_arn=OIDC_ARN, create_oidc_provider=True
            )
        )
    assert "oidc_issuer_url: 'http://x y' is not valid; expected the cluster's OIDC issuer" in str(error.value)
    assert "create_oidc_provider: True is not valid; expected to be unset with oidc_provider_arn" in str(error.value)
    assert mocks.resources == []


def test_the_helm_layout_patches_the_charts_deployment_and_container(mocks):
    build(base(credentials="access-key", zms_layout="helm"))
    inputs = mocks.one(PATCH).inputs
    assert inputs["metadata"]["name"] == "athenz-athenz-zms"
    assert [c["name"] for c in inputs["spec"]["template"]["spec"]["containers"]] == ["zms"]


def test_an_unknown_layout_is_refused(mocks):
    with pytest.raises(ValueError, match="zms_layout: 'kustomize' is not valid; expected one of distribution, helm"):
        build(base(credentials="access-key", zms_layout="kustomize"))
    assert mocks.resources == []


# --- a sender domain, and the bounce set as the sender identity's default -----------------------

RECORD, MAIL_FROM = (
    "aws:route53/record:Record",
    "aws:sesv2/emailIdentityMailFromAttributes:EmailIdentityMailFromAttributes",
)
CONFIGURATION_SET = "aws:sesv2/configurationSet:ConfigurationSet"


def test_a_sender_domain_replaces_the_address_identity_and_its_records_go_to_the_zone(mocks):
    out = build(
        base(
            credentials="access-key",
            sender_domain="example.com",
            hosted_zone_id="Z0EXAMPLE",
            recipient_emails=["alice@example.com", "carol@example.org"],
        )
    )
    # The domain, and only the recipient outside it (the verified domain covers alice).
    assert sorted(r.inputs["emailIdentity"] for r in mocks.of_type(IDENTITY)) == ["carol@example.org", "example.com"]
    assert mocks.one(MAIL_FROM).inputs["mailFromDomain"] == "bounce.example.com"  # the default subdomain
    assert out["sender_identity_arn"] == ses_arn("example.com")
    send = statement(mocks.one(USER_POLICY).inputs["policy"])
    assert sorted(as_list(send["Resource"])) == sorted([ses_arn("example.com"), ses_arn("carol@example.org")])
    records = mocks.of_type(RECORD)
    assert len(records) == len(out["sender_dns_records"]) == 5
    assert {r.inputs["zoneId"] for r in records} == {"Z0EXAMPLE"}
    assert {(r.inputs["name"], r.inputs["type"]) for r in records} == {
        (record["name"], record["type"]) for record in out["sender_dns_records"]
    }


def test_without_a_zone_the_records_are_only_an_output(mocks):
    out = build(base(credentials="access-key", sender_domain="example.com", mail_from_subdomain="ses-feedback"))
    assert mocks.of_type(RECORD) == []
    assert [r["name"] for r in out["sender_dns_records"] if r["type"] != "CNAME"] == ["ses-feedback.example.com"] * 2
    assert mocks.one(MAIL_FROM).inputs["mailFromDomain"] == "ses-feedback.example.com"


def test_records_go_through_the_dns_provider_when_one_is_given(mocks):
    out: dict[str, Any] = {}

    @pulumi.runtime.test
    def run():
        dns = aws.Provider("dns", region="us-east-1")
        AthenzSesNotifications(
            "athenz-ses",
            AthenzSesNotificationsArgs(
                **base(credentials="access-key", sender_domain="example.com", hosted_zone_id="Z0EXAMPLE"),
                dns_provider=dns,
            ),
        )
        return dns.urn.apply(lambda urn: out.update(urn=urn))

    run()
    assert {r.provider.rsplit("::", 1)[0] for r in mocks.of_type(RECORD)} == {out["urn"]}
    assert all(not r.provider for r in mocks.of_type(IDENTITY))  # SES stays on its own (default) provider


def test_out_of_the_sandbox_the_bounce_set_is_the_sender_identitys_default(mocks):
    out = build(base(credentials="access-key", sandbox=False))
    (sender,) = mocks.of_type(IDENTITY)
    assert sender.inputs["configurationSetName"] == "athenz-ses-unit" == out["configuration_set_name"]
    assert mocks.one(CONFIGURATION_SET).inputs["configurationSetName"] == "athenz-ses-unit"
    assert out["bounce_topic_arn"].startswith("arn:aws:sns:")


def test_in_the_sandbox_no_identity_names_a_set(mocks):
    out = build(base(credentials="access-key"))
    assert all("configurationSetName" not in r.inputs for r in mocks.of_type(IDENTITY))
    assert out["configuration_set_name"] is None and out["sender_dns_records"] == []


@pytest.mark.parametrize(
    "change, problem",
    [
        (
            dict(sender_domain="example.net"),
            "sender_domain: 'example.net' is not valid; expected the domain of sender_email",
        ),
        (
            dict(hosted_zone_id="Z0EXAMPLE"),
            "hosted_zone_id: 'Z0EXAMPLE' is not valid; expected to be unset without sender_domain",
        ),
        (dict(sender_domain="example.com", mail_from_subdomain="Mail From"), "mail_from_subdomain: 'Mail From'"),
        (dict(sender_domain="example .com"), "sender_domain: 'example .com' is not valid; expected a mail domain"),
        (
            dict(sender_domain="Example.com"),
            "sender_domain: 'Example.com' is not valid; expected the domain in lower case",
        ),
    ],
    ids=["other-domain", "zone-without-domain", "bad-mail-from", "bad-domain", "upper-case"],
)
def test_a_domain_setup_that_cannot_work_is_refused_before_anything_is_registered(mocks, change, problem):
    with pytest.raises(ValueError, match=problem):
        build(base(credentials="access-key", **change))
    assert mocks.resources == []


def test_a_sender_domain_with_delegated_senders_by_sending_authorization_is_refused(mocks):
    with pytest.raises(ValueError, match="expected federated-role with sender_domain and sender_service_accounts"):
        build(
            base(
                credentials="access-key",
                sender_domain="example.com",
                oidc_issuer_url=ISSUER,
                cross_account_mode="sending-authorization",
                sender_service_accounts=["mailer/reports"],
            ),
            ses_provider=True,
        )
    assert [r.typ for r in mocks.resources] == ["pulumi:providers:aws"]  # only the test's own provider


# --- existing-role: ZMS keeps its own role, Region and ServiceAccount --------------------------

ZMS_ROLE = f"arn:aws:iam::{SES_ACCOUNT}:role/eks/athenz-zms"


def test_existing_role_gets_one_send_policy_and_zms_keeps_its_credentials_and_region(mocks):
    out = build(base(zms_role_arn=ZMS_ROLE))
    (policy,) = mocks.of_type("aws:iam/rolePolicy:RolePolicy")
    assert policy.inputs["role"] == "athenz-zms"  # the role's name, without its path
    assert policy.inputs["name"] == "athenz-ses-unit-ses-send"
    st = statement(policy.inputs["policy"])
    assert as_list(st["Resource"]) == [ses_arn("zms@example.com"), ses_arn("alice@example.com")]
    assert st["Condition"] == {"StringEquals": {"ses:FromAddress": ["zms@example.com"]}}
    # No role, user, key or ServiceAccount for ZMS.
    for kind in ("aws:iam/role:Role", "aws:iam/user:User", "aws:iam/accessKey:AccessKey"):
        assert mocks.of_type(kind) == []
    assert mocks.of_type("kubernetes:core/v1:ServiceAccount") == []
    # The patch sets the -D flags only: no AWS_REGION, no credential env, no serviceAccountName.
    assert patch_env(mocks) == {"JDK_JAVA_OPTIONS"}
    pod = mocks.one(PATCH).inputs["spec"]["template"]["spec"]
    assert set(pod) == {"containers"}
    assert out["zms_principal_arn"] == out["role_arn"] == ZMS_ROLE


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (dict(credentials="existing-role"), "zms_role_arn: None is not valid; expected the role ZMS already runs as"),
        (
            dict(zms_role_arn=ZMS_ROLE, credentials="access-key"),
            "expected the role ZMS already runs as with credentials=existing-role, and unset otherwise",
        ),
        (
            dict(zms_role_arn="arn:aws:iam::111111111111:user/zms"),
            "expected the ARN of the IAM role ZMS already runs as",
        ),
        (dict(zms_role_arn="arn:aws:iam::111111111111:role/zms"), "expected a role of the SES account"),
    ],
)
def test_existing_role_refusals(mocks, change, problem):
    with pytest.raises(ValueError, match=problem):
        build(base(**change))
    assert mocks.resources == []


# --- several per program ------------------------------------------------------------------------


def side_by_side(mocks, args_of: dict[str, dict[str, Any]]) -> list[RegisteredResource]:
    """Build one AthenzSesNotifications per name in one program; every registration as the
    engine would get it (offline_plan's RecordingMonitor: engine URNs, and a second
    registration of one URN refused as the engine refuses it)."""
    registered: list[RegisteredResource] = []
    monitor = RecordingMonitor(mocks, registered.append)
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=STACK, preview=False, monitor=monitor)

    @pulumi.runtime.test
    def run():
        for name, args in args_of.items():
            AthenzSesNotifications(name, AthenzSesNotificationsArgs(**args))

    run()
    return registered


def two_zms(credentials: str, plugin_jar: Path) -> dict[str, dict[str, Any]]:
    """Two ZMS, each in its own namespace with its own sender, the same send path, a
    delegated sender and both smoke tests each, bounce handling (the account's suppression
    setting by the first only, as BounceHandling asks)."""
    path: dict[str, Any] = {
        "irsa": dict(oidc_issuer_url=ISSUER),
        "pod-identity": dict(eks_cluster_name="prod"),
        "access-key": dict(oidc_issuer_url=ISSUER),
        "existing-role": dict(oidc_issuer_url=ISSUER),
        "smtp": dict(
            notifier="plugin",
            plugin_jar=plugin_jar,
            plugin_factory_class=PLUGIN_CLASS,
            smoke_test_recipient="a@example.com",
        ),
    }[credentials]
    out = {}
    for index, zms in enumerate(("zms-a", "zms-b")):
        out[zms] = base(
            **path,
            credentials=credentials,
            sender_email=f"{zms}@example.com",
            namespace=f"athenz-{zms}",
            sandbox=False,
            smoke_test=True,
            account_suppression=index == 0,
            **(dict(zms_role_arn=f"arn:aws:iam::{SES_ACCOUNT}:role/{zms}") if credentials == "existing-role" else {}),
            **({} if credentials == "smtp" else dict(sender_service_accounts=[f"mailer-{zms}/reports"])),
        )
    return out


@pytest.mark.parametrize("credentials", ["irsa", "pod-identity", "access-key", "existing-role", "smtp"])
def test_two_components_side_by_side_share_no_urn_no_name_and_no_field_manager(mocks, plugin_jar, credentials):
    registered = side_by_side(mocks, two_zms(credentials, plugin_jar))
    custom = [r for r in registered if r.custom]
    assert {r.type for r in registered} >= {COMPONENT, PATCH, JOB, ROLE if credentials != "smtp" else USER}
    # URNs: the engine would have refused a second one already; and no two resources share a
    # logical name either, which auto-named resources (roles, users, topics, Jobs) are named after.
    assert len({r.urn for r in registered}) == len(registered)
    assert len({r.name for r in custom}) == len(custom), sorted(r.name for r in custom)
    # Every part of each component is named after it, all the way down.
    components = {r.urn: r.name for r in registered if r.type == COMPONENT}
    assert set(components.values()) == {"zms-a", "zms-b"}

    def top(r: RegisteredResource) -> str:
        parent = next(p for p in registered if p.urn == r.parent) if r.parent in {p.urn for p in registered} else None
        return components[r.urn] if r.urn in components else top(parent) if parent else ""

    assert all(r.name.startswith(f"{top(r)}-") for r in registered if r.urn not in components), [
        (r.name, top(r)) for r in registered if r.urn not in components and not r.name.startswith(f"{top(r)}-")
    ]
    # Kubernetes: no object of the same kind, namespace and name twice; each patch its own
    # Deployment and its own field manager, and the name prefixes apart.
    objects = [
        (r.type, r.inputs["metadata"].get("namespace"), r.inputs["metadata"]["name"])
        for r in custom
        if r.type.startswith("kubernetes:") and r.type != PATCH and "name" in r.inputs["metadata"]
    ]
    assert len(set(objects)) == len(objects) and objects
    patches = [r.inputs["metadata"] for r in custom if r.type == PATCH]
    managers = [meta["annotations"]["pulumi.com/patchFieldManager"] for meta in patches]
    assert sorted(managers) == ["zms-a-unit", "zms-b-unit"]
    assert sorted(meta["namespace"] for meta in patches) == ["athenz-zms-a", "athenz-zms-b"]
    # AWS names that are not auto-named: identities, configuration sets, named inline policies,
    # the account-level suppression setting.
    fixed = [
        (r.type, r.inputs.get("emailIdentity") or r.inputs.get("configurationSetName") or r.inputs.get("name"))
        for r in custom
        if r.type in (IDENTITY, CONFIGURATION_SET) or (r.type == ROLE_POLICY and "name" in r.inputs)
    ]
    assert len(set(fixed)) == len(fixed) and fixed
    assert len([r for r in custom if r.type == SUPPRESSION]) == 1


@pytest.mark.parametrize("name", ["Zms", "zms_a", "-zms", "a" * (MAX_COMPONENT_NAME + 1)])
def test_a_name_the_parts_cannot_start_with_is_refused(mocks, name):
    expected = f"name: '{name}' is not valid; expected at most {MAX_COMPONENT_NAME} lower-case"
    with pytest.raises(ValueError, match=expected):
        AthenzSesNotifications(name, AthenzSesNotificationsArgs(**base(credentials="access-key")))


def test_the_default_name_prefix_is_the_components_and_with_upgrade_aliases_the_earlier_one(mocks):
    for name, upgrade, prefix in (("zms-a", False, "zms-a-unit"), ("zms-a", True, "athenz-ses-unit")):
        out = build(base(credentials="irsa", oidc_issuer_url=ISSUER, upgrade_aliases=upgrade), name=name)
        assert out["service_account"] == f"athenz/{prefix}"
        meta = mocks.of_type(PATCH)[-1].inputs["metadata"]
        assert meta["annotations"]["pulumi.com/patchFieldManager"] == prefix


# --- tags, permissions boundary and IAM path ----------------------------------------------------

TAGS = {"cost-center": "mail-42", "owner": "platform@example.com"}
BOUNDARY = "arn:aws:iam::999999999999:policy/boundaries/athenz-mail"
PATH = "/teams/athenz/"
# Between them, every AWS resource type the component creates.
ENTERPRISE = {
    "federated-irsa": (
        dict(
            credentials="irsa",
            oidc_issuer_url=ISSUER,
            cross_account_mode="federated-role",
            sender_service_accounts=["mailer/reports"],
            sandbox=False,
            bounce_notification_emails=["mail-admins@example.com"],
        ),
        True,
    ),
    "cross-pod-identity": (
        dict(
            eks_cluster_name="prod",
            cross_account_mode="federated-role",
            sender_service_accounts=["mailer/reports"],
            sender_domain="example.com",
            hosted_zone_id="Z0EXAMPLE",
        ),
        True,
    ),
    "sending-authorization": (
        dict(
            credentials="access-key",
            oidc_issuer_url=ISSUER,
            cross_account_mode="sending-authorization",
            sender_service_accounts=["mailer/reports"],
            sandbox=False,
            recipient_emails=[],
        ),
        True,
    ),
    "same-account-pod-identity": (dict(eks_cluster_name="prod", sender_service_accounts=["mailer/reports"]), False),
    "smtp": (dict(notifier="plugin", plugin_factory_class=PLUGIN_CLASS), False),
}


def aws_class(type_token: str) -> type:
    """The pulumi-aws class of a type token (`aws:iam/role:Role` -> pulumi_aws.iam.Role)."""
    module, _, name = type_token.split(":", 1)[1].partition(":")
    return getattr(getattr(aws, module.split("/")[0]), name)


def takes(type_token: str, arg: str) -> bool:
    """Whether pulumi-aws's resource of that type has the arg (`tags`, `permissions_boundary`, `path`)."""
    return type_token.startswith("aws:") and arg in inspect.signature(aws_class(type_token)._internal_init).parameters


def enterprise(mocks, plugin_jar: Path, key: str, **more: Any) -> dict[str, Any]:
    keys, cross = ENTERPRISE[key]
    jar = dict(plugin_jar=plugin_jar) if keys.get("notifier") == "plugin" else {}
    return build(base(**keys, **jar, **more), ses_provider=cross)


@pytest.mark.parametrize("key", ENTERPRISE)
def test_tags_reach_every_aws_resource_that_takes_tags(mocks, plugin_jar, key):
    enterprise(mocks, plugin_jar, key, tags=TAGS)
    taggable = [r for r in mocks.resources if r.custom and takes(r.typ, "tags")]
    assert taggable
    assert {(r.typ, r.name): r.inputs.get("tags") for r in taggable} == {(r.typ, r.name): TAGS for r in taggable}
    untagged = {r.typ for r in mocks.resources if r.custom and r.typ.startswith("aws:") and not takes(r.typ, "tags")}
    assert all("tags" not in r.inputs for r in mocks.resources if r.typ in untagged)


def test_the_resource_types_of_the_component_that_take_tags(mocks, plugin_jar):
    """Between the configurations above, every type the component makes that takes tags."""
    types = set()
    for key in ENTERPRISE:
        enterprise(mocks, plugin_jar, key)
        types |= {r.typ for r in mocks.resources if r.custom and takes(r.typ, "tags")}
    assert types == {
        IDENTITY,
        CONFIGURATION_SET,
        "aws:sns/topic:Topic",
        ROLE,
        USER,
        OIDC_PROVIDER,
        ASSOCIATION,
    }


@pytest.mark.parametrize("key", ENTERPRISE)
def test_every_role_and_user_gets_the_boundary_of_its_account_and_the_path(mocks, plugin_jar, key):
    enterprise(mocks, plugin_jar, key, permissions_boundary=BOUNDARY, iam_path=PATH)
    principals = [r for r in mocks.resources if r.custom and takes(r.typ, "permissions_boundary")]
    assert principals and {r.typ for r in principals} <= {ROLE, USER}
    assert all(takes(r.typ, "path") and r.inputs["path"] == PATH for r in principals)
    # SES in the cluster's account: one account. Across accounts: the SES account's policy
    # of the boundary's path and name in the SES account, the cluster account's (the default
    # provider's, looked up: the mock's ACCOUNT) elsewhere.
    in_ses = {r.name for r in principals if r.provider}  # created through the SES provider
    for r in principals:
        account = SES_ACCOUNT if r.name in in_ses or not ENTERPRISE[key][1] else ACCOUNT
        assert r.inputs["permissionsBoundary"] == f"arn:aws:iam::{account}:policy/boundaries/athenz-mail", r.name
    if ENTERPRISE[key][1] and key != "federated-irsa":  # roles or users in both accounts
        assert {r.inputs["permissionsBoundary"].split(":")[4] for r in principals} == {SES_ACCOUNT, ACCOUNT}


def test_an_aws_managed_boundary_is_the_same_in_every_account(mocks, plugin_jar):
    managed = "arn:aws:iam::aws:policy/PowerUserAccess"
    enterprise(mocks, plugin_jar, "cross-pod-identity", permissions_boundary=managed)
    assert {r.inputs["permissionsBoundary"] for r in mocks.of_type(ROLE)} == {managed}


@pytest.mark.parametrize("key", ENTERPRISE)
def test_unset_nothing_is_tagged_bounded_or_moved(mocks, plugin_jar, key):
    enterprise(mocks, plugin_jar, key)
    assert not any({"tags", "permissionsBoundary"} & set(r.inputs) for r in mocks.resources)
    assert all("path" not in r.inputs for r in mocks.of_type(ROLE))
    assert all(r.inputs["path"] == "/athenz-ses/" for r in mocks.of_type(USER))


def test_an_adopted_identity_keeps_its_own_tags(mocks):
    build(base(credentials="access-key", existing_identities=["zms@example.com"], tags=TAGS))
    tags = {r.inputs["emailIdentity"]: r.inputs.get("tags") for r in mocks.of_type(IDENTITY)}
    assert tags == {"zms@example.com": None, "alice@example.com": TAGS}


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (dict(iam_path="teams/athenz"), "iam_path: 'teams/athenz' is not valid; expected an IAM path"),
        (dict(iam_path="/teams/athenz"), "iam_path: '/teams/athenz' is not valid; expected an IAM path"),
        (dict(iam_path="/" + "a" * 511 + "/"), "expected an IAM path: '/' or '/<path>/', at most 512 characters"),
        (dict(permissions_boundary="arn:aws:iam::111111111111:role/x"), "permissions_boundary: 'arn:aws:iam::"),
        (dict(tags={"aws:owner": "x"}), "tags: 'aws:owner' is not valid; expected tag keys of 1 to 128"),
        (dict(tags={"owner": "a" * 257}), "is not valid; expected tag values of at most 256"),
        (dict(tags={f"k{i}": "v" for i in range(51)}), "tags: 51 is not valid; expected at most 50 tags"),
    ],
)
def test_iam_paths_boundaries_and_tags_aws_would_refuse_are_refused_first(mocks, change, problem):
    with pytest.raises(ValueError, match=re.escape(problem)):
        build(base(credentials="access-key", **change))
    assert mocks.resources == []
