"""Run __main__.py under the Pulumi SDK's mock engine and record what it would create.

This is what `pulumi up` would send to the providers, captured without the CLI, the
provider plugins or cloud credentials: every resource with its inputs (secret values
kept as `Secret`), its provider's account and Region, every provider function call,
the stack outputs and the program's log. The tests and the `offline_plan` command
both use it.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import os
import runpy
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional

import pulumi
from google.protobuf import json_format
from pulumi.runtime import mocks as sdk_mocks
from pulumi.runtime import rpc
from pulumi.runtime import settings as sdk_settings
from pulumi.runtime.stack import wait_for_rpcs

from offline_plan.mocks import Location, PlanMocks

PROJECT_DIR = Path(__file__).resolve().parent.parent
PROJECT = "athenz-ses"


@dataclass(frozen=True)
class Secret:
    """A value the program marked secret; the plan shows it only as a placeholder."""

    value: Any

    def __repr__(self) -> str:
        return "Secret([hidden])"


@dataclass
class PlannedResource:
    urn: str
    id: str
    type: str
    name: str
    custom: bool
    parent: str
    inputs: dict[str, Any]
    """As sent to the engine (wire names), secret values wrapped in `Secret`."""
    outputs: dict[str, Any]
    location: Location
    dependencies: list[str]
    replace_on_changes: list[str] = field(default_factory=list)
    delete_before_replace: bool = False
    retain_on_delete: bool = False
    """The `retain_on_delete` resource option: `pulumi destroy` leaves it in the cloud."""
    replacement_trigger: Any = None
    """The `replacement_trigger` resource option: a new value replaces the resource."""


@dataclass
class Plan:
    stack: str
    config: dict[str, str]
    resources: list[PlannedResource] = field(default_factory=list)
    calls: list[tuple[str, dict, Location]] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    log: list[tuple[str, str]] = field(default_factory=list)
    error: Optional[BaseException] = None

    def of_type(self, type_: str) -> list[PlannedResource]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str) -> PlannedResource:
        found = self.of_type(type_)
        if len(found) != 1:
            raise AssertionError(f"expected one {type_}, found {len(found)}: {[r.name for r in found]}")
        return found[0]

    def by_urn(self, urn: str) -> PlannedResource:
        return next(r for r in self.resources if r.urn == urn)

    @property
    def warnings(self) -> list[str]:
        return [message for level, message in self.log if level == "warning"]


def from_wire(value: Any) -> Any:
    """Wire-format property values to plain Python, keeping secrets as `Secret`."""
    if isinstance(value, dict):
        sig = value.get(rpc._special_sig_key)
        if sig == rpc._special_secret_sig:
            return Secret(from_wire(value.get("value")))
        if sig == rpc._special_resource_sig:
            return value.get("urn")
        return {k: from_wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_wire(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)  # protobuf's Struct has only doubles: 300, not 300.0
    return value


def reveal(value: Any) -> Any:
    """The same value with every `Secret` unwrapped (for assertions on content)."""
    if isinstance(value, Secret):
        return reveal(value.value)
    if isinstance(value, dict):
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [reveal(v) for v in value]
    return value


class _RecordingMonitor(sdk_mocks.MockMonitor):
    def __init__(self, mocks: PlanMocks, plan: Plan):
        super().__init__(mocks)
        self.plan_mocks = mocks
        self.plan = plan

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self.plan.resources.append(PlannedResource(
                urn=response.urn,
                id=response.id,
                type=request.type,
                name=request.name,
                custom=request.custom,
                parent=request.parent,
                inputs=from_wire(json_format.MessageToDict(request.object)),
                outputs=from_wire(json_format.MessageToDict(response.object)),
                location=self.plan_mocks.location_of(request.type, request.provider, request.custom, response.id),
                dependencies=list(request.dependencies),
                replace_on_changes=list(request.replaceOnChanges),
                delete_before_replace=request.deleteBeforeReplace,
                retain_on_delete=request.retainOnDelete,
                replacement_trigger=from_wire(json_format.MessageToDict(request.replacement_trigger))
                if request.HasField("replacement_trigger") else None,
            ))
        return response


class _LogCapture(logging.Handler):
    def __init__(self, plan: Plan):
        super().__init__(logging.DEBUG)
        self.plan = plan

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.INFO:
            self.plan.log.append((record.levelname.lower(), record.getMessage()))


def _give_thread_a_loop(loops: list) -> None:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    loops.append(loop)


def run_program(
    stack: str,
    config: Mapping[str, str],
    *,
    secret_keys: tuple[str, ...] = (),
    caller_account_id: Optional[str] = None,
    project_dir: Path = PROJECT_DIR,
) -> Plan:
    """Run the program once for `config` (full keys such as `athenz-ses:senderEmail`).

    `caller_account_id` is the account the mocked default credentials belong to; by
    default the stack's clusterAccountId, else 111111111111. A program error (such as a
    ConfigError) is returned in `plan.error`, with whatever was registered before it.
    """
    plan = Plan(stack=stack, config=dict(config))
    caller = caller_account_id or config.get(f"{PROJECT}:clusterAccountId") or "111111111111"
    mocks = PlanMocks(default_region=config.get("aws:region", ""), caller_account_id=caller)
    logger = logging.getLogger(f"offline_plan.{stack}")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    handler = _LogCapture(plan)
    logger.addHandler(handler)

    def execute() -> None:
        sys.path.insert(0, str(project_dir))
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)  # set_mocks registers the root stack on this loop
        # The mock monitor runs in executor threads and wants an event loop in each;
        # give them loops we can close, rather than ones left to the garbage collector.
        thread_loops: list[asyncio.AbstractEventLoop] = []
        loop.set_default_executor(ThreadPoolExecutor(
            max_workers=4, thread_name_prefix="offline-plan", initializer=_give_thread_a_loop, initargs=(thread_loops,)
        ))
        try:
            # As pulumi.runtime.test does: forget tasks of an earlier run (their loop is
            # closed; waiting on them would hang).
            sdk_settings.SETTINGS.outputs.clear()
            pulumi.runtime.set_all_config(dict(config), list(secret_keys))
            # As the CLI's language host does: the whole config in PULUMI_CONFIG too.
            os.environ["PULUMI_CONFIG"] = json.dumps(dict(config))
            pulumi.runtime.set_mocks(
                mocks, project=PROJECT, stack=stack, preview=False, logger=logger,
                monitor=_RecordingMonitor(mocks, plan),
            )
            try:
                runpy.run_path(str(project_dir / "__main__.py"), run_name="__main__")
            except Exception as error:  # the program's own error, reported with the plan
                plan.error = error
            # Like the SDK's run_pulumi_func: finish the RPCs under way, even after an error.
            loop.run_until_complete(wait_for_rpcs())
            if plan.error is None:
                exported = pulumi.runtime.get_root_resource().outputs
                wire = loop.run_until_complete(rpc.serialize_properties(exported, {}))
                plan.outputs = from_wire(json_format.MessageToDict(wire))
        except Exception as error:  # an error inside an apply or a registration
            plan.error = plan.error or error
        finally:
            leftovers = asyncio.all_tasks(loop)
            for task in leftovers:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_default_executor())
            loop.close()
            for thread_loop in thread_loops:
                thread_loop.close()
            asyncio.set_event_loop(None)
            os.environ.pop("PULUMI_CONFIG", None)
            sys.path.remove(str(project_dir))
            logger.removeHandler(handler)

    # A fresh context per run: the SDK keeps its root stack and config in ContextVars.
    contextvars.Context().run(execute)
    plan.calls = mocks.calls
    return plan
