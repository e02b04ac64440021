"""The offline plan's one workaround around the SDK's mock engine (offline_plan/sdk_gap.py),
and a guard that nothing else reaches into the SDK's internals.

The first two tests check the SDK, not this project: each fails once the SDK closes its
gap, and then sdk_gap.py can shrink."""

from __future__ import annotations

import inspect
import re
import subprocess

import pulumi
from pulumi.runtime import MockResourceArgs

from offline_plan.engine import PROJECT_DIR, run_program
from offline_plan.sdk_gap import MOCK_RESOURCE_ARGS_FIELDS


def test_the_sdk_mock_args_still_carry_no_resource_options():
    fields = tuple(inspect.signature(MockResourceArgs.__init__).parameters)[1:]
    assert fields == MOCK_RESOURCE_ARGS_FIELDS, (
        "MockResourceArgs changed: if it now carries the resource options, "
        "record them in offline_plan.mocks and retire offline_plan/sdk_gap.py"
    )


def test_the_sdk_mock_still_registers_no_stack_exports():
    def program() -> None:
        pulumi.export("answer", 42)

    plan = run_program("gap", {}, program=program, project="gap")
    assert plan.error is None and plan.outputs == {"answer": 42}  # read by sdk_gap.stack_exports
    (root,) = [urn for urn in plan.registered_outputs if urn.endswith("::pulumi:pulumi:Stack::gap-gap")]
    assert "answer" not in plan.registered_outputs[root], (
        "the mock now registers the stack's exports: record them in RecordingMonitor and drop stack_exports"
    )


def test_nothing_else_reaches_into_the_sdk_internals():
    """No runpy of __main__.py, no private SDK name, no other MockMonitor subclass."""
    tracked = subprocess.run(
        ["git", "ls-files", "*.py"], cwd=PROJECT_DIR, capture_output=True, text=True, check=True
    ).stdout.split()
    private = re.compile(
        r"\brpc\._|pulumi\.runtime\.(settings|stack|sync_await)\b|"
        r"from pulumi\.runtime\.(settings|stack|sync_await) import|\bSETTINGS\b|\bMockMonitor\b"
    )
    runpy = re.compile(r"\brunpy\b")
    # The policy pack's test starts a copy of the pack with runpy.run_path, as the CLI's
    # `python -m pulumi.policy` does; nothing runs the program's __main__.py that way.
    allowed = {
        private: {"offline_plan/sdk_gap.py", "tests/test_sdk_gap.py"},
        runpy: {"tests/test_sdk_gap.py", "tests/test_policy_pack.py"},
    }
    found = [
        f"{path}:{n}: {line.strip()}"
        for pattern, exempt in allowed.items()
        for path in tracked
        if path not in exempt
        for n, line in enumerate((PROJECT_DIR / path).read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert not found, "\n".join(found)
