"""Run the program (program.main.main, what __main__.py runs) under the Pulumi SDK's mock
engine and record what it would create.

This is what `pulumi up` would send to the providers, captured without the CLI, the
provider plugins or cloud credentials: every resource with its inputs (secret values
kept as `Secret`), its provider's account and Region, every provider function call,
the stack outputs and the program's log. The tests and the `offline_plan` command
both use it.
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import functools
import json
import logging
import os
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi

from athenz_ses.testing import ACCOUNT_ID
from athenz_ses.zms_wiring import LAYOUTS
from offline_plan.mocks import Location, PlanMocks, stock_deployment
from offline_plan.sdk_gap import (
    ConstructedResources,
    RecordingMonitor,
    RegisteredResource,
    collect_failed_registrations,
    exported_values,
    is_secret,
    unwrap_secret,
)
from program.main import main
from program.settings import PROJECT

PROJECT_DIR = Path(__file__).resolve().parent.parent

# Whether the last run failed with a resource constructed (see the end of run_program).
_failed_registration_before = [False]


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
    provider: str = ""
    """The provider reference (`<provider URN>::<id>`), empty for the default provider."""
    aliases: list[dict[str, Any]] = field(default_factory=list)
    """The resource's aliases, as the SDK sends them (for example `{"spec": {"noParent": true}}`)."""
    import_id: str = ""
    """The `import_` resource option: `pulumi up` adopts the existing resource of this id."""


@dataclass
class Plan:
    stack: str
    config: dict[str, str]
    resources: list[PlannedResource] = field(default_factory=list)
    calls: list[tuple[str, dict, Location]] = field(default_factory=list)
    reads: list[tuple[str, str]] = field(default_factory=list)
    """The existing objects the program read (type, namespace/name)."""
    outputs: dict[str, Any] = field(default_factory=dict)
    log: list[tuple[str, str]] = field(default_factory=list)
    error: BaseException | None = None
    substitutions: list[str] = field(default_factory=list)
    """What the plan answered in place of a real preview's look-ups, one line each."""
    registered_outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    """What each resource passed to register_outputs, by URN (the stack's own exports
    not among them: see offline_plan/sdk_gap.py)."""

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


def plain(value: Any) -> Any:
    """Deserialized property values to plain Python, keeping secrets as `Secret`."""
    if is_secret(value):
        return Secret(plain(unwrap_secret(value)))
    if isinstance(value, pulumi.Resource):
        return value.urn  # a resource reference: the plan names it by URN (a string here)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
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


def _record(plan: Plan, mocks: PlanMocks, registered: RegisteredResource) -> None:
    """The registration as the plan keeps it: every field of the request, its property
    values made plain (secrets as `Secret`), and where its provider puts it."""
    values = {f.name: getattr(registered, f.name) for f in dataclasses.fields(registered)}
    for wire in ("inputs", "outputs", "replacement_trigger"):
        values[wire] = plain(values[wire])
    location = mocks.location_of(registered.type, registered.provider, registered.custom, registered.id)
    plan.resources.append(PlannedResource(**values, location=location))


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


def _stock_live_zms(config: Mapping[str, str]) -> dict[str, dict]:
    """What the plan takes ZMS's live Deployment to be: its layout's stock one, under the
    names the stack's config gives (a plan cannot look it up)."""
    layout_name = config.get(f"{PROJECT}:zmsLayout") or "distribution"
    layout = LAYOUTS.get(layout_name)
    if layout is None:  # refused by the config check before anything is read
        return {}
    namespace = config.get(f"{PROJECT}:namespace") or "athenz"
    deployment = config.get(f"{PROJECT}:zmsDeployment") or layout.deployment
    container = config.get(f"{PROJECT}:zmsContainer") or layout.container
    return {f"{namespace}/{deployment}": stock_deployment(layout_name, namespace, deployment, container)}


DEFAULT_CALLER = ACCOUNT_ID  # the default credentials' account when the stack names none: the mock's


