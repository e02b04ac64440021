"""The plugin, honestly: a jar that javac compiles at test time, shaped like the first
article's plugin (its SMTP endpoint and From address are compile-time constants), run
through the whole program under the mock engine.

The plan warns where the jar ignores the config, and the smoke test sends to the host
and from the address the jar really uses, so it fails where ZMS's plugin would."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from conftest import cfg
from java_fixtures import LIBRARY, NOTIFIER, jar_of

from offline_plan.engine import Plan, run_program
from policy_pack.policy_reader import as_list

FACTORY = "com.example.ses.Notifier"  # NOTIFIER's package holds the constants' class
JAR_HOST = "email-smtp.ap-northeast-1.amazonaws.com"


@pytest.fixture(scope="module")
def plugin_jar(java_classes, tmp_path_factory) -> Path:
    classes = java_classes({"com/example/ses/Notifier.java": NOTIFIER, "org/example/mail/Defaults.java": LIBRARY})
    jar = tmp_path_factory.mktemp("article-like-plugin") / "plugin.jar"
    jar.write_bytes(jar_of(classes))
    with zipfile.ZipFile(jar) as archive:  # the fixture is what it claims to be
        assert {"com/example/ses/Sender.class", "org/example/mail/Defaults.class"} <= set(archive.namelist())
    return jar


def plan_of(jar: Path, **keys) -> Plan:
    base = dict(
        aws_region="ap-northeast-1",
        notifier="plugin",
        pluginJar=str(jar),
        pluginFactoryClass=FACTORY,
        senderEmail="zms@example.com",
        recipientEmails=["alice@example.org"],
        smokeTest=True,
    )
    config = cfg(**{**base, **keys})
    plan = run_program("plugin", {k: v for k, v in config.items() if v is not None})
    assert plan.error is None, plan.error
    return plan


def assert_the_job_runs_the_jar_zms_runs(plan: Plan) -> None:
    """The smoke Job runs ZMS's notifier with the same jar mounted as the patch mounts: it
    connects to the jar's own endpoint and sends from the jar's own address."""
    (job,) = plan.of_type("kubernetes:batch/v1:Job")
    job_pod = job.inputs["spec"]["template"]["spec"]
    patch_pod = plan.one("kubernetes:apps/v1:DeploymentPatch").inputs["spec"]["template"]["spec"]
    (jar_volume,) = patch_pod["volumes"]
    (jar_mount,) = patch_pod["containers"][0]["volumeMounts"]
    assert jar_volume in job_pod["volumes"] and jar_mount in job_pod["containers"][0]["volumeMounts"]


def send_grant_senders(plan: Plan) -> list[str]:
    (policy,) = plan.of_type("aws:iam/userPolicy:UserPolicy")
    (statement,) = json.loads(policy.inputs["policy"])["Statement"]
    senders = statement["Condition"]["StringEquals"]["ses:FromAddress"]
    return sorted(as_list(senders))


def test_a_jar_that_matches_the_config_plans_without_a_warning(plugin_jar):
    plan = plan_of(plugin_jar, emailDomainTo="example.org")
    assert plan.warnings == []
    assert_the_job_runs_the_jar_zms_runs(plan)
    assert plan.outputs["smtpEndpoint"] == f"{JAR_HOST}:587"
    assert send_grant_senders(plan) == ["zms@example.com"]


def test_an_endpoint_of_another_region_is_named_and_the_smoke_test_uses_it(plugin_jar):
    plan = plan_of(plugin_jar, sesRegion="eu-west-1")
    (warning,) = plan.warnings
    assert (
        f"hard-codes SMTP endpoint '{JAR_HOST}' (com/example/ses/Sender$1.class, com/example/ses/Sender.class), "
        "but sesRegion is eu-west-1" in warning
    )
    assert "valid only in the Region" in warning
    # The SMTP password is derived for eu-west-1; the Job tries it where the plugin will.
    assert_the_job_runs_the_jar_zms_runs(plan)
    assert plan.outputs["smtpEndpoint"] == f"{JAR_HOST}:587"
    assert f"over SMTP ({JAR_HOST}:587)" in plan.outputs["sendPath"]


def test_another_from_address_is_named_and_the_smoke_test_sends_from_it(plugin_jar):
    plan = plan_of(plugin_jar, senderEmail="notifications@example.com")
    (warning,) = plan.warnings
    assert (
        "hard-codes the email address 'zms@example.com'" in warning
        and "senderEmail is notifications@example.com" in warning
    )
    # The user may send as the jar's address (what the plugin really sends from) and senderEmail.
    assert send_grant_senders(plan) == ["notifications@example.com", "zms@example.com"]
    assert_the_job_runs_the_jar_zms_runs(plan)


def test_another_recipient_domain_is_named(plugin_jar):
    plan = plan_of(plugin_jar, emailDomainTo="example.com")
    (warning,) = plan.warnings
    assert "appends the recipient domain '@example.org'" in warning and "the stack mails example.com" in warning


def test_without_email_domain_to_the_jars_domain_is_checked_against_the_sandbox_recipients(plugin_jar):
    (warning,) = plan_of(plugin_jar, recipientEmails=["alice@example.com"]).warnings
    assert "appends the recipient domain '@example.org'" in warning and "the stack mails example.com" in warning
    assert plan_of(plugin_jar, recipientEmails=["alice@example.org"]).warnings == []


def test_strings_of_a_shaded_library_are_not_the_plugins(plugin_jar):
    plan = plan_of(plugin_jar)
    assert not any("us-west-2" in w or "postmaster" in w for w in plan.warnings)
    assert plan.outputs["smtpEndpoint"] == f"{JAR_HOST}:587"
