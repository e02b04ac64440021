"""Bad config stops the program with one message naming the key, the value and what is
expected, before any resource is registered."""

from __future__ import annotations

import pulumi
import pytest
from conftest import config_error, offline_plan

from athenz_ses.ses_endpoints import ses_partitions
from offline_plan.engine import run_program
from program.settings import ConfigError, ConfigErrors

CASES = {
    # class: (base scenario, change, key, expected words)
    "malformed email": ("kind-smtp", {"athenz-ses:senderEmail": "zms.example.com"}, "senderEmail", "email address"),
    "malformed recipient": (
        "kind-smtp",
        {"athenz-ses:recipientEmails": '["alice@example"]'},
        "recipientEmails",
        "email address",
    ),
    "recipients not a list": (
        "kind-smtp",
        {"athenz-ses:recipientEmails": "alice@example.com"},
        "recipientEmails",
        "list of email addresses",
    ),
    "account id not 12 digits": (
        "same-account-irsa",
        {"athenz-ses:clusterAccountId": "12345678901"},
        "clusterAccountId",
        "12-digit",
    ),
    "ses account id not 12 digits": (
        "cross-sending-authorization",
        {"athenz-ses:sesAccountId": "22222222222a"},
        "sesAccountId",
        "12-digit",
    ),
    "issuer not https": (
        "same-account-irsa",
        {"athenz-ses:oidcIssuerUrl": "http://oidc.eks.eu-west-1.amazonaws.com/id/X"},
        "oidcIssuerUrl",
        "https://",
    ),
    "namespace not a DNS label": ("same-account-irsa", {"athenz-ses:namespace": "Athenz_NS"}, "namespace", "DNS label"),
    "unknown mode": (
        "cross-sending-authorization",
        {"athenz-ses:crossAccountMode": "assume-role"},
        "crossAccountMode",
        "federated-role, sending-authorization",
    ),
    "unknown notifier": ("kind-smtp", {"athenz-ses:notifier": "sendgrid"}, "notifier", "builtin, plugin"),
    "not a boolean": ("kind-smtp", {"athenz-ses:sandbox": "yes"}, "sandbox", "true or false"),
    "missing jar": ("kind-smtp", {"athenz-ses:pluginJar": "plugin/target/missing.jar"}, "pluginJar", "no such file"),
    "missing sender": ("kind-smtp", {"athenz-ses:senderEmail": None}, "senderEmail", "email address"),
    "pod identity without a cluster": (
        "same-account-pod-identity",
        {"athenz-ses:eksClusterName": None, "athenz-ses:credentials": "pod-identity"},
        "eksClusterName",
        "the EKS cluster ZMS runs on",
    ),
    "pod identity by default on kind": (
        "same-account-pod-identity",
        {"kubernetes:context": "kind-athenz"},
        "eksClusterName",
        "only exists on EKS",
    ),
    "pod identity on kind": (
        "cross-pod-identity",
        {"kubernetes:context": "kind-athenz"},
        "credentials",
        "only exists on EKS",
    ),
    "cluster name not an EKS name": (
        "same-account-pod-identity",
        {"athenz-ses:eksClusterName": "-prod"},
        "eksClusterName",
        "EKS cluster name",
    ),
    "pod identity with sending authorization": (
        "cross-pod-identity",
        {"athenz-ses:crossAccountMode": "sending-authorization"},
        "crossAccountMode",
        "chain into a target role of the SES account",
    ),
    "builtin IRSA with sending authorization": (
        "cross-federated-irsa",
        {"athenz-ses:crossAccountMode": "sending-authorization"},
        "crossAccountMode",
        "cannot name a source identity ARN",
    ),
    "IRSA without an issuer": (
        "kind-access-key",
        {"athenz-ses:credentials": "irsa"},
        "oidcIssuerUrl",
        "credentials=irsa",
    ),
    "builtin without emailDomainTo": (
        "kind-access-key",
        {"athenz-ses:emailDomainTo": None},
        "emailDomainTo",
        "alice@null",
    ),
    "unknown credentials": (
        "kind-access-key",
        {"athenz-ses:credentials": "password"},
        "credentials",
        "irsa, pod-identity, access-key",
    ),
    "plugin with other credentials": (
        "kind-smtp",
        {"athenz-ses:credentials": "access-key"},
        "credentials",
        "smtp (or unset) with notifier=plugin",
    ),
    "builtin with a jar": (
        "cross-federated-irsa",
        {"athenz-ses:pluginJar": "x.jar"},
        "pluginJar",
        "unset with notifier=builtin",
    ),
    "retired smtpCredentials": (
        "kind-smtp",
        {"athenz-ses:smtpCredentials": "true"},
        "smtpCredentials",
        "credentials=smtp comes with notifier=plugin",
    ),
    "delegated senders without an issuer": (
        "kind-access-key",
        {"athenz-ses:senderServiceAccounts": '["mailer/reports"]'},
        "oidcIssuerUrl",
        "delegated senders get IRSA roles",
    ),
    "delegated sender not namespace/name": (
        "same-account-irsa",
        {"athenz-ses:senderServiceAccounts": '["reports"]'},
        "senderServiceAccounts",
        "namespace/name",
    ),
    "delegated sender is ZMS": (
        "same-account-irsa",
        {"athenz-ses:senderServiceAccounts": '["athenz/athenz-ses-bad"]'},
        "senderServiceAccounts",
        "not ZMS's own",
    ),
    "delegated senders not a list": (
        "same-account-irsa",
        {"athenz-ses:senderServiceAccounts": "mailer/reports"},
        "senderServiceAccounts",
        "a list of",
    ),
    "other account, no way in": (
        "cross-sending-authorization",
        {"athenz-ses:sesRoleArn": None},
        "sesRoleArn",
        "reaches SES account",
    ),
    "role of another account": (
        "cross-sending-authorization",
        {"athenz-ses:sesRoleArn": "arn:aws:iam::333333333333:role/x"},
        "sesRoleArn",
        "role in the SES account",
    ),
    "role and profile": (
        "cross-sending-authorization",
        {"athenz-ses:sesProfile": "ses"},
        "sesProfile",
        "use one of them",
    ),
    "sender among recipients": (
        "kind-smtp",
        {"athenz-ses:recipientEmails": '["zms@example.com"]'},
        "recipientEmails",
        "not the athenz-ses:senderEmail",
    ),
    "region": ("kind-smtp", {"aws:region": "Europe"}, "aws:region", "AWS Region"),
    "smoke test not a boolean": ("kind-smtp", {"athenz-ses:smokeTest": "yes"}, "smokeTest", "true or false"),
    # Typos outside the project's keys: a namespace one edit away, and keys the providers lack.
    "namespace one edit away": (
        "kind-smtp",
        {"athenz-sess:sandbox": "false"},
        "athenz-sess:sandbox",
        "a key of athenz-ses:, not athenz-sess:; a key this project knows (Pulumi.yaml lists them, "
        "docs/configuration.md explains them); did you mean athenz-ses:sandbox?",
    ),
    "aws key the provider lacks": (
        "kind-smtp",
        {"aws:regoin": "eu-west-1"},
        "aws:regoin",
        "a setting of the aws provider (its ProviderArgs); did you mean aws:region?",
    ),
    "kubernetes key the provider lacks": (
        "kind-smtp",
        {"kubernetes:contxt": "kind-athenz"},
        "kubernetes:contxt",
        "a setting of the kubernetes provider (its ProviderArgs); did you mean kubernetes:context?",
    ),
}