def run_program(
    stack: str,
    config: Mapping[str, str],
    *,
    secret_keys: tuple[str, ...] = (),
    caller_account_id: str | None = None,
    program: Callable[[], None] | None = None,
    project: str = PROJECT,
    hosted_zones: Mapping[str, str] | None = None,
    live: Mapping[str, dict] | None = None,
) -> Plan:
    """Run the program once for `config` (full keys such as `athenz-ses:senderEmail`).

    `program`: by default program.main.main, with pluginJar paths relative to the
    project's folder; `project`: the Pulumi project it runs as (config namespace).
    `caller_account_id` is the account the mocked default credentials belong to; by
    default the stack's clusterAccountId, else 111111111111. A program error (such as a
    ConfigError) is returned in `plan.error`, with whatever was registered before it.
    `hosted_zones` (zone id -> name) answers route53.getZone; by default the stack's
    hostedZoneId is taken to be the zone of its senderDomain (a plan cannot look it up).
    `live` (namespace/name -> object) is what looking up ZMS's Deployment and ServiceAccount
    finds; by default the stock Deployment of the layout (offline_plan.mocks.read_outputs).
    """
    plan = Plan(stack=stack, config=dict(config))
    caller = caller_account_id or config.get(f"{PROJECT}:clusterAccountId") or DEFAULT_CALLER
    if not caller_account_id and not config.get(f"{PROJECT}:clusterAccountId"):
        plan.substitutions.append(
            f"clusterAccountId is unset: the default AWS credentials are taken to be account {DEFAULT_CALLER} "
            "(a real preview uses the account of your credentials)"
        )
    zone, domain = config.get(f"{PROJECT}:hostedZoneId"), config.get(f"{PROJECT}:senderDomain")
    zones = hosted_zones if hosted_zones is not None else ({zone: domain} if zone and domain else {})
    if hosted_zones is None and zone and domain:
        plan.substitutions.append(
            f"hosted zone {zone} is taken to be the zone of {domain} (a real preview looks it up and stops if not)"
        )
    if live is None:
        live = _stock_live_zms(config)
        plan.substitutions += [
            f"ZMS's live Deployment {name} is taken to be the stock one of its layout, running as a ServiceAccount "
            "without a role (a real preview reads both from the cluster)"
            for name in live
        ]
    plan.substitutions.append(
        "IDs, ARN suffixes and DKIM tokens are made up (a real preview shows them as known after `pulumi up`)"
    )
    mocks = PlanMocks(
        default_region=config.get("aws:region", ""), caller_account_id=caller, hosted_zones=zones, live=live
    )
    logger = logging.getLogger(f"offline_plan.{stack}")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    handler = _LogCapture(plan)
    logger.addHandler(handler)
    run = program or functools.partial(main, project_dir=PROJECT_DIR)
    constructed = ConstructedResources()

    @pulumi.runtime.test
    def program_under_mocks() -> None:
        run()

    def execute() -> None:
        previous_config = os.environ.get("PULUMI_CONFIG")
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)  # set_mocks registers the root stack on this loop
        # The mock monitor runs in executor threads and wants an event loop in each;
        # give them loops we can close, rather than ones left to the garbage collector.
        thread_loops: list[asyncio.AbstractEventLoop] = []
        loop.set_default_executor(
            ThreadPoolExecutor(
                max_workers=4,
                thread_name_prefix="offline-plan",
                initializer=_give_thread_a_loop,
                initargs=(thread_loops,),
            )
        )
        try:
            pulumi.runtime.set_all_config(dict(config), list(secret_keys))
            # As the CLI's language host does: the whole config in PULUMI_CONFIG too.
            os.environ["PULUMI_CONFIG"] = json.dumps(dict(config))
            monitor = RecordingMonitor(mocks, lambda registered: _record(plan, mocks, registered))
            plan.registered_outputs = monitor.registered_outputs
            pulumi.runtime.set_mocks(
                mocks,
                project=project,
                stack=stack,
                preview=False,
                logger=logger,
                monitor=monitor,
            )
            pulumi.runtime.register_stack_transformation(constructed)
            # As the SDK documents for unit tests: runs the program, then waits for every
            # registration and apply under way, and raises the first error.
            program_under_mocks()
            plan.outputs = plain(loop.run_until_complete(exported_values()))
        except Exception as error:  # the program's own error, reported with the plan
            plan.error = error
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
            if previous_config is None:
                os.environ.pop("PULUMI_CONFIG", None)
            else:
                os.environ["PULUMI_CONFIG"] = previous_config
            logger.removeHandler(handler)

    # A fresh context per run: the SDK keeps its root stack and config in ContextVars.
    contextvars.Context().run(execute)
    # A failed registration's futures (sdk_gap.py, the fourth gap) are garbage once the
    # SDK lets go of the run's outputs, which it keeps until the next run: collect after a
    # run that failed with a resource constructed, and after the run that follows it. A
    # program that stopped before its first resource, as a refused config does, left none.
    failed_registration = plan.error is not None and constructed.count > 0
    if failed_registration or _failed_registration_before[0]:
        collect_failed_registrations()
    _failed_registration_before[0] = failed_registration
    plan.calls = mocks.calls
    plan.reads = mocks.reads
    return plan
