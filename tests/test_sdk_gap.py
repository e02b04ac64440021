"""The offline plan's one workaround around the SDK's mock engine (offline_plan/sdk_gap.py),
and a guard that nothing else reaches into the SDK's internals.

The first two tests check the SDK, not this project: each fails once the SDK closes its
gap, and then sdk_gap.py can shrink."""

from __future__ import annotations

import gc
import inspect
import logging
import re
import subprocess

import pulumi
from pulumi.runtime import MockCallArgs, MockResourceArgs, Mocks
from pulumi.runtime.mocks import MockMonitor

from offline_plan.engine import PROJECT_DIR, run_program
from offline_plan.sdk_gap import MOCK_RESOURCE_ARGS_FIELDS, collect_failed_registrations


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


def _failing_program() -> None:
    def fail(_: object) -> str:
        raise ValueError("gap: a failed input")

    pulumi.CustomResource("gap:index:Thing", "thing", {"value": pulumi.Output.from_input(1).apply(fail)})


def _never_retrieved_after_collection() -> list[str]:
    """What asyncio logs as "never retrieved" when garbage is collected now."""
    seen: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())

    asyncio_log = logging.getLogger("asyncio")
    handler = Keep()
    asyncio_log.addHandler(handler)
    try:
        gc.collect()
    finally:
        asyncio_log.removeHandler(handler)
    return [message for message in seen if "never retrieved" in message]


def test_a_failed_input_still_leaves_its_registrations_futures_unretrieved(monkeypatch):
    """The fourth gap: the program gets the error, yet asyncio would log it again, at exit,
    for every future of the registration. The control fails once the SDK retrieves them
    itself; then collect_failed_registrations can go."""
    gc.collect()
    plan = run_program("gap", {}, program=_failing_program, project="gap")
    assert plan.error is not None and "gap: a failed input" in str(plan.error)
    assert _never_retrieved_after_collection() == []  # run_program collected them quietly

    monkeypatch.setattr("offline_plan.engine.collect_failed_registrations", lambda: None)
    plan = run_program("gap", {}, program=_failing_program, project="gap")
    assert plan.error is not None
    assert _never_retrieved_after_collection(), (
        "the SDK now retrieves a failed registration's futures: drop collect_failed_registrations"
    )


def test_a_run_is_collected_after_only_when_it_or_the_run_before_failed_with_a_resource_constructed(monkeypatch):
    """A full collection is slow: run_program collects after a run that failed with a
    resource constructed and after the next run (when the SDK lets go of the failed one's
    outputs), never after a program that stopped before its first resource, which leaves
    no future to collect, even once the SDK lets go of its outputs."""
    run_program("gap", {}, program=lambda: None, project="gap")  # collects what an earlier test left
    collections: list[str] = []
    monkeypatch.setattr("offline_plan.engine.collect_failed_registrations", lambda: collections.append("collected"))
    refused = run_program("gap", {"athenz-ses:senderEmail": "not an address"})
    assert refused.error is not None and refused.resources == []
    run_program("gap", {}, program=lambda: None, project="gap")  # the SDK lets go of the refused run
    assert collections == []
    assert _never_retrieved_after_collection() == []

    failed = run_program("gap", {}, program=_failing_program, project="gap")  # its one resource fails
    assert failed.error is not None and failed.resources == []
    assert collections == ["collected"]
    del failed  # its error's traceback holds the futures
    run_program("gap", {}, program=lambda: None, project="gap")
    assert collections == ["collected", "collected"]
    assert run_program("gap", {}, program=lambda: None, project="gap").error is None
    assert collections == ["collected", "collected"]
    collect_failed_registrations()  # what the stand-in did not, quietly


class _Component(pulumi.ComponentResource):
    def __init__(self, type_: str, name: str, opts: pulumi.ResourceOptions | None = None):
        super().__init__(type_, name, None, opts)


def test_the_plan_names_nested_resources_as_the_engine_does_and_the_sdk_mock_still_does_not():
    seen: dict[str, str] = {}

    def program() -> None:
        outer = _Component("x:index:Outer", "outer")
        inner = _Component("x:index:Inner", "inner", pulumi.ResourceOptions(parent=outer))
        pulumi.CustomResource("x:index:Thing", "thing", {}, pulumi.ResourceOptions(parent=inner))
        inner.urn.apply(lambda urn: seen.setdefault("inner", urn))

    plan = run_program("gap", {}, program=program, project="gap")
    assert plan.error is None, plan.error
    (thing,) = [r for r in plan.resources if r.name == "thing"]
    # As the engine (urn.New): the parent's whole type chain, the root stack left out.
    assert thing.urn == "urn:pulumi:gap::gap::x:index:Outer$x:index:Inner$x:index:Thing::thing"
    assert seen["inner"] == "urn:pulumi:gap::gap::x:index:Outer$x:index:Inner::inner"

    def sdk_urn() -> None:
        seen["sdk"] = MockMonitor(_NoMocks()).make_urn(seen["inner"], "x:index:Thing", "thing")

    run_program("gap", {}, program=sdk_urn, project="gap")
    assert seen["sdk"] != thing.urn, "the SDK's MockMonitor now names URNs as the engine: drop make_urn from sdk_gap"


class _NoMocks(Mocks):
    def new_resource(self, args: MockResourceArgs):
        return "", {}

    def call(self, args: MockCallArgs):
        return {}, None


def test_nothing_else_reaches_into_the_sdk_internals():
    """No runpy of __main__.py; the SDK's internals (pulumi.runtime.rpc, settings, stack,
    sync_await, MockMonitor) only in offline_plan/sdk_gap.py."""
    tracked = subprocess.run(
        ["git", "ls-files", "*.py"], cwd=PROJECT_DIR, capture_output=True, text=True, check=True
    ).stdout.split()
    private = re.compile(
        r"\brpc\b|pulumi\.runtime\.(settings|stack|sync_await)\b|"
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