def bad(configs, base: str, change: dict) -> dict:
    config = {**configs[base], **change}
    return {k: v for k, v in config.items() if v is not None}


@pytest.mark.parametrize("case", CASES)
def test_bad_value_is_one_clear_error_before_any_resource(configs, case):
    base, change, key, expected = CASES[case]
    plan = run_program("bad", bad(configs, base, change))
    assert isinstance(plan.error, ConfigError), plan.error
    # pulumi.RunError: the CLI prints the message alone, without a traceback.
    assert isinstance(plan.error, pulumi.RunError)
    full_key = key if ":" in key else f"athenz-ses:{key}"
    message = str(plan.error)
    assert message.startswith(f"config {full_key}: ")
    assert expected in message
    value = change.get(full_key)
    shown = repr(value) if value is not None else "(not set)"
    assert shown in message or repr(plan.error.value) in message
    assert plan.resources == []


def test_long_values_are_shortened_in_the_message(configs):
    plan = run_program("bad", bad(configs, "kind-smtp", {"athenz-ses:senderEmail": "x" * 500}))
    assert len(str(plan.error)) < 250


def test_oversized_jar_is_refused(configs, tmp_path):
    jar = tmp_path / "big.jar"
    jar.write_bytes(b"\0" * (1024 * 1024))
    plan = run_program("bad", bad(configs, "kind-smtp", {"athenz-ses:pluginJar": str(jar)}))
    assert config_error(plan).key == "athenz-ses:pluginJar" and f"{1024 * 1024} bytes" in str(plan.error)
    assert plan.resources == []


def test_a_plugin_jar_that_is_not_a_jar_is_refused(configs, tmp_path):
    jar = tmp_path / "plugin.jar"
    jar.write_bytes(b"not a zip archive")
    plan = run_program("bad", bad(configs, "kind-smtp", {"athenz-ses:pluginJar": str(jar)}))
    assert config_error(plan).key == "athenz-ses:pluginJar"
    assert "a jar of class files" in str(plan.error)
    assert plan.resources == []


def test_offline_plan_reports_a_bad_stack_without_a_traceback(tmp_path):
    result = offline_plan("local", "--out", str(tmp_path / "plan"), "--config", "athenz-ses:namespace=Not_A_Label")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stderr.strip().splitlines() == [
        "error: config athenz-ses:namespace: 'Not_A_Label' is not valid; expected a Kubernetes namespace name "
        "(a DNS label: lower case letters, digits and '-', at most 63)"
    ]
    assert not (tmp_path / "plan").exists()


