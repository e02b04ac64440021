"""The offline plan command and the stack files it reads."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile

import pytest
import yaml
from conftest import CommandResult, golden_command, offline_plan

from offline_plan.engine import PROJECT_DIR, reveal
from offline_plan.render import redact
from offline_plan.stackfile import StackFileError, stack_config
from offline_plan.stacks import committed_stacks, plan_stack, unbuilt_jar

STACKS = committed_stacks()


def test_pulumi_yaml_only_declares_keys_the_cli_can_satisfy():
    """A declared key without a default is required by the CLI: only senderEmail may be."""
    config = yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text())["config"]
    assert [key for key, spec in config.items() if "default" not in spec] == ["senderEmail"]
    assert all(spec.get("description") for spec in config.values())


def test_stack_files_are_read_as_the_cli_reads_them(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text(
        "name: athenz-ses\nconfig:\n  sandbox:\n    type: boolean\n    default: true\n"
    )
    (tmp_path / "Pulumi.x.yaml").write_text(
        "config:\n  athenz-ses:notifier: on\n  aws:allowedAccountIds: ['111111111111']\n"
        "  clusterAccountId: 111111111111\n  athenz-ses:createOidcProvider: false\n"
    )
    config = stack_config("x", project_dir=tmp_path)
    assert config == {
        "athenz-ses:sandbox": "true",
        "athenz-ses:notifier": "on",  # YAML 1.2: not a boolean
        "aws:allowedAccountIds": '["111111111111"]',
        "athenz-ses:clusterAccountId": "111111111111",  # an unquoted number becomes its digits
        "athenz-ses:createOidcProvider": "false",
    }


@pytest.mark.parametrize("stack", STACKS)
def test_every_committed_stack_renders(stack, tmp_path):
    out = tmp_path / stack
    result = offline_plan(stack, "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "planned " in result.stdout
    summary = (out / "summary.md").read_text()
    assert "| resource | type | account | Region |" in summary
    for path in (out / "policies").glob("*.json"):
        json.loads(path.read_text())
    for path in (out / "kubernetes").glob("*.yaml"):
        assert yaml.safe_load(path.read_text())["metadata"]["namespace"] == "athenz"
    outputs = yaml.safe_load((out / "outputs.yaml").read_text())
    # The sender identity: the domain of the sender when the stack sends as its domain.
    stack_config = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())["config"]
    identity = stack_config.get("athenz-ses:senderDomain") or stack_config["athenz-ses:senderEmail"]
    assert outputs["senderIdentityArn"].endswith(f":identity/{identity}")


def test_dev_plan_shows_every_policy_and_the_send_path(tmp_path):
    """The one test that runs `python -m offline_plan` as a user does, in a fresh interpreter
    (every other test calls its main() in this process: see conftest.run_command)."""
    out = tmp_path / "dev"
    subprocess.run(
        [sys.executable, "-m", "offline_plan", "dev", "--out", str(out)],
        cwd=PROJECT_DIR,
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert sorted(p.name for p in (out / "policies").iterdir()) == [
        "athenz-ses-zms-irsa-role.assumeRolePolicy.json",
        "athenz-ses-zms-irsa-send.policy.json",
    ]
    assert sorted(p.name for p in (out / "kubernetes").iterdir()) == [
        "DeploymentPatch-athenz-ses-zms-deployment-patch.yaml",
        "ServiceAccount-athenz-ses-zms-service-account.yaml",
    ]
    summary = (out / "summary.md").read_text()
    lines = summary.splitlines()
    # The title, the diagram (issue 11: summary.md starts with it), then the send path.
    assert lines[2] == "```mermaid"
    after_diagram = lines.index("```", 3) + 2
    assert lines[after_diagram] == (
        "Send path: ZMS sends with the built-in SES notifier (SES v2 API) as ServiceAccount athenz/athenz-ses-dev "
        "through IRSA (role in account 222222222222), as identity zms@example.com of account 222222222222 in eu-west-1."
    )
    # IAM is global: no Region. The SES provider is not a resource (nothing to delete).
    assert (
        "| athenz-ses-oidc | aws:iam/openIdConnectProvider:OpenIdConnectProvider | 222222222222 | - | deleted |"
        in summary
    )
    assert "| athenz-ses-zms-irsa-role | aws:iam/role:Role | 222222222222 | - | deleted |" in summary
    assert "| ses | pulumi:providers:aws |" not in summary and "- `ses`: account 222222222222, eu-west-1" in lines
    assert "## Warnings" not in summary
    # The look-ups a real preview makes, each with what it needs.
    lookups = lines[lines.index("## Look-ups a real preview makes") + 2 :]
    assert lookups[0] == (
        "- `index/getCallerIdentity` in account 111111111111, eu-west-1: needs the default AWS credentials, "
        "of the cluster account"
    )
    assert "- `Deployment` athenz/athenz-zms-server in the cluster: needs ZMS's Deployment" in summary
    # It ends with the next steps after `pulumi up` (outputs.yaml's nextSteps).
    steps = yaml.safe_load((out / "outputs.yaml").read_text())["nextSteps"].splitlines()
    assert lines[-len(steps) - 2 :] == ["## Next steps after `pulumi up`", "", *steps]


def test_local_plan_hides_the_access_key(tmp_path):
    out = tmp_path / "local"
    result = offline_plan("local", "--out", str(out))
    assert result.returncode == 0, result.stderr
    # No clusterAccountId: the account the plan assumed is said.
    assert (
        "- clusterAccountId is unset: the default AWS credentials are taken to be account 111111111111"
        in (out / "summary.md").read_text()
    )
    secret = yaml.safe_load((out / "kubernetes" / "Secret-athenz-ses-zms-aws-secret.yaml").read_text())
    assert secret["metadata"]["name"].startswith("athenz-ses-local-aws-")
    assert secret["stringData"] == "[secret]"
    everything = "".join(p.read_text() for p in out.rglob("*") if p.is_file())
    assert "mock-smtp-password" not in everything and "mock-secret-access-key" not in everything


def test_plugin_plan_ships_the_jar_as_binary_data(tmp_path):
    out = tmp_path / "plugin"
    result = offline_plan("plugin", "--out", str(out))
    assert result.returncode == 0, result.stderr
    config_map = yaml.safe_load((out / "kubernetes" / "ConfigMap-athenz-ses-zms-plugin.yaml").read_text())
    assert (
        config_map["binaryData"]["ses-plugin.jar"].startswith("<")
        and "sha256:" in config_map["binaryData"]["ses-plugin.jar"]
    )
    assert (
        yaml.safe_load((out / "kubernetes" / "Secret-athenz-ses-zms-smtp-secret.yaml").read_text())["stringData"]
        == "[secret]"
    )


def test_missing_jar_is_planned_with_a_placeholder_and_said_so(tmp_path):
    result = offline_plan("plugin", "--out", str(tmp_path / "p"))
    jar = stack_config("plugin")["athenz-ses:pluginJar"]
    if (PROJECT_DIR / jar).is_file():
        pytest.skip("the plugin is built in this checkout")
    assert f"warning: pluginJar {jar} is not built: planned with a placeholder jar" in result.stdout
    summary = (tmp_path / "p" / "summary.md").read_text()
    assert "## What the offline plan substituted" in summary and f"pluginJar {jar} is not built" in summary


# --- the output folder: only ever the offline plan's own -------------------------------------


def run_plan(*args: str) -> CommandResult:
    return offline_plan(*args)


@pytest.mark.parametrize("out", [".", "..", str(PROJECT_DIR)])
def test_the_project_folder_and_its_parents_are_refused(out):
    before = sorted(p.name for p in PROJECT_DIR.iterdir())
    result = run_plan("local", "--out", out)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert (
        result.stderr.strip()
        == f"error: {out} is the project's folder or above it: choose a folder of its own, such as build/plan/<stack>"
    )
    assert sorted(p.name for p in PROJECT_DIR.iterdir()) == before


def test_a_folder_with_files_it_did_not_write_is_refused_and_left_alone(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    result = run_plan("local", "--out", str(tmp_path))
    assert result.returncode == 2 and "it never deletes what it did not write" in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_writing_again_replaces_only_its_own_files(tmp_path):
    out = tmp_path / "plan"
    assert run_plan("plugin", "--out", str(out)).returncode == 0
    (out / "notes.txt").write_text("mine")
    (out / "kubernetes" / "extra.yaml").write_text("mine too")
    assert run_plan("local", "--out", str(out)).returncode == 0
    assert (out / "notes.txt").read_text() == "mine" and (out / "kubernetes" / "extra.yaml").read_text() == "mine too"
    # The plugin's ConfigMap went with its plan; local's Secret came with its own.
    assert not (out / "kubernetes" / "ConfigMap-athenz-ses-zms-plugin.yaml").exists()
    assert (out / "kubernetes" / "Secret-athenz-ses-zms-aws-secret.yaml").is_file()
    listed = (out / ".athenz-ses-plan").read_text().splitlines()
    assert "kubernetes/Secret-athenz-ses-zms-aws-secret.yaml" in listed and "notes.txt" not in listed


# --- stack files of your own -------------------------------------------------------------------


def own_stack(tmp_path, text: str) -> None:
    shutil.copy(PROJECT_DIR / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "Pulumi.prod.yaml").write_text(text)


def test_a_stack_file_with_encrypted_values_plans_with_placeholders_kept_secret(tmp_path):
    own_stack(
        tmp_path,
        (PROJECT_DIR / "Pulumi.dev.yaml")
        .read_text()
        .replace(
            "athenz-ses:sesRoleArn: arn:aws:iam::222222222222:role/athenz-ses-deployer",
            "athenz-ses:sesRoleArn:\n    secure: v1:c2VjcmV0:AAAABBBBCCCC",
        ),
    )
    planned = plan_stack("prod", stack_dir=tmp_path)
    assert planned.plan.error is None, planned.plan.error
    assert planned.notes == [
        "athenz-ses:sesRoleArn is encrypted in Pulumi.prod.yaml: planned with a placeholder, as a secret"
    ]
    provider = planned.plan.one("pulumi:providers:aws").inputs
    # The placeholder reaches the provider, as a secret, and shows nowhere in plain text.
    assert "arn:aws:iam::222222222222:role/encrypted-in-stack-file" in json.dumps(reveal(provider))
    assert "encrypted-in-stack-file" not in json.dumps(redact(provider))
    assert "encrypted-in-stack-file" not in json.dumps(redact(planned.plan.outputs))
    assert planned.plan.warnings == []


def test_a_mistyped_jar_next_to_built_ones_is_named_not_replaced_by_the_placeholder(tmp_path):
    jars = tmp_path / "plugin" / "target"
    jars.mkdir(parents=True)
    (jars / "ses-notification-plugin-1.0.0.jar").write_bytes(b"")
    own_stack(tmp_path, (PROJECT_DIR / "Pulumi.plugin.yaml").read_text().replace("1.0.0.jar", "1.0.O.jar"))
    assert unbuilt_jar("plugin/target/ses-notification-plugin-1.0.O.jar", tmp_path) is False
    assert unbuilt_jar("plugin/target/never-built.jar", PROJECT_DIR / "no-such-folder") is True


def test_an_error_never_shows_the_placeholders_temporary_path():
    planned = plan_stack("plugin", config={"athenz-ses:notifier": "builtin"})
    message = str(planned.plan.error)
    assert "pluginJar: 'plugin/target/ses-notification-plugin-1.0.0.jar'" in message
    assert tempfile.gettempdir() not in message and "placeholder-plugin.jar" not in message


def test_symbolic_links_in_the_output_folder_are_refused_and_nothing_is_written_through_them(tmp_path):
    out, victim = tmp_path / "plan", tmp_path / "victim.txt"
    victim.write_text("mine")
    assert run_plan("local", "--out", str(out)).returncode == 0
    (out / "summary.md").unlink()
    (out / "summary.md").symlink_to(victim)
    result = run_plan("local", "--out", str(out))
    assert result.returncode == 2 and "symbolic link" in result.stderr and "Traceback" not in result.stderr
    assert victim.read_text() == "mine"
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    assert run_plan("local", "--out", str(link)).returncode == 2 and not (tmp_path / "elsewhere").exists()


def test_folders_it_did_not_fill_are_left_even_when_empty(tmp_path):
    out = tmp_path / "plan"
    assert run_plan("local", "--out", str(out)).returncode == 0
    (out / "mine").mkdir()
    assert run_plan("plugin", "--out", str(out)).returncode == 0
    assert (out / "mine").is_dir()


def test_the_golden_plans_are_refused_as_an_output_folder():
    before = (PROJECT_DIR / "plans" / "dev" / "summary.md").read_text()
    result = run_plan("local", "--out", "plans/dev")
    assert result.returncode == 2 and "among the golden plans" in result.stderr
    assert (PROJECT_DIR / "plans" / "dev" / "summary.md").read_text() == before


def test_golden_regeneration_leaves_foreign_folders_alone_and_refuses_a_mistyped_stack(tmp_path):
    (tmp_path / "Documents").mkdir()
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "cat.jpg").write_bytes(b"")
    result = golden_command("--out", str(tmp_path), "--add", "prodd")
    assert (
        result.returncode == 2
        and "no stack file Pulumi.prodd.yaml" in result.stderr
        and "Traceback" not in result.stderr
    )
    result = golden_command("--out", str(tmp_path), "--add", "local")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "Documents").is_dir() and (tmp_path / "photos" / "cat.jpg").is_file()
    assert (tmp_path / "local" / ".athenz-ses-plan").is_file()


def test_a_stack_file_that_is_not_yaml_is_one_clear_error_that_says_where(tmp_path):
    own_stack(tmp_path, "config:\n  athenz-ses:senderEmail: zms@example.com\n  athenz-ses:recipientEmails: [\n")
    with pytest.raises(StackFileError, match="Pulumi.prod.yaml is not valid YAML") as raised:
        plan_stack("prod", stack_dir=tmp_path)
    assert "line 4, column 1" in str(raised.value) and "expected the node content" in str(raised.value)


def test_a_stack_file_that_is_not_a_mapping_is_one_clear_error(tmp_path):
    own_stack(tmp_path, "config:\n  - not a mapping\n")
    with pytest.raises(StackFileError, match="expected a mapping"):
        plan_stack("prod", stack_dir=tmp_path)


def test_the_summary_says_what_destroy_really_does(stack_plans):
    """The account suppression setting survives destroy (its provider's delete is a no-op),
    an email subscription still pending goes with its topic, the patch gives its fields up."""
    from offline_plan.render import summary

    rows = {
        line.split(" | ")[0].removeprefix("| "): line.rsplit(" | ", 1)[1].removesuffix(" |")
        for line in summary(stack_plans["prod"]).splitlines()
        if line.startswith("| ") and " | " in line
    }
    assert rows["athenz-ses-bounces-account-suppression"] == "kept (an account setting; delete is a no-op)"
    assert rows["athenz-ses-bounces-notify-mail-admins@example.com"].startswith(
        "deleted (if still pending confirmation"
    )
    assert rows["athenz-ses-zms-deployment-patch"] == "fields given up"
    assert rows["athenz-ses-ses-sender-domain"] == rows["athenz-ses-sender-dns-dkim-1"] == "deleted"


def test_a_refused_config_removes_the_earlier_plan_of_its_folder_and_nothing_else(tmp_path):
    """Reading an old summary.md after fixing a typo would mislead: the plan's own files go,
    a folder the plan does not own is left as it is."""
    out = tmp_path / "local"
    assert offline_plan("local", "--out", str(out)).returncode == 0
    refused = offline_plan("local", "--out", str(out), "--config", "senderEmail=zms-at-example.com")
    assert refused.returncode == 1
    assert "removed the earlier plan" in refused.stderr and not out.exists()
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    refused = offline_plan("local", "--out", str(foreign), "--config", "senderEmail=zms-at-example.com")
    assert refused.returncode == 1 and (foreign / "notes.txt").read_text() == "mine"
