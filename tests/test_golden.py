"""The committed golden plans in plans/<stack>/ are what the program plans now."""

from __future__ import annotations

import copy
import json

import pytest

from offline_plan.golden import GOLDEN_DIR, diff_plan, golden_plan, golden_stacks, regenerate
from offline_plan.stacks import committed_stacks

REGENERATE = "python -m offline_plan.golden"


@pytest.mark.parametrize("stack", golden_stacks())
def test_the_golden_plan_is_up_to_date(stack_plans, stack, tmp_path):
    diff = diff_plan(GOLDEN_DIR / stack, stack_plans[stack], tmp_path, label=f"plans/{stack}")
    assert not diff, f"the plan of stack {stack} changed; review the diff, then run `{REGENERATE}`:\n{diff}"


def test_the_committed_stacks_have_golden_plans_and_each_golden_plan_a_stack_file():
    """A stack file of your own (Pulumi.prod.yaml) needs no golden plan; --add gives it one."""
    assert {"dev", "local", "plugin"} <= set(golden_stacks())
    assert set(golden_stacks()) <= set(committed_stacks())


def test_a_policy_change_fails_until_regenerated(stack_plans, tmp_path):
    plan = copy.deepcopy(stack_plans["dev"])
    policy = next(r for r in plan.resources if r.type == "aws:iam/rolePolicy:RolePolicy")
    document = json.loads(policy.inputs["policy"])
    document["Statement"][0]["Action"] = ["ses:SendRawEmail"]
    policy.inputs["policy"] = json.dumps(document)

    diff = diff_plan(GOLDEN_DIR / "dev", plan, tmp_path / "now", label="plans/dev")
    assert "--- plans/dev/policies/athenz-ses-zms-irsa-send.policy.json\n" in diff
    assert '-        "ses:SendEmail",\n' in diff, diff
    # The policy file, and the summary's diagram, whose edges name the actions.
    assert [line for line in diff.splitlines() if line.startswith("--- ")] == [
        "--- plans/dev/policies/athenz-ses-zms-irsa-send.policy.json",
        "--- plans/dev/summary.md",
    ]
    assert '"may send as: ses:SendRawEmail"' in diff

    # Regenerating (into a tmp copy, with the changed plan as the program's) makes it pass.
    regenerated = tmp_path / "plans"
    regenerate(regenerated, plan_of=lambda stack: plan if stack == "dev" else stack_plans[stack], add=golden_stacks())
    assert diff_plan(regenerated / "dev", plan, tmp_path / "after") == ""
    assert diff_plan(regenerated / "dev", stack_plans["dev"], tmp_path / "before") != ""


def test_the_golden_plan_does_not_depend_on_a_built_jar(tmp_path):
    """Planned twice, the same files: the placeholder jar always stands in."""
    again = golden_plan("local")
    assert diff_plan(GOLDEN_DIR / "local", again, tmp_path) == ""


def test_every_committed_stack_plans_without_a_warning(stack_plans):
    """The committed stacks are configurations that deliver: nothing to warn about."""
    committed = golden_stacks()
    assert {stack: stack_plans[stack].warnings for stack in committed} == {stack: [] for stack in committed}
    paths = {stack: plan.outputs["sendPath"] for stack, plan in stack_plans.items()}
    assert "built-in SES notifier (SES v2 API) as ServiceAccount athenz/athenz-ses-dev through IRSA" in paths["dev"]
    assert "built-in SES notifier (SES v2 API) with the access key of an IAM user" in paths["local"]
    assert "plugin com.mlajkim.athenz.AwsSesPlugin over SMTP" in paths["plugin"]