# --- every bad key at once, unknown keys, Regions, YAML numbers -------------------------------


def test_every_bad_key_is_reported_at_once_one_line_each_in_key_order(configs):
    plan = run_program(
        "bad",
        bad(
            configs,
            "kind-access-key",
            {
                "athenz-ses:sandbox": "yes",
                "athenz-ses:senderEmail": "zms.example.com",
                "athenz-ses:namespace": "Not_A_Label",
                "athenz-ses:sandBox": "false",
            },
        ),
    )
    assert isinstance(plan.error, ConfigErrors) and isinstance(plan.error, pulumi.RunError)
    lines = str(plan.error).splitlines()
    assert [line.split(":", 2)[1].split(" ")[0] for line in lines] == ["namespace", "sandBox", "sandbox", "senderEmail"]
    assert all(line.startswith("config athenz-ses:") and "expected" in line for line in lines)
    assert plan.resources == []


@pytest.mark.parametrize(
    "key,suggested", [("sandBox", "sandbox"), ("senderEmal", "senderEmail"), ("notifer", "notifier"), ("zzz", None)]
)
def test_an_unknown_key_is_an_error_that_suggests_the_closest_known_key(configs, key, suggested):
    plan = run_program("bad", bad(configs, "kind-access-key", {f"athenz-ses:{key}": "false"}))
    assert isinstance(plan.error, ConfigError) and config_error(plan).key == f"athenz-ses:{key}"
    hint = f"did you mean athenz-ses:{suggested}?"
    assert (hint in str(plan.error)) == (suggested is not None), str(plan.error)
    assert plan.resources == []


@pytest.mark.parametrize(
    "change,key",
    [
        ({"athenz-ses:sesRegion": "us-fake-9"}, "athenz-ses:sesRegion"),
        ({"athenz-ses:sesRegion": "cn-north-1"}, "athenz-ses:sesRegion"),  # a real Region without SES
        ({"aws:region": "cn-north-1"}, "aws:region"),  # SES in the cluster's Region by default
    ],
)
def test_ses_region_must_offer_ses_according_to_botocore(configs, change, key):
    plan = run_program("bad", bad(configs, "kind-access-key", change))
    assert isinstance(plan.error, ConfigError) and config_error(plan).key == key
    assert "SES is not offered in" in str(plan.error)


def test_ses_region_stays_in_the_partition_of_the_cluster(configs):
    plan = run_program("bad", bad(configs, "kind-access-key", {"athenz-ses:sesRegion": "us-gov-west-1"}))
    assert config_error(plan).key == "athenz-ses:sesRegion" and "cannot span partitions" in str(plan.error)
    gov = run_program(
        "gov", bad(configs, "kind-access-key", {"aws:region": "us-gov-east-1", "athenz-ses:sesRegion": "us-gov-west-1"})
    )
    assert gov.error is None


def test_ses_regions_come_from_botocore_and_include_the_usual_ones():
    regions = set(ses_partitions())
    assert {"eu-west-1", "us-east-1", "ap-northeast-1", "us-gov-west-1"} <= regions
    assert "us-fake-9" not in regions and "cn-north-1" not in regions


def test_an_account_id_yaml_read_as_a_number_gets_a_hint_to_quote_it(configs):
    # `sesAccountId: 022222222222` unquoted: YAML 1.1 reads octal 2454267026.
    plan = run_program("bad", bad(configs, "cross-sending-authorization", {"athenz-ses:sesAccountId": "2454267026"}))
    assert config_error(plan).key == "athenz-ses:sesAccountId"
    assert "'2454267026'" in str(plan.error) and 'write the id in quotes, such as "022222222222"' in str(plan.error)


def test_offline_plan_prints_each_bad_key_on_its_own_line(tmp_path):
    result = offline_plan(
        "local",
        "--out",
        str(tmp_path / "plan"),
        "--config",
        "athenz-ses:namespace=Not_A_Label",
        "--config",
        "athenz-ses:sandBox=false",
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2 and all(line.startswith("error: config athenz-ses:") for line in lines)
    assert "athenz-ses:namespace" in lines[0] and "did you mean athenz-ses:sandbox?" in lines[1]


def test_a_mistyped_jar_path_names_the_jars_of_its_folder(configs, tmp_path):
    (tmp_path / "ses-notification-plugin-1.0.0.jar").write_bytes(b"")
    plan = run_program(
        "bad", bad(configs, "kind-smtp", {"athenz-ses:pluginJar": str(tmp_path / "ses-notification-plugin-1.0.O.jar")})
    )
    assert config_error(plan).key == "athenz-ses:pluginJar"
    assert "no such file, but its folder holds ses-notification-plugin-1.0.0.jar: a typo?" in str(plan.error)
